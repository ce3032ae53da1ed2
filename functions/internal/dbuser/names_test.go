package dbuser

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateNameHostile(t *testing.T) {
	cases := []struct {
		name string
		kind Kind
		rule string // "" means accepted
	}{
		{"alice", KindMySQL, ""},
		{"alice.smith@example.com", KindPostgres, ""},
		{"a_b-c+d.e@f", KindMySQL, ""},
		{"", KindMySQL, RuleEmpty},
		{"", KindPostgres, RuleEmpty},
		{"-alice", KindMySQL, RuleLeadingDash},
		{"-alice", KindPostgres, RuleLeadingDash},
		{"o'brien", KindMySQL, RuleCharacter},
		{`a"b`, KindPostgres, RuleCharacter},
		{"a`b", KindMySQL, RuleCharacter},
		{"a;DROP USER root", KindMySQL, RuleCharacter},
		{"x'; DROP TABLE t; --", KindPostgres, RuleCharacter},
		{"100%", KindMySQL, RuleCharacter},
		{"al ice", KindPostgres, RuleCharacter},
		{"alice\t", KindMySQL, RuleCharacter},
		{"alice\n", KindPostgres, RuleCharacter},
		{"ali\x00ce", KindPostgres, RuleCharacter},
		{"ali\\ce", KindMySQL, RuleCharacter},
		{"josé", KindMySQL, RuleCharacter},
		{"\u212Aate", KindPostgres, RuleCharacter}, // Kelvin sign, not K
		{"alice\u200b", KindMySQL, RuleCharacter},  // zero-width space
		{"\xff\xfe", KindPostgres, RuleCharacter},  // not UTF-8
		{"a/*x*/", KindMySQL, RuleCharacter},
		{strings.Repeat("a", 32), KindMySQL, ""},
		{strings.Repeat("a", 33), KindMySQL, RuleLength},
		{strings.Repeat("a", 63), KindPostgres, ""},
		{strings.Repeat("a", 64), KindPostgres, RuleLength},
		{strings.Repeat("a", 33), KindPostgres, ""},
		{"root", KindMySQL, RuleReserved},
		{"ROOT", KindMySQL, RuleReserved},
		{"rdsadmin", KindPostgres, RuleReserved},
		{"rds_superuser", KindPostgres, RuleReserved},
		{"rds_iam", KindPostgres, RuleReserved},
		{"postgres", KindPostgres, RuleReserved},
		{"mysql.sys", KindMySQL, RuleReserved},
		{"mariadb.sys", KindMySQL, RuleReserved},
		{"public", KindPostgres, RuleReserved},
		{"pg_monitor", KindPostgres, RuleReserved},
		{"pg_x", KindMySQL, ""},
		{"ssoflow_admin", KindMySQL, RuleReserved}, // the provisioner's own user
		{"alice", "oracle", RuleLength},
	}
	for _, c := range cases {
		err := ValidateName(c.name, c.kind, "ssoflow_admin")
		if c.rule == "" {
			if err != nil {
				t.Errorf("ValidateName(%q, %s) = %v, want accepted", c.name, c.kind, err)
			}
			continue
		}
		var ne *InvalidNameError
		if !errors.As(err, &ne) {
			t.Errorf("ValidateName(%q, %s) = %v, want *InvalidNameError", c.name, c.kind, err)
			continue
		}
		if ne.Rule != c.rule || ne.Name != c.name {
			t.Errorf("ValidateName(%q, %s): rule %q name %q, want rule %q", c.name, c.kind, ne.Rule, ne.Name, c.rule)
		}
		if !strings.Contains(err.Error(), c.rule) {
			t.Errorf("error %q does not name the rule %q", err, c.rule)
		}
	}
}

func TestNameRules(t *testing.T) {
	cases := []struct {
		rule, userName, email, want string
		wantErr                     bool
	}{
		{"", "Alice.Smith", "a@x", "Alice.Smith", false},
		{"username", "Alice.Smith", "", "Alice.Smith", false},
		{"username-lower", "Alice.Smith", "", "alice.smith", false},
		{"email-local", "u", "Alice.Smith@Example.com", "Alice.Smith", false},
		{"email-local-lower", "u", "Alice.Smith@Example.com", "alice.smith", false},
		{"email-local", "u", "weird@local@example.com", "weird@local", false},
		{"email-local", "u", "", "", true},
		{"email-local", "u", "@example.com", "", true},
		{"username", "", "a@b", "", true},
		// Lower-casing is ASCII only: the Kelvin sign is not folded into "k".
		{"username-lower", "\u212Aate", "", "\u212Aate", false},
	}
	for _, c := range cases {
		r, err := ParseNameRule(c.rule)
		if err != nil {
			t.Fatalf("ParseNameRule(%q): %v", c.rule, err)
		}
		got, err := r.Derive(c.userName, c.email)
		if (err != nil) != c.wantErr || got != c.want {
			t.Errorf("%s.Derive(%q, %q) = %q, %v; want %q, err=%v", r, c.userName, c.email, got, err, c.want, c.wantErr)
		}
	}
	_, err := ParseNameRule("email")
	if err == nil {
		t.Fatal("unknown rule accepted")
	}
	for _, valid := range NameRules {
		if !strings.Contains(err.Error(), valid) {
			t.Errorf("error %q does not list valid rule %q", err, valid)
		}
		if r, err := ParseNameRule(valid); err != nil || r.String() != valid {
			t.Errorf("ParseNameRule(%q) = %v, %v", valid, r, err)
		}
	}
}

func TestEngineUserNameAppliesRuleAndLimits(t *testing.T) {
	rule, _ := ParseNameRule("email-local-lower")
	my, err := NewMySQL(nil, MySQLConfig{Names: rule, ProvisionerUser: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	pg, err := NewPostgres(nil, PostgresConfig{Names: rule, ProvisionerUser: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("b", 40) + "@example.com"
	if _, err := my.UserName("x", long); err == nil {
		t.Error("MySQL accepted a 40-character name")
	}
	if got, err := pg.UserName("x", long); err != nil || got != strings.Repeat("b", 40) {
		t.Errorf("PostgreSQL: %q, %v", got, err)
	}
	var ne *InvalidNameError
	if _, err := pg.UserName("x", "Admin@example.com"); !errors.As(err, &ne) || ne.Rule != RuleReserved {
		t.Errorf("provisioner's own name: %v", err)
	}
	if _, err := my.UserName("x", "no-at-sign"); !errors.As(err, &ne) || ne.Rule != RuleSource || ne.Engine != KindMySQL {
		t.Errorf("missing email: %v", err)
	}
}
