package rdsmysql_test

import (
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
