package dbusers_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ssoflow/ssoflow/functions/internal/awsconf"
	"github.com/ssoflow/ssoflow/functions/internal/dbconn"
	"github.com/ssoflow/ssoflow/functions/internal/dbplan"
	"github.com/ssoflow/ssoflow/functions/internal/dbuser"
	"github.com/ssoflow/ssoflow/functions/internal/dbusers"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/rdsmysql"
	"github.com/ssoflow/ssoflow/functions/internal/resolve"
)

// iamDB starts the embedded MySQL that verifies real RDS IAM tokens, with the roles the grants
// name, and returns a dbusers handler provisioning it over IAM and verified TLS.
func iamDB(t *testing.T, grants map[string][]string) (*rdsmysql.Server, *dbusers.Handler, *dbconn.Cache) {
	t.Helper()
	ctx := context.Background()
	creds := awsconf.Local().Credentials
	srv, err := rdsmysql.Start(ctx, rdsmysql.Options{Region: awsconf.LocalRegion, Credentials: creds, Database: "orders"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	cache := dbconn.NewCache(creds, nil)
	t.Cleanup(func() { cache.Close() })
	conn := func(d dbuser.DatabaseConfig) dbconn.Config {
		return dbconn.Config{Engine: dbconn.MySQL, Host: d.Host, Port: d.Port, Database: d.Database, User: d.ProvisionerUser, Region: awsconf.LocalRegion, CAPEM: srv.CAPEM()}
	}
	cfg := dbuser.DatabaseConfig{Name: "orders", Engine: "mysql", Host: srv.Host(), Port: srv.Port(), Database: "orders",
		Region: awsconf.LocalRegion, ProvisionerUser: rdsmysql.ProvisionerUser, UserNameRule: "email-local-lower", RolesActiveOnLogin: true, Grants: grants}
	pool, err := cache.Get(ctx, conn(cfg))
	if err != nil {
		t.Fatal(err)
	}
	for _, roles := range grants {
		for _, r := range roles {
			q, _ := dbuser.QuoteMySQLIdent(r)
			for _, stmt := range []string{"CREATE ROLE IF NOT EXISTS " + q, "GRANT SELECT ON `orders`.* TO " + q} {
				if _, err := pool.ExecContext(ctx, stmt); err != nil {
					t.Fatalf("%s: %v", stmt, err)
				}
			}
		}
	}
	h, err := dbusers.New([]dbuser.DatabaseConfig{cfg}, cache, conn, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return srv, h, cache
}

// login connects as user with that user's own IAM token over verified TLS.
func login(ctx context.Context, srv *rdsmysql.Server, user string) error {
	p, err := dbconn.Open(dbconn.Config{Engine: dbconn.MySQL, Host: srv.Host(), Port: srv.Port(), Database: "orders", User: user, Region: awsconf.LocalRegion, CAPEM: srv.CAPEM(), MaxOpenConns: 1}, aws.NewCredentialsCache(awsconf.Local().Credentials), nil)
	if err != nil {
		return err
	}
	defer p.Close()
	return p.PingContext(ctx)
}

// Must show 1 (issue 4): the created user logs in with a real BuildAuthToken token, checked by
// the server at login; after removal it cannot.
func TestIAMUserLogsInUntilMembershipEnds(t *testing.T) {
	ctx := context.Background()
	srv, h, _ := iamDB(t, map[string][]string{"AWS_DBA": {"dba"}, "AWS_Developers": {"app_read"}})
	jane := dbplan.DesiredUser{IdentityStoreUserID: "u-jane", UserName: "jane@example.com", Email: "Jane.Doe@example.com", Groups: []string{"AWS_DBA"}}
	res, err := h.Handle(ctx, resolve.DatabaseWork{Database: "orders", Users: []dbplan.DesiredUser{jane}})
	if err != nil {
		t.Fatalf("provision: %v (report %+v)", err, res.Report)
	}
	if got := res.Report.Users[0]; got.DBUser != "jane.doe" || !got.Has(dbuser.ActionCreated) {
		t.Fatalf("report %+v, want jane.doe created", got)
	}
	if err := login(ctx, srv, "jane.doe"); err != nil {
		t.Fatalf("jane.doe cannot log in with her IAM token: %v", err)
	}
	if err := login(ctx, srv, "sam"); err == nil {
		t.Fatal("a user ssoflow never created logged in")
	}

	jane.Groups = []string{}
	res, err = h.Handle(ctx, resolve.DatabaseWork{Database: "orders", Users: []dbplan.DesiredUser{jane}})
	if err != nil {
		t.Fatalf("remove: %v", err)
	}
	if !res.Report.Users[0].Has(dbuser.ActionDropped) {
		t.Fatalf("report %+v, want dropped", res.Report.Users[0])
	}
	if err := login(ctx, srv, "jane.doe"); err == nil {
		t.Fatal("jane.doe still logs in after her membership ended")
	}
}
