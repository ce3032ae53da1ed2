package dbuser

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// The engines are tested connected as a provisioner that holds exactly the privileges the README
// tells operators to grant: the statements of docs/provisioner/<dialect>.sql, which the README
// quotes verbatim (TestReadmeQuotesProvisionerSQL), run by the test setup as root / postgres with
// the example names replaced by the test's own. A privilege missing from the README fails the
// Apply tests.

// provisionerSQLDir is docs/provisioner at the repository root.
var provisionerSQLDir = filepath.Join("..", "..", "..", "docs", "provisioner")

// The example names the SQL files use, replaced by a test's own names.
const (
	exampleProvisioner = "ssoflow_provisioner"
	exampleRoleA       = "app_readonly"
	exampleRoleB       = "app_readwrite"
	exampleDatabase    = "appdb"   // PostgreSQL: the database holding the ledger schema
	exampleLedger      = "ssoflow" // MySQL: the ledger database
)

// iamAuthClause is how the README creates the MySQL/MariaDB provisioner; the local MariaDB has
// neither the IAM plugin nor TLS, so the tests log it in with a password instead.
const iamAuthClause = "IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS' REQUIRE SSL"

func readProvisionerSQL(tb testing.TB, file string) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(provisionerSQLDir, file))
	if err != nil {
		tb.Fatalf("read the README's provisioner SQL: %v", err)
	}
	return string(b)
}

// sqlStatements splits a SQL file into its statements, without comment lines.
func sqlStatements(text string) []string {
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "--") {
			lines = append(lines, l)
		}
	}
	var out []string
	for _, s := range strings.Split(strings.Join(lines, "\n"), ";") {
		if s = strings.Join(strings.Fields(s), " "); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// provisionerStatements returns the statements of file with each example name (a whole word)
// replaced by names[example]. Every example name must occur, so no replacement is vacuous.
func provisionerStatements(tb testing.TB, file string, names map[string]string) []string {
	tb.Helper()
	text := readProvisionerSQL(tb, file)
	var words []string
	for ex := range names {
		if !regexp.MustCompile(`\b` + ex + `\b`).MatchString(text) {
			tb.Fatalf("%s never names %q", file, ex)
		}
		words = append(words, regexp.QuoteMeta(ex))
	}
	re := regexp.MustCompile(`\b(` + strings.Join(words, "|") + `)\b`)
	return sqlStatements(re.ReplaceAllStringFunc(text, func(w string) string { return names[w] }))
}

// mariaDBProvisioner creates the provisioner account with the README's MariaDB statements (as
// root, over admin) and returns a connector that logs in as it.
func mariaDBProvisioner(tb testing.TB, admin *sql.DB, prov, roleA, roleB, ledgerDB string) driver.Connector {
	tb.Helper()
	stmts := provisionerStatements(tb, "mariadb.sql", map[string]string{
		exampleProvisioner: prov, exampleRoleA: roleA, exampleRoleB: roleB, exampleLedger: ledgerDB})
	if !strings.Contains(stmts[0], iamAuthClause) {
		tb.Fatalf("the README's first MariaDB statement does not create an IAM user: %s", stmts[0])
	}
	stmts[0] = strings.Replace(stmts[0], iamAuthClause, "IDENTIFIED BY "+QuoteMySQLString(testUserPassword), 1)
	mustExec(tb, admin, stmts...)
	cfg, err := mysql.ParseDSN(mysqlDSN())
	if err != nil {
		tb.Fatal(err)
	}
	// The provisioner has no privilege on the DSN's database: it names every table fully.
	cfg.User, cfg.Passwd, cfg.DBName = prov, testUserPassword, ""
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return conn
}

// postgresProvisioner creates the provisioner role with the README's PostgreSQL statements (as
// postgres, over admin), checks that it holds ADMIN OPTION on rds_iam and on every mapped role,
// and returns a connector that logs in as it.
func postgresProvisioner(tb testing.TB, admin *sql.DB, prov, roleA, roleB string) driver.Connector {
	tb.Helper()
	cfg, err := pgx.ParseConfig(postgresDSN())
	if err != nil {
		tb.Fatal(err)
	}
	mustExec(tb, admin, provisionerStatements(tb, "postgres.sql", map[string]string{
		exampleProvisioner: prov, exampleRoleA: roleA, exampleRoleB: roleB, exampleDatabase: cfg.Database})...)
	if err := checkPostgresProvisioner(context.Background(), admin, prov, []string{DefaultIAMRole, roleA, roleB}); err != nil {
		tb.Fatalf("the README's PostgreSQL statements: %v", err)
	}
	cfg.User = prov
	return stdlib.GetConnector(*cfg)
}

// openProvisioner opens a pool over e.connector, closed when the test ends (before the cleanups
// registered earlier drop the provisioner), and makes sure it is logged in as e.provisioner.
func openProvisioner(tb testing.TB, e *env) *sql.DB {
	tb.Helper()
	db := sql.OpenDB(e.connector)
	tb.Cleanup(func() { db.Close() })
	q, want := "SELECT current_user", e.provisioner
	if e.kind == KindMySQL {
		q, want = "SELECT CURRENT_USER()", e.provisioner+"@%"
	}
	var got string
	if err := db.QueryRow(q).Scan(&got); err != nil {
		tb.Fatalf("log in as the provisioner %q: %v", e.provisioner, err)
	}
	if got != want {
		tb.Fatalf("engine connected as %q, want the provisioner %q", got, want)
	}
	return db
}

// checkPostgresProvisioner fails unless prov is a non-superuser with CREATEROLE that holds
// ADMIN OPTION on each of roles. PostgreSQL 16 and later require that ADMIN OPTION to grant a
// role ("Restrict the privileges of CREATEROLE and its ability to modify other roles … Such
// changes, including adding members, now require the role requesting the change to have ADMIN
// OPTION permission": PostgreSQL 16 release notes, https://www.postgresql.org/docs/16/release-16.html).
// The local server is PostgreSQL 15, where CREATEROLE alone still grants any role, so the Apply
// tests alone would not notice a README without it; this check does.
func checkPostgresProvisioner(ctx context.Context, db *sql.DB, prov string, roles []string) error {
	var super, createRole bool
	if err := db.QueryRowContext(ctx, "SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = $1", prov).Scan(&super, &createRole); err != nil {
		return fmt.Errorf("read role %q: %w", prov, err)
	}
	if super || !createRole {
		return fmt.Errorf("role %q: superuser %v, createrole %v; want a non-superuser with CREATEROLE", prov, super, createRole)
	}
	rows, err := db.QueryContext(ctx, "SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid "+
		"JOIN pg_roles p ON p.oid = m.member WHERE p.rolname = $1 AND m.admin_option", prov)
	if err != nil {
		return fmt.Errorf("read memberships of %q: %w", prov, err)
	}
	defer rows.Close()
	var admin []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return err
		}
		admin = append(admin, r)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	var missing []string
	for _, r := range roles {
		if !slices.Contains(admin, r) {
			missing = append(missing, r)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("role %q lacks ADMIN OPTION on %v, which PostgreSQL 16 and later require to grant them", prov, missing)
	}
	return nil
}
