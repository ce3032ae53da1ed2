package dbuser

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestQuoteForms(t *testing.T) {
	cases := []struct {
		in                  string
		account, myID, pgID string
	}{
		{"alice", `'alice'@'%'`, "`alice`", `"alice"`},
		{"o'brien", `'o''brien'@'%'`, "`o'brien`", `"o'brien"`},
		{`back\slash`, `'back\\slash'@'%'`, "`back\\slash`", `"back\slash"`},
		{"a`b", "'a`b'@'%'", "`a``b`", "\"a`b\""},
		{`a"b`, `'a"b'@'%'`, "`a\"b`", `"a""b"`},
		{`x\'; DROP USER root; --`, `'x\\''; DROP USER root; --'@'%'`, "`x\\'; DROP USER root; --`", `"x\'; DROP USER root; --"`},
		{"ünï", `'ünï'@'%'`, "`ünï`", `"ünï"`},
	}
	for _, c := range cases {
		if got, err := QuoteMySQLAccount(c.in); err != nil || got != c.account {
			t.Errorf("QuoteMySQLAccount(%q) = %s, %v; want %s", c.in, got, err, c.account)
		}
		if got, err := QuoteMySQLIdent(c.in); err != nil || got != c.myID {
			t.Errorf("QuoteMySQLIdent(%q) = %s, %v; want %s", c.in, got, err, c.myID)
		}
		if got, err := QuotePostgresIdent(c.in); err != nil || got != c.pgID {
			t.Errorf("QuotePostgresIdent(%q) = %s, %v; want %s", c.in, got, err, c.pgID)
		}
	}
	for _, bad := range []string{"", "a\x00b", "\xff"} {
		if _, err := QuotePostgresIdent(bad); err == nil {
			t.Errorf("QuotePostgresIdent(%q) accepted", bad)
		}
		if _, err := QuoteMySQLIdent(bad); err == nil {
			t.Errorf("QuoteMySQLIdent(%q) accepted", bad)
		}
		if _, err := QuoteMySQLAccount(bad); err == nil {
			t.Errorf("QuoteMySQLAccount(%q) accepted", bad)
		}
	}
	if _, err := QuotePostgresIdent("a\x00"); !errors.Is(err, errNUL) {
		t.Errorf("NUL: %v", err)
	}
}

// hostileNames are refused by ValidateName, but quoting alone must still keep them inside
// their identifier: the servers create exactly these names and nothing else happens.
func hostileNames(prefix string) []string {
	return []string{
		prefix + "o'brien",
		prefix + "a`b",
		prefix + `a"b`,
		prefix + `x'; DROP USER root; --`,
		prefix + `x"; DROP ROLE postgres; --`,
		prefix + "x`; DROP DATABASE test; --",
		prefix + `back\slash`,
		prefix + `trail\`,
		prefix + "100%",
		prefix + "sp ace",
		prefix + "ünïcødé",
		prefix + "Mixed",
	}
}

func TestQuotedHostileNamesOnMariaDB(t *testing.T) {
	t.Parallel()
	db := openMySQL(t)
	ctx := context.Background()
	p := uniq(t)
	t.Cleanup(func() { cleanupMariaDB(t, db, p, "ssoflow_"+p) })
	for i, name := range hostileNames(p) {
		acc, err := QuoteMySQLAccount(name)
		if err != nil {
			t.Fatal(err)
		}
		role := fmt.Sprintf("%s_r%d%s", p, i, strings.TrimPrefix(name, p))
		qr, err := QuoteMySQLIdent(role)
		if err != nil {
			t.Fatal(err)
		}
		mustExec(t, db, "CREATE USER "+acc+" IDENTIFIED BY 'x'", "CREATE ROLE "+qr, "GRANT "+qr+" TO "+acc)
		var n int
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM mysql.roles_mapping WHERE User = ? AND Host = '%' AND Role = ?", name, role).Scan(&n); err != nil || n != 1 {
			t.Fatalf("%q: role mapping count %d, %v", name, n, err)
		}
		mustExec(t, db, "DROP USER "+acc, "DROP ROLE "+qr)
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM mysql.user WHERE User = ?", name).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%q: still %d accounts, %v", name, n, err)
		}
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM mysql.user WHERE User = 'root'").Scan(&n); err != nil || n == 0 {
		t.Fatalf("root accounts: %d, %v", n, err)
	}
}

func TestQuotedHostileNamesOnPostgres(t *testing.T) {
	t.Parallel()
	db := openPostgres(t)
	ctx := context.Background()
	p := uniq(t)
	t.Cleanup(func() { cleanupPostgres(t, db, p, "ssoflow_"+p) })
	for _, name := range hostileNames(p) {
		q, err := QuotePostgresIdent(name)
		if err != nil {
			t.Fatal(err)
		}
		mustExec(t, db, "CREATE ROLE "+q)
		var got string
		if err := db.QueryRowContext(ctx, "SELECT rolname FROM pg_roles WHERE rolname = $1", name).Scan(&got); err != nil || got != name {
			t.Fatalf("%q: pg_roles has %q, %v", name, got, err)
		}
		mustExec(t, db, "DROP ROLE "+q)
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM pg_roles WHERE rolname = 'postgres'").Scan(&n); err != nil || n != 1 {
		t.Fatalf("postgres role: %d, %v", n, err)
	}
}
