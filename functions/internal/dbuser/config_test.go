package dbuser

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/ssoflow/ssoflow/functions/internal/errs"
)

func validConfig() DatabaseConfig {
	return DatabaseConfig{
		Name: "orders", Engine: "postgres", Host: "orders.cluster-x.eu-west-1.rds.amazonaws.com", Port: 5432,
		Database: "orders", ProvisionerUser: "ssoflow_admin", UserNameRule: "email-local-lower",
		Grants: map[string][]string{"AWS_Orders_Read": {"orders_read"}, "AWS_Orders_Write": {"orders_read", "orders_write"}},
	}
}

func TestDatabaseConfigValidate(t *testing.T) {
	if err := validConfig().Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	no := false
	cases := []struct {
		mutate func(*DatabaseConfig)
		want   string
	}{
		{func(c *DatabaseConfig) { c.Name = "" }, "name is empty"},
		{func(c *DatabaseConfig) { c.Engine = "oracle" }, `engine "oracle"`},
		{func(c *DatabaseConfig) { c.Dialect = "mariadb" }, "only for engine mysql"},
		{func(c *DatabaseConfig) { c.Engine, c.Dialect = "mysql", "mysql5" }, `dialect "mysql5"`},
		{func(c *DatabaseConfig) { c.RequireSSL = &no }, "requireSsl"},
		{func(c *DatabaseConfig) { c.Host = "" }, "host is empty"},
		{func(c *DatabaseConfig) { c.Port = 70000 }, "port 70000"},
		{func(c *DatabaseConfig) { c.Database = "" }, "database is empty"},
		{func(c *DatabaseConfig) { c.ProvisionerUser = "" }, "provisionerUser is empty"},
		{func(c *DatabaseConfig) { c.ProvisionerUser = "ad'min" }, "provisionerUser"},
		{func(c *DatabaseConfig) { c.UserNameRule = "first-name" }, "valid rules are"},
		{func(c *DatabaseConfig) { c.LedgerName = "led`ger" }, "ledgerName"},
		{func(c *DatabaseConfig) { c.Grants = nil }, "grants is empty"},
		{func(c *DatabaseConfig) { c.Grants["AWS_X"] = nil }, `grants["AWS_X"]: no roles`},
		{func(c *DatabaseConfig) { c.Grants["AWS_X"] = []string{"rds_superuser"} }, "reserved"},
		{func(c *DatabaseConfig) { c.Grants["AWS_X"] = []string{"r; DROP"} }, "character"},
	}
	for _, c := range cases {
		cfg := validConfig()
		c.mutate(&cfg)
		err := cfg.Validate()
		var ce *errs.ConfigError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate() = %v, want ConfigError containing %q", err, c.want)
		}
	}
	// The RDS master user may be the provisioner although it is reserved as a managed name.
	cfg := validConfig()
	cfg.ProvisionerUser = "postgres"
	if err := cfg.Validate(); err != nil {
		t.Errorf("provisioner postgres: %v", err)
	}
	if err := ValidateDatabases([]DatabaseConfig{validConfig(), validConfig()}); err == nil || !strings.Contains(err.Error(), "used twice") {
		t.Errorf("duplicate names: %v", err)
	}
}

func TestDatabaseConfigJSONAndAccess(t *testing.T) {
	in := `{"name":"shop","engine":"mysql","dialect":"mariadb","host":"h","port":3306,
		"provisionerUser":"ssoflow","userNameRule":"username-lower","requireSsl":false,
		"grants":{"AWS_Shop":["shop_read"],"AWS_Admins":["shop_read","shop_admin"]}}`
	var c DatabaseConfig
	if err := json.Unmarshal([]byte(in), &c); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.RequireSSL == nil || *c.RequireSSL || c.Kind() != KindMySQL {
		t.Fatalf("decoded %+v", c)
	}
	groups, roles := c.Access([]string{"AWS_Admins", "Unmapped", "AWS_Shop"})
	if !slices.Equal(groups, []string{"AWS_Admins", "AWS_Shop"}) || !slices.Equal(roles, []string{"shop_admin", "shop_read"}) {
		t.Fatalf("Access: %v %v", groups, roles)
	}
	if g, r := c.Access([]string{"Unmapped"}); g != nil || r != nil {
		t.Fatalf("Access of unmapped: %v %v", g, r)
	}
	eng, err := NewEngine(nil, c)
	if err != nil {
		t.Fatal(err)
	}
	my := eng.(*MySQL)
	if my.cfg.Dialect != DialectMariaDB || !my.cfg.DisableRequireSSL || my.cfg.AuthClause != DefaultMySQLAuthClause || my.ledger != "`ssoflow`.`managed_users`" {
		t.Fatalf("engine config %+v ledger %s", my.cfg, my.ledger)
	}
	if name, err := eng.UserName("Alice", ""); err != nil || name != "alice" {
		t.Fatalf("UserName: %q %v", name, err)
	}
}
