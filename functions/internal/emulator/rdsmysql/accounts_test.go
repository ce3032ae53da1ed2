package rdsmysql_test

import (
	"strings"
	"testing"

	"github.com/ssoflow/ssoflow/functions/internal/emulator/rdsmysql"
)

// An IAM account logs in only when it is exactly what RDS documents (AWSAuthenticationPlugin
// AS 'RDS'), whatever the token. (go-mysql-server parses ACCOUNT LOCK but does not keep it; the
// plugin's refusal of locked accounts is pinned by TestPluginRefusals.)
func TestIAMAccountRefusals(t *testing.T) {
	s := start(t)
	admin, err := login(s, rdsmysql.ProvisionerUser, token(t, s, rdsmysql.ProvisionerUser, creds), false)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	for _, stmt := range []string{
		"CREATE USER 'dave'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'IAM'",
		"CREATE USER 'erin'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'",
	} {
		if _, err := admin.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	db, err := login(s, "dave", token(t, s, "dave", creds), false)
	mustRefuse(t, "auth string other than 'RDS'", db, err)
	db, err = login(s, "erin", token(t, s, "erin", creds), false)
	if err != nil {
		t.Fatalf("an account created as documented, with its token: %v", err)
	}
	db.Close()
}

// User names are at most 32 characters (MySQL) and, for IAM, matched with their case: a token
// for 'bob' does not log in 'Bob', nor the other way round.
func TestUserNameLengthAndCase(t *testing.T) {
	s := start(t)
	admin, err := login(s, rdsmysql.ProvisionerUser, token(t, s, rdsmysql.ProvisionerUser, creds), false)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	create := func(name string) error {
		_, err := admin.Exec("CREATE USER '" + name + "'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'")
		return err
	}
	if err := create(strings.Repeat("a", 33)); err == nil {
		t.Error("CREATE USER with a 33-character name succeeded")
	}
	if err := create(strings.Repeat("a", 32)); err != nil {
		t.Errorf("CREATE USER with a 32-character name: %v", err)
	}
	if err := create("Bob"); err != nil {
		t.Fatal(err)
	}
	db, err := login(s, "bob", token(t, s, "bob", creds), false)
	mustRefuse(t, "'bob' for the account 'Bob'", db, err)
	db, err = login(s, "Bob", token(t, s, "bob", creds), false)
	mustRefuse(t, "a token for 'bob' used as 'Bob'", db, err)
	db, err = login(s, "Bob", token(t, s, "Bob", creds), false)
	if err != nil {
		t.Fatalf("'Bob' with a token for 'Bob': %v", err)
	}
	db.Close()
}
