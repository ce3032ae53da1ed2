package dbuser

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/statements-*.golden from the current code")

// mysqlTranscript is every statement the engine of one dialect sends, in the order it sends
// them, for one user's life: the ledger is created, the catalog read, the user created with two
// roles, one role revoked, then the other, then the user dropped. Built by the engine's own
// statement builder with the deployed defaults (IAM authentication plugin, REQUIRE SSL).
func mysqlTranscript(t *testing.T, dialect string) string {
	t.Helper()
	eng, err := NewMySQL(nil, MySQLConfig{Dialect: dialect})
	if err != nil {
		t.Fatal(err)
	}
	s := eng.sql
	acc, err := QuoteMySQLAccount("jane.o'neil")
	if err != nil {
		t.Fatal(err)
	}
	read, _ := QuoteMySQLIdent("app_readonly")
	write, _ := QuoteMySQLIdent("app_readwrite")
	var out []string
	step := func(comment string, stmts ...string) {
		out = append(out, "-- "+comment)
		for _, st := range stmts {
			out = append(out, st+";")
		}
	}
	step("ledger", s.createLedger(eng.ledgDB, eng.ledger)...)
	step("snapshot of three names", s.userRoles(3))
	step("create, grant two roles, make them active at login",
		s.createUser(acc), s.grantRole(read, acc), s.grantRole(write, acc), s.setDefaultRoles(acc, []string{read, write}))
	step("one group ends", s.revokeRole(write, acc), s.setDefaultRoles(acc, []string{read}))
	step("the last group ends", s.revokeRole(read, acc), s.setDefaultRoles(acc, nil), s.dropUser(acc))
	return strings.Join(out, "\n") + "\n"
}

// TestMySQLStatementsGolden pins the exact SQL of both dialects. The MariaDB statements are also
// executed against a real MariaDB by every Apply test. The MySQL 8 statements have never run
// against a MySQL 8 server here (none is installable from Debian, which ships MariaDB only);
// this golden file is what pins them, checked by hand against the MySQL 8.0 reference manual:
// CREATE USER … IDENTIFIED WITH … REQUIRE SSL (https://dev.mysql.com/doc/refman/8.0/en/create-user.html),
// GRANT role TO user (https://dev.mysql.com/doc/refman/8.0/en/grant.html),
// SET DEFAULT ROLE role, … TO user (https://dev.mysql.com/doc/refman/8.0/en/set-default-role.html),
// mysql.role_edges FROM_USER/TO_USER/TO_HOST (https://dev.mysql.com/doc/refman/8.0/en/grant-tables.html).
func TestMySQLStatementsGolden(t *testing.T) {
	for _, dialect := range []string{DialectMySQL8, DialectMariaDB} {
		t.Run(dialect, func(t *testing.T) {
			got := mysqlTranscript(t, dialect)
			path := filepath.Join("testdata", "statements-"+dialect+".golden")
			if *updateGolden {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestMySQLStatementsGolden -update to write it)", err)
			}
			if got != string(want) {
				t.Fatalf("statements of dialect %s changed; if on purpose, rerun with -update and review the diff.\ngot:\n%s\nwant:\n%s", dialect, got, want)
			}
		})
	}
}

// TestMySQLDialectsDiffer guards the golden files themselves: the two dialects must differ
// exactly where their documented syntax does.
func TestMySQLDialectsDiffer(t *testing.T) {
	my, maria := mysqlTranscript(t, DialectMySQL8), mysqlTranscript(t, DialectMariaDB)
	for _, c := range []struct {
		text    string
		inMySQL bool
	}{
		{"SET DEFAULT ROLE `app_readonly`, `app_readwrite` TO 'jane.o''neil'@'%';", true}, // MySQL 8: a list, TO
		{"SET DEFAULT ROLE `app_readonly` FOR 'jane.o''neil'@'%';", false},                // MariaDB: one role, FOR
		{"mysql.role_edges", true},
		{"mysql.roles_mapping", false},
		{"CREATE USER IF NOT EXISTS 'jane.o''neil'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS' REQUIRE SSL;", true},
	} {
		if strings.Contains(my, c.text) != c.inMySQL {
			t.Errorf("mysql8 contains %q: %v, want %v", c.text, !c.inMySQL, c.inMySQL)
		}
		wantMaria := !c.inMySQL || strings.HasPrefix(c.text, "CREATE USER")
		if strings.Contains(maria, c.text) != wantMaria {
			t.Errorf("mariadb contains %q: %v, want %v", c.text, !wantMaria, wantMaria)
		}
	}
}
