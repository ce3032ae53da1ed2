package rdsmysql_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/rds/auth"
	"github.com/go-sql-driver/mysql"

	"github.com/ssoflow/ssoflow/functions/internal/emulator/rdsmysql"
	"github.com/ssoflow/ssoflow/functions/internal/rdstoken"
)

const region = "eu-west-1"

var creds = credentials.NewStaticCredentialsProvider("AKIDEMULATOR", "emulator-secret-key", "")

func start(t testing.TB) *rdsmysql.Server {
	t.Helper()
	s, err := rdsmysql.Start(context.Background(), rdsmysql.Options{Region: region, Credentials: creds, Database: "app"})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func token(t testing.TB, s *rdsmysql.Server, user string, p aws.CredentialsProvider) string {
	t.Helper()
	tok, err := auth.BuildAuthToken(context.Background(), s.Addr(), region, user, p)
	if err != nil {
		t.Fatalf("BuildAuthToken: %v", err)
	}
	return tok
}

// login opens one connection as user with password pw, over TLS verified against the
// emulator's CA unless plain is set, and runs a query.
func login(s *rdsmysql.Server, user, pw string, plain bool) (*sql.DB, error) {
	cfg := mysql.NewConfig()
	cfg.Net, cfg.Addr, cfg.User, cfg.Passwd = "tcp", s.Addr(), user, pw
	cfg.AllowCleartextPasswords = true
	if !plain {
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(s.CAPEM()) {
			return nil, errors.New("CAPEM has no certificate")
		}
		cfg.TLS = &tls.Config{RootCAs: roots, ServerName: s.Host(), MinVersion: tls.VersionTLS12}
	}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(1)
	var one int
	if err := db.QueryRow("SELECT 1").Scan(&one); err != nil {
		db.Close()
		return nil, err
	}
	if one != 1 {
		db.Close()
		return nil, errors.New("SELECT 1 did not return 1")
	}
	return db, nil
}

func mustRefuse(t *testing.T, what string, db *sql.DB, err error) {
	t.Helper()
	if err == nil {
		db.Close()
		t.Fatalf("%s: login succeeded, want refusal", what)
	}
	// The server itself refused: 1045 access denied (bad token, or no TLS for a clear-text
	// token), or 2012 when no auth method applies (unknown user).
	var me *mysql.MySQLError
	if !errors.As(err, &me) || (me.Number != 1045 && me.Number != 2012) {
		t.Fatalf("%s: want a server refusal (1045/2012), got %v", what, err)
	}
	t.Logf("%s: refused: %v", what, err)
}

func TestIAMLoginLifecycle(t *testing.T) {
	s := start(t)
	ctx := context.Background()

	admin, err := login(s, rdsmysql.ProvisionerUser, token(t, s, rdsmysql.ProvisionerUser, creds), false)
	if err != nil {
		t.Fatalf("provisioner login: %v", err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "CREATE USER 'alice'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'"); err != nil {
		t.Fatalf("CREATE USER: %v", err)
	}
	var plugin, authStr string
	if err := admin.QueryRowContext(ctx, "SELECT plugin, authentication_string FROM mysql.user WHERE user = 'alice'").Scan(&plugin, &authStr); err != nil {
		t.Fatalf("read mysql.user: %v", err)
	}
	if plugin != rdsmysql.PluginName || authStr != rdsmysql.PluginAuthString {
		t.Fatalf("alice plugin %q auth %q", plugin, authStr)
	}

	alice, err := login(s, "alice", token(t, s, "alice", creds), false)
	if err != nil {
		t.Fatalf("alice with her token: %v", err)
	}
	var who string
	if err := alice.QueryRowContext(ctx, "SELECT CURRENT_USER()").Scan(&who); err != nil || !strings.HasPrefix(who, "alice@") {
		t.Fatalf("CURRENT_USER() = %q, %v", who, err)
	}
	alice.Close()

	other := credentials.NewStaticCredentialsProvider("AKIDOTHER", "other-secret", "")
	wrongSecret := credentials.NewStaticCredentialsProvider("AKIDEMULATOR", "not-the-secret", "")
	static, _ := creds.Retrieve(ctx)
	expired, err := rdstoken.BuildAt(ctx, s.Addr(), region, "alice", static, time.Now().Add(-20*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	otherPort, err := auth.BuildAuthToken(ctx, "127.0.0.1:1", region, "alice", creds)
	if err != nil {
		t.Fatal(err)
	}
	refusals := map[string]string{
		"token for another user":       token(t, s, rdsmysql.ProvisionerUser, creds),
		"token from other credentials": token(t, s, "alice", other),
		"token with a wrong secret":    token(t, s, "alice", wrongSecret),
		"expired token":                expired,
		"token for another endpoint":   otherPort,
		"not a token":                  "hunter2",
		"empty password":               "",
	}
	for what, pw := range refusals {
		db, err := login(s, "alice", pw, false)
		mustRefuse(t, what, db, err)
	}
	// A valid token is refused without TLS.
	db, err := login(s, "alice", token(t, s, "alice", creds), true)
	mustRefuse(t, "valid token without TLS", db, err)

	if _, err := admin.ExecContext(ctx, "DROP USER IF EXISTS 'alice'@'%'"); err != nil {
		t.Fatalf("DROP USER: %v", err)
	}
	db, err = login(s, "alice", token(t, s, "alice", creds), false)
	mustRefuse(t, "dropped user", db, err)
}

func TestCountsConnectionsAndLogins(t *testing.T) {
	s := start(t)
	before, logins := s.Connections(), s.Logins()
	db, err := login(s, rdsmysql.ProvisionerUser, token(t, s, rdsmysql.ProvisionerUser, creds), false)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	refused, err := login(s, rdsmysql.ProvisionerUser, "hunter2", false)
	mustRefuse(t, "bad token", refused, err)
	if got := s.Connections() - before; got != 2 {
		t.Errorf("accepted %d connections, want 2", got)
	}
	if got := s.Logins() - logins; got != 1 {
		t.Errorf("%d successful logins, want 1", got)
	}
}

func TestUnknownPluginRefused(t *testing.T) {
	s := start(t)
	admin, err := login(s, rdsmysql.ProvisionerUser, token(t, s, rdsmysql.ProvisionerUser, creds), false)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE USER 'bob'@'%' IDENTIFIED WITH NoSuchPlugin AS 'x'"); err == nil {
		t.Fatal("CREATE USER with an unregistered plugin succeeded")
	}
}

func TestStartValidates(t *testing.T) {
	if _, err := rdsmysql.Start(context.Background(), rdsmysql.Options{Region: region, Database: "app"}); err == nil {
		t.Fatal("Start without credentials succeeded")
	}
}
