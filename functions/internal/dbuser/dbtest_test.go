package dbuser

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"os"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// Tests run against real servers: MariaDB and PostgreSQL (make test starts them). An
// unreachable server fails the test, it never skips.

const testUserPassword = "ssoflow-test-pw" // MariaDB stand-in for the IAM plugin

func mysqlDSN() string {
	if v := os.Getenv("SSOFLOW_TEST_MYSQL_DSN"); v != "" {
		return v
	}
	return "root@tcp(127.0.0.1:3306)/test"
}

func postgresDSN() string {
	if v := os.Getenv("SSOFLOW_TEST_POSTGRES_DSN"); v != "" {
		return v
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

func openMySQL(tb testing.TB) *sql.DB {
	tb.Helper()
	db, err := sql.Open("mysql", mysqlDSN())
	if err != nil {
		tb.Fatalf("open MariaDB %s: %v", mysqlDSN(), err)
	}
	tb.Cleanup(func() { db.Close() })
	if err := db.PingContext(context.Background()); err != nil {
		tb.Fatalf("MariaDB at %s is unreachable (make test starts it): %v", mysqlDSN(), err)
	}
	return db
}

func openPostgres(tb testing.TB) *sql.DB {
	tb.Helper()
	db, err := sql.Open("pgx", postgresDSN())
	if err != nil {
		tb.Fatalf("open PostgreSQL %s: %v", postgresDSN(), err)
	}
	tb.Cleanup(func() { db.Close() })
	if err := db.PingContext(context.Background()); err != nil {
		tb.Fatalf("PostgreSQL at %s is unreachable (make test starts it): %v", postgresDSN(), err)
	}
	return db
}

// uniq returns a short random prefix so that parallel tests (and packages) never share users,
// roles, databases or schemas.
func uniq(tb testing.TB) string {
	tb.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return "sf" + hex.EncodeToString(b)
}

func mustExec(tb testing.TB, db *sql.DB, stmts ...string) {
	tb.Helper()
	for _, s := range stmts {
		if _, err := db.ExecContext(context.Background(), s); err != nil {
			tb.Fatalf("%s: %v", s, err)
		}
	}
}

// env is one real database prepared for a test: its engine, connected as a provisioner that
// holds exactly the README's privileges (provisioner_test.go), two roles, and the way to check
// what a user can do after logging in.
type env struct {
	name   string
	kind   Kind
	db     *sql.DB // root / postgres: setup, cleanup and changes made outside ssoflow
	prefix string
	engine Engine
	// provisioner is the user engine connects as; connector logs in as it.
	provisioner string
	connector   driver.Connector
	roleA       string
	roleB       string
	ledger      string                           // quoted ledger table
	rawUser     func(tb testing.TB, name string) // creates a user outside ssoflow
	// newEngine returns another engine for the same database and ledger over db, which must be
	// connected as the provisioner.
	newEngine func(db *sql.DB) Engine
	login     func(tb testing.TB, name string) []string
}

func newMariaDBEnv(tb testing.TB) *env {
	db := openMySQL(tb)
	p := uniq(tb)
	e := &env{name: "mariadb", kind: KindMySQL, db: db, prefix: p, roleA: p + "_read", roleB: p + "_write"}
	ledgerDB := "ssoflow_" + p
	mustExec(tb, db, "CREATE ROLE `"+e.roleA+"`", "CREATE ROLE `"+e.roleB+"`")
	tb.Cleanup(func() { cleanupMariaDB(tb, db, p, ledgerDB) })
	e.provisioner = p + "_prov"
	e.connector = mariaDBProvisioner(tb, db, e.provisioner, e.roleA, e.roleB, ledgerDB)
	mk := func(db *sql.DB) *MySQL {
		eng, err := NewMySQL(db, MySQLConfig{
			Dialect:           DialectMariaDB,
			AuthClause:        "IDENTIFIED BY " + QuoteMySQLString(testUserPassword),
			DisableRequireSSL: true, // the local MariaDB has no TLS
			LedgerDatabase:    ledgerDB,
			ProvisionerUser:   e.provisioner,
		})
		if err != nil {
			tb.Fatal(err)
		}
		return eng
	}
	eng := mk(openProvisioner(tb, e))
	e.engine, e.ledger = eng, eng.ledger
	e.newEngine = func(db *sql.DB) Engine { return mk(db) }
	e.rawUser = func(tb testing.TB, name string) {
		acc, err := QuoteMySQLAccount(name)
		if err != nil {
			tb.Fatal(err)
		}
		mustExec(tb, db, "CREATE USER "+acc+" IDENTIFIED BY 'x'")
	}
	e.login = func(tb testing.TB, name string) []string {
		tb.Helper()
		cfg := mysql.NewConfig()
		base, err := mysql.ParseDSN(mysqlDSN())
		if err != nil {
			tb.Fatal(err)
		}
		cfg.Net, cfg.Addr, cfg.User, cfg.Passwd = base.Net, base.Addr, name, testUserPassword
		conn, err := mysql.NewConnector(cfg)
		if err != nil {
			tb.Fatal(err)
		}
		udb := sql.OpenDB(conn)
		defer udb.Close()
		var user string
		var role sql.NullString
		if err := udb.QueryRow("SELECT CURRENT_USER(), CURRENT_ROLE()").Scan(&user, &role); err != nil {
			tb.Fatalf("log in as %q: %v", name, err)
		}
		if want := name + "@%"; user != want {
			tb.Fatalf("logged in as %q, want %q", user, want)
		}
		if !role.Valid {
			return nil
		}
		return []string{role.String}
	}
	return e
}

func cleanupMariaDB(tb testing.TB, db *sql.DB, prefix, ledgerDB string) {
	ctx := context.Background()
	rows, err := db.QueryContext(ctx, "SELECT User, Host, is_role FROM mysql.user WHERE User LIKE ?", prefix+"%")
	if err != nil {
		tb.Errorf("cleanup: %v", err)
		return
	}
	var stmts []string
	for rows.Next() {
		var u, h, isRole string
		if err := rows.Scan(&u, &h, &isRole); err != nil {
			tb.Errorf("cleanup: %v", err)
		}
		if isRole == "Y" {
			q, _ := QuoteMySQLIdent(u)
			stmts = append(stmts, "DROP ROLE IF EXISTS "+q)
		} else {
			stmts = append(stmts, "DROP USER IF EXISTS "+QuoteMySQLString(u)+"@"+QuoteMySQLString(h))
		}
	}
	rows.Close()
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			tb.Errorf("cleanup %s: %v", s, err)
		}
	}
	if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+ledgerDB+"`"); err != nil {
		tb.Errorf("cleanup: %v", err)
	}
}

// ensureRDSIAM creates the rds_iam role RDS has, tolerating a parallel test doing the same.
func ensureRDSIAM(tb testing.TB, db *sql.DB) {
	_, err := db.Exec("CREATE ROLE rds_iam")
	var pe *pgconn.PgError
	if err != nil && !(errors.As(err, &pe) && (pe.Code == "42710" || pe.Code == "23505")) {
		tb.Fatalf("create role rds_iam: %v", err)
	}
}

func newPostgresEnv(tb testing.TB) *env {
	db := openPostgres(tb)
	ensureRDSIAM(tb, db)
	p := uniq(tb)
	e := &env{name: "postgres", kind: KindPostgres, db: db, prefix: p, roleA: p + "_read", roleB: p + "_write"}
	schema := "ssoflow_" + p
	mustExec(tb, db, `CREATE ROLE "`+e.roleA+`"`, `CREATE ROLE "`+e.roleB+`"`)
	tb.Cleanup(func() { cleanupPostgres(tb, db, p, schema) })
	e.provisioner = p + "_prov"
	e.connector = postgresProvisioner(tb, db, e.provisioner, e.roleA, e.roleB)
	mk := func(db *sql.DB) *Postgres {
		eng, err := NewPostgres(db, PostgresConfig{LedgerSchema: schema, ProvisionerUser: e.provisioner})
		if err != nil {
			tb.Fatal(err)
		}
		return eng
	}
	eng := mk(openProvisioner(tb, e))
	e.engine, e.ledger = eng, eng.ledger
	e.newEngine = func(db *sql.DB) Engine { return mk(db) }
	e.rawUser = func(tb testing.TB, name string) {
		q, err := QuotePostgresIdent(name)
		if err != nil {
			tb.Fatal(err)
		}
		mustExec(tb, db, "CREATE USER "+q)
	}
	e.login = func(tb testing.TB, name string) []string {
		tb.Helper()
		cfg, err := pgconnConfig(name)
		if err != nil {
			tb.Fatal(err)
		}
		udb := stdlib.OpenDB(*cfg)
		defer udb.Close()
		var user string
		if err := udb.QueryRow("SELECT current_user").Scan(&user); err != nil {
			tb.Fatalf("log in as %q: %v", name, err)
		}
		if user != name {
			tb.Fatalf("logged in as %q, want %q", user, name)
		}
		// Roles whose privileges the session can use right now (INHERIT), rds_iam aside.
		rows, err := udb.Query("SELECT rolname FROM pg_roles WHERE rolname <> current_user AND rolname <> 'rds_iam' " +
			"AND rolname NOT LIKE 'pg\\_%' AND pg_has_role(current_user, oid, 'USAGE') ORDER BY rolname")
		if err != nil {
			tb.Fatal(err)
		}
		defer rows.Close()
		var roles []string
		for rows.Next() {
			var r string
			if err := rows.Scan(&r); err != nil {
				tb.Fatal(err)
			}
			roles = append(roles, r)
		}
		return roles
	}
	return e
}

func cleanupPostgres(tb testing.TB, db *sql.DB, prefix, schema string) {
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `DROP SCHEMA IF EXISTS "`+schema+`" CASCADE`); err != nil {
		tb.Errorf("cleanup: %v", err)
	}
	rows, err := db.QueryContext(ctx, "SELECT rolname FROM pg_roles WHERE rolname LIKE $1 ORDER BY rolname DESC", prefix+"%")
	if err != nil {
		tb.Errorf("cleanup: %v", err)
		return
	}
	var roles []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			tb.Errorf("cleanup: %v", err)
		}
		roles = append(roles, r)
	}
	rows.Close()
	for _, r := range roles {
		q, _ := QuotePostgresIdent(r)
		// Objects a test user created (the owns-objects test) go with it.
		if _, err := db.ExecContext(ctx, "DROP OWNED BY "+q); err != nil {
			tb.Errorf("cleanup %s: %v", r, err)
		}
		if _, err := db.ExecContext(ctx, "DROP ROLE IF EXISTS "+q); err != nil {
			tb.Errorf("cleanup %s: %v", r, err)
		}
	}
}

// pgconnConfig returns the test DSN's connection config with another user.
func pgconnConfig(user string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(postgresDSN())
	if err != nil {
		return nil, err
	}
	cfg.User = user
	return cfg, nil
}
