package dbuser

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestReadmeQuotesProvisionerSQL: the README shows each provisioner SQL file verbatim, in a sql
// block, so what operators read is what the tests run.
func TestReadmeQuotesProvisionerSQL(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(provisionerSQLDir, "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"postgres.sql", "mariadb.sql", "mysql8.sql"} {
		block := "```sql\n" + readProvisionerSQL(t, f) + "```\n"
		if !strings.Contains(string(readme), block) {
			t.Errorf("README.md does not show docs/provisioner/%s verbatim in a ```sql block", f)
		}
	}
}

// mysqlCatalogColumns returns, for each mysql.<table> the query reads, the columns it reads.
func mysqlCatalogColumns(query string) map[string][]string {
	out := map[string][]string{}
	for _, m := range regexp.MustCompile(`mysql\.(\w+) (\w+)\b`).FindAllStringSubmatch(query, -1) {
		table, alias := m[1], m[2]
		out[table] = []string{}
		for _, c := range regexp.MustCompile(`\b`+alias+`\.(\w+)`).FindAllStringSubmatch(query, -1) {
			if !slices.Contains(out[table], c[1]) {
				out[table] = append(out[table], c[1])
			}
		}
	}
	return out
}

// mysqlGrantsSelect reports whether stmts grant the provisioner SELECT on mysql.<table>, on the
// whole table or on at least columns.
func mysqlGrantsSelect(stmts []string, table string, columns []string) bool {
	re := regexp.MustCompile(`^GRANT SELECT(?: \(([^)]*)\))? ON mysql\.` + table + ` TO 'ssoflow_provisioner'@'%'$`)
	for _, s := range stmts {
		m := re.FindStringSubmatch(s)
		if m == nil {
			continue
		}
		if m[1] == "" {
			return true
		}
		granted := strings.Split(strings.ReplaceAll(m[1], " ", ""), ",")
		all := true
		for _, c := range columns {
			all = all && slices.Contains(granted, c)
		}
		return all
	}
	return false
}

// TestProvisionerSQLGrantsWhatEachDialectNeeds checks each file against what its dialect's
// engine does. The MariaDB and PostgreSQL files are also executed by every Apply test; the
// MySQL 8 file has no MySQL 8 server here (Debian ships MariaDB only), so this check, tied to
// the catalog query the mysql8 dialect sends, is what holds it to the code.
func TestProvisionerSQLGrantsWhatEachDialectNeeds(t *testing.T) {
	const acct = `'ssoflow_provisioner'@'%'`
	for _, dialect := range []string{DialectMySQL8, DialectMariaDB} {
		t.Run(dialect, func(t *testing.T) {
			stmts := sqlStatements(readProvisionerSQL(t, dialect+".sql"))
			want := []string{
				"CREATE USER " + acct + " " + iamAuthClause,
				"GRANT CREATE USER ON *.* TO " + acct, // CREATE USER, DROP USER (and MySQL 8's SET DEFAULT ROLE … TO)
				"GRANT " + exampleRoleA + " TO " + acct + " WITH ADMIN OPTION",
				"GRANT " + exampleRoleB + " TO " + acct + " WITH ADMIN OPTION",
				"GRANT CREATE, SELECT, INSERT, UPDATE, DELETE ON `" + exampleLedger + "`.* TO " + acct,
			}
			if dialect == DialectMariaDB {
				// "To set a default role for another user one needs to have write access to the
				// mysql database": MariaDB, SET DEFAULT ROLE, https://mariadb.com/kb/en/set-default-role/
				want = append(want, "GRANT UPDATE ON mysql.* TO "+acct)
			}
			for _, w := range want {
				if !slices.Contains(stmts, w) {
					t.Errorf("%s.sql lacks: %s", dialect, w)
				}
			}
			catalog := mysqlCatalogColumns(mysqlStatements{dialect: dialect}.userRoles(1))
			if len(catalog) != 2 {
				t.Fatalf("the %s catalog query reads %v; want mysql.user and its role table", dialect, catalog)
			}
			for table, cols := range catalog {
				if !mysqlGrantsSelect(stmts, table, cols) {
					t.Errorf("%s.sql does not grant SELECT on mysql.%s (columns %v), which the engine reads", dialect, table, cols)
				}
			}
			if len(stmts) != len(want)+len(catalog) {
				t.Errorf("%s.sql has %d statements, want exactly the %d needed: %q", dialect, len(stmts), len(want)+len(catalog), stmts)
			}
		})
	}
	t.Run("postgres", func(t *testing.T) {
		stmts := sqlStatements(readProvisionerSQL(t, "postgres.sql"))
		want := []string{
			"CREATE ROLE " + exampleProvisioner + " LOGIN CREATEROLE",
			"GRANT " + DefaultIAMRole + " TO " + exampleProvisioner + " WITH ADMIN OPTION",
			"GRANT " + exampleRoleA + " TO " + exampleProvisioner + " WITH ADMIN OPTION",
			"GRANT " + exampleRoleB + " TO " + exampleProvisioner + " WITH ADMIN OPTION",
			"GRANT CREATE ON DATABASE " + exampleDatabase + " TO " + exampleProvisioner,
		}
		if !slices.Equal(stmts, want) {
			t.Errorf("postgres.sql statements:\n%q\nwant:\n%q", stmts, want)
		}
	})
}

// TestPostgresProvisionerCheckCatchesMissingAdminOption runs the provisioner setup the README
// gave before (GRANT rds_iam without ADMIN OPTION) on the real server: PostgreSQL 15 accepts it,
// PostgreSQL 16 and later then refuse every GRANT rds_iam, and the check the PostgreSQL test
// environment applies to the README's statements must refuse it.
func TestPostgresProvisionerCheckCatchesMissingAdminOption(t *testing.T) {
	t.Parallel()
	db := openPostgres(t)
	ensureRDSIAM(t, db)
	p := uniq(t)
	prov, role := p+"_prov", p+"_read"
	t.Cleanup(func() { cleanupPostgres(t, db, p, "ssoflow_"+p) })
	mustExec(t, db, `CREATE ROLE "`+role+`"`,
		`CREATE USER "`+prov+`" WITH CREATEROLE`, `GRANT rds_iam TO "`+prov+`"`,
		`GRANT "`+role+`" TO "`+prov+`" WITH ADMIN OPTION`)
	err := checkPostgresProvisioner(context.Background(), db, prov, []string{DefaultIAMRole, role})
	if err == nil || !strings.Contains(err.Error(), "[rds_iam]") {
		t.Fatalf("check of the old setup: %v, want it to name rds_iam alone", err)
	}
	mustExec(t, db, `GRANT rds_iam TO "`+prov+`" WITH ADMIN OPTION`)
	if err := checkPostgresProvisioner(context.Background(), db, prov, []string{DefaultIAMRole, role}); err != nil {
		t.Fatalf("check after GRANT rds_iam … WITH ADMIN OPTION: %v", err)
	}
}
