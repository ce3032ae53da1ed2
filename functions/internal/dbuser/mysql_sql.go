package dbuser

import (
	"strings"
)

// mysqlStatements builds every statement the MySQL engine sends, for one dialect. It is the one
// place where the MySQL 8 and MariaDB syntaxes differ, so that a golden test can pin the exact
// SQL of each dialect (testdata/statements-*.golden). Names reach it already quoted.
type mysqlStatements struct {
	dialect    string
	authClause string
	requireSSL bool
}

func (s mysqlStatements) mariaDB() bool { return s.dialect == DialectMariaDB }

// createLedger creates the ledger database and table; ledgerDB and ledger are quoted.
func (s mysqlStatements) createLedger(ledgerDB, ledger string) []string {
	return []string{
		"CREATE DATABASE IF NOT EXISTS " + ledgerDB,
		"CREATE TABLE IF NOT EXISTS " + ledger + ` (
			identity_store_user_id VARCHAR(255) NOT NULL PRIMARY KEY,
			db_user VARCHAR(80) NOT NULL,
			group_names TEXT NOT NULL,
			role_names TEXT NOT NULL,
			created_at DATETIME(6) NOT NULL,
			updated_at DATETIME(6) NOT NULL,
			UNIQUE KEY managed_users_db_user (db_user)
		) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
	}
}

// userRoles selects (user, role or the empty string) for n bound user names at one bound host: the
// catalog tables are mysql.user with mysql.roles_mapping (MariaDB) or mysql.role_edges (MySQL 8).
func (s mysqlStatements) userRoles(n int) string {
	var q string
	if s.mariaDB() {
		q = "SELECT u.User, COALESCE(r.Role, '') FROM mysql.user u LEFT JOIN mysql.roles_mapping r " +
			"ON r.User = u.User AND r.Host = u.Host WHERE u.Host = ? AND u.User IN "
	} else {
		q = "SELECT u.User, COALESCE(e.FROM_USER, '') FROM mysql.user u LEFT JOIN mysql.role_edges e " +
			"ON e.TO_USER = u.User AND e.TO_HOST = u.Host WHERE u.Host = ? AND u.User IN "
	}
	return q + "(?" + strings.Repeat(",?", n-1) + ")"
}

// createUser creates an IAM-authenticated account (REQUIRE SSL unless turned off).
func (s mysqlStatements) createUser(account string) string {
	stmt := "CREATE USER IF NOT EXISTS " + account + " " + s.authClause
	if s.requireSSL {
		stmt += " REQUIRE SSL"
	}
	return stmt
}

func (s mysqlStatements) grantRole(role, account string) string {
	return "GRANT " + role + " TO " + account
}

func (s mysqlStatements) revokeRole(role, account string) string {
	return "REVOKE " + role + " FROM " + account
}

// setDefaultRoles makes roles (quoted, sorted) active at login. MySQL 8 takes the list
// (SET DEFAULT ROLE … TO); MariaDB has one default role (SET DEFAULT ROLE … FOR), so the first
// role is the default and the others need SET ROLE. No roles is NONE.
func (s mysqlStatements) setDefaultRoles(account string, roles []string) string {
	list := "NONE"
	if len(roles) > 0 {
		use := roles
		if s.mariaDB() {
			use = roles[:1]
		}
		list = strings.Join(use, ", ")
	}
	if s.mariaDB() {
		return "SET DEFAULT ROLE " + list + " FOR " + account
	}
	return "SET DEFAULT ROLE " + list + " TO " + account
}

func (s mysqlStatements) dropUser(account string) string {
	return "DROP USER IF EXISTS " + account
}
