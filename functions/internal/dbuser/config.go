package dbuser

import (
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/ssoflow/ssoflow/functions/internal/errs"
)

// MySQL dialects: MySQL 8 (and Aurora MySQL 3) versus MariaDB, whose role syntax and catalog
// tables differ.
const (
	DialectMySQL8  = "mysql8"
	DialectMariaDB = "mariadb"
)

// DatabaseConfig is one target database as the deployment configuration (CDK context) carries
// it. The same JSON shape is read by the CDK app and by the dbusers Lambda.
type DatabaseConfig struct {
	// Name identifies the database in the configuration, logs and reports.
	Name string `json:"name"`
	// Engine is "mysql" (MySQL, Aurora MySQL, MariaDB) or "postgres" (PostgreSQL, Aurora
	// PostgreSQL).
	Engine string `json:"engine"`
	// Dialect, for Engine "mysql" only: "mysql8" (default) or "mariadb".
	Dialect string `json:"dialect,omitempty"`
	Host    string `json:"host"`
	Port    int    `json:"port"`
	// Database to connect to. For PostgreSQL it holds the ledger schema; for MySQL it may be
	// empty (the ledger lives in its own database, LedgerName).
	Database string `json:"database,omitempty"`
	// Region of the instance, for the IAM token; empty means the Lambda's region.
	Region string `json:"region,omitempty"`
	// ProvisionerUser is the database user ssoflow itself connects as (with an IAM token).
	// It can never be derived as a managed user name.
	ProvisionerUser string `json:"provisionerUser"`
	// UserNameRule is one of NameRules; empty means DefaultNameRule.
	UserNameRule string `json:"userNameRule,omitempty"`
	// RequireSSL adds REQUIRE SSL to created MySQL users; nil means true.
	RequireSSL *bool `json:"requireSsl,omitempty"`
	// RolesActiveOnLogin, for MySQL: the server activates every granted role at login
	// (activate_all_roles_on_login=ON), so SET DEFAULT ROLE is not issued.
	RolesActiveOnLogin bool `json:"rolesActiveOnLogin,omitempty"`
	// LedgerName is the MySQL database / PostgreSQL schema holding the ledger table
	// managed_users; empty means "ssoflow".
	LedgerName string `json:"ledgerName,omitempty"`
	// Grants maps an Identity Center group name to the database roles its members get.
	Grants map[string][]string `json:"grants"`
}

// DefaultLedgerName is the MySQL database / PostgreSQL schema of the ledger table.
const DefaultLedgerName = "ssoflow"

// Kind returns the engine kind.
func (c DatabaseConfig) Kind() Kind { return Kind(c.Engine) }

// NameRule returns the parsed UserNameRule.
func (c DatabaseConfig) NameRule() (NameRule, error) { return ParseNameRule(c.UserNameRule) }

// Validate checks the configuration and returns every problem at once as an errs.ConfigError.
func (c DatabaseConfig) Validate() error {
	var problems []error
	add := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }
	if c.Name == "" {
		add("name is empty")
	}
	kind := c.Kind()
	switch kind {
	case KindMySQL:
		if c.Dialect != "" && c.Dialect != DialectMySQL8 && c.Dialect != DialectMariaDB {
			add("dialect %q: valid dialects are %s, %s", c.Dialect, DialectMySQL8, DialectMariaDB)
		}
	case KindPostgres:
		if c.Dialect != "" {
			add("dialect %q is only for engine mysql", c.Dialect)
		}
		if c.Database == "" {
			add("database is empty (PostgreSQL needs the database that holds the ledger)")
		}
		if c.RequireSSL != nil {
			add("requireSsl is only for engine mysql (PostgreSQL enforces TLS with rds.force_ssl)")
		}
	default:
		add("engine %q: valid engines are %s, %s", c.Engine, KindMySQL, KindPostgres)
	}
	if c.Host == "" {
		add("host is empty")
	}
	if c.Port < 1 || c.Port > 65535 {
		add("port %d is out of range 1-65535", c.Port)
	}
	if c.ProvisionerUser == "" {
		add("provisionerUser is empty")
	} else if kind == KindMySQL || kind == KindPostgres {
		// The provisioner may well be a reserved account (the RDS master user "postgres").
		if err := ValidateName(c.ProvisionerUser, kind); err != nil && !isReserved(err) {
			add("provisionerUser: %w", err)
		}
	}
	if _, err := c.NameRule(); err != nil {
		add("userNameRule: %w", err)
	}
	if c.LedgerName != "" {
		if err := ValidateName(c.LedgerName, KindPostgres); err != nil && !isReserved(err) {
			add("ledgerName: %w", err)
		}
	}
	if len(c.Grants) == 0 {
		add("grants is empty: map at least one Identity Center group to roles")
	}
	for _, g := range sortedKeys(c.Grants) {
		if g == "" {
			add("grants: empty group name")
		}
		if len(c.Grants[g]) == 0 {
			add("grants[%q]: no roles", g)
		}
		for _, r := range c.Grants[g] {
			if err := ValidateName(r, KindPostgres); err != nil {
				add("grants[%q]: role: %w", g, err)
			}
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return &errs.ConfigError{Err: fmt.Errorf("database %q: %w", c.Name, errors.Join(problems...))}
}

func isReserved(err error) bool {
	var ne *InvalidNameError
	return errors.As(err, &ne) && ne.Rule == RuleReserved
}

// ValidateDatabases validates every configuration and checks that names are unique.
func ValidateDatabases(cfgs []DatabaseConfig) error {
	var problems []error
	seen := map[string]bool{}
	for _, c := range cfgs {
		if err := c.Validate(); err != nil {
			problems = append(problems, err)
		}
		if seen[c.Name] {
			problems = append(problems, fmt.Errorf("database name %q is used twice", c.Name))
		}
		seen[c.Name] = true
	}
	if len(problems) == 0 {
		return nil
	}
	return &errs.ConfigError{Err: errors.Join(problems...)}
}

// Access returns, of the Identity Center groups a user is in now, those this database maps,
// and the union of their roles, both sorted and without duplicates: the Groups and Roles of a
// Desired.
func (c DatabaseConfig) Access(userGroups []string) (groups, roles []string) {
	for _, g := range userGroups {
		rs, ok := c.Grants[g]
		if !ok {
			continue
		}
		groups = append(groups, g)
		roles = append(roles, rs...)
	}
	return sortedSet(groups), sortedSet(roles)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// sortedSet returns the sorted distinct elements of s (nil for none).
func sortedSet(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}
