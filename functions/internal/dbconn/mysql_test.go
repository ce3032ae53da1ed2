package dbconn_test

import (
	"context"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/go-sql-driver/mysql"

	"github.com/ssoflow/ssoflow/functions/internal/dbconn"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/rdsmysql"
	"github.com/ssoflow/ssoflow/functions/internal/errs"
)

const region = "eu-west-1"

var creds = credentials.NewStaticCredentialsProvider("AKIDDBCONN", "dbconn-secret-key", "")

func startEmulator(t *testing.T) *rdsmysql.Server {
	t.Helper()
	s, err := rdsmysql.Start(context.Background(), rdsmysql.Options{Region: region, Credentials: creds, Database: "app"})
	if err != nil {
		t.Fatalf("start emulator: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close emulator: %v", err)
		}
	})
	return s
}

func mysqlConfig(s *rdsmysql.Server, user string) dbconn.Config {
	return dbconn.Config{
		Engine: dbconn.MySQL, Host: s.Host(), Port: s.Port(), Database: "app",
		User: user, Region: region, CAPEM: s.CAPEM(),
	}
}

// refused asserts that err is the server refusing the login (not a client-side failure).
func refused(t *testing.T, what string, err error) {
	t.Helper()
	var me *mysql.MySQLError
	if !errors.As(err, &me) || (me.Number != 1045 && me.Number != 2012) {
		t.Fatalf("%s: want a server refusal, got %v", what, err)
	}
}

func TestIAMUserLifecycle(t *testing.T) {
	s := startEmulator(t)
	ctx := context.Background()
	cache := dbconn.NewCache(creds, nil)
	defer cache.Close()

	admin, err := cache.Get(ctx, mysqlConfig(s, rdsmysql.ProvisionerUser))
	if err != nil {
		t.Fatalf("Get provisioner pool: %v", err)
	}
	if err := admin.PingContext(ctx); err != nil {
		t.Fatalf("provisioner login with IAM token over verified TLS: %v", err)
	}
	for _, q := range []string{
		"CREATE USER 'app_alice'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'",
		"GRANT SELECT ON app.* TO 'app_alice'@'%'",
	} {
		if _, err := admin.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}

	alice, err := dbconn.Open(mysqlConfig(s, "app_alice"), creds, nil)
	if err != nil {
		t.Fatal(err)
	}
	var who string
	if err := alice.QueryRowContext(ctx, "SELECT CURRENT_USER()").Scan(&who); err != nil {
		t.Fatalf("app_alice login with her own token: %v", err)
	}
	// go-mysql-server reports the client address where MySQL would report the account host.
	if !strings.HasPrefix(who, "app_alice@") {
		t.Fatalf("CURRENT_USER() = %q", who)
	}
	alice.Close()

	other := credentials.NewStaticCredentialsProvider("AKIDOTHER", "other-secret", "")
	wrongSecret := credentials.NewStaticCredentialsProvider("AKIDDBCONN", "not-the-secret", "")
	for name, p := range map[string]aws.CredentialsProvider{"other credentials": other, "wrong secret": wrongSecret} {
		pool, err := dbconn.Open(mysqlConfig(s, "app_alice"), p, nil)
		if err != nil {
			t.Fatal(err)
		}
		refused(t, name, pool.PingContext(ctx))
		pool.Close()
	}

	if _, err := admin.ExecContext(ctx, "DROP USER IF EXISTS 'app_alice'@'%'"); err != nil {
		t.Fatalf("DROP USER: %v", err)
	}
	gone, err := dbconn.Open(mysqlConfig(s, "app_alice"), creds, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer gone.Close()
	refused(t, "dropped user", gone.PingContext(ctx))
}

func TestTLSIsVerified(t *testing.T) {
	s := startEmulator(t)
	otherCA := startEmulator(t)
	ctx := context.Background()

	wrongCA := mysqlConfig(s, rdsmysql.ProvisionerUser)
	wrongCA.CAPEM = otherCA.CAPEM()
	systemOnly := mysqlConfig(s, rdsmysql.ProvisionerUser)
	systemOnly.CAPEM = nil
	for name, cfg := range map[string]dbconn.Config{"another CA": wrongCA, "system pool only": systemOnly} {
		p, err := dbconn.Open(cfg, creds, nil)
		if err != nil {
			t.Fatal(err)
		}
		err = p.PingContext(ctx)
		p.Close()
		var unknown x509.UnknownAuthorityError
		if !errors.As(err, &unknown) {
			t.Fatalf("%s: want x509.UnknownAuthorityError, got %v", name, err)
		}
	}
	if got := s.Logins(); got != 0 {
		t.Fatalf("%d logins reached the server through an unverified TLS", got)
	}
}

func TestWarmPoolIsReused(t *testing.T) {
	s := startEmulator(t)
	ctx := context.Background()
	cache := dbconn.NewCache(creds, nil)
	defer cache.Close()
	cfg := mysqlConfig(s, rdsmysql.ProvisionerUser)

	first, err := cache.Get(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := first.ExecContext(ctx, "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	conns, logins := s.Connections(), s.Logins()

	// A warm invocation: same cache, same database.
	second, err := cache.Get(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if second != first {
		t.Fatal("second Get returned a different pool")
	}
	if _, err := second.ExecContext(ctx, "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	if s.Connections() != conns || s.Logins() != logins || second.Opened() != 1 {
		t.Fatalf("warm call opened connections: server %d→%d, logins %d→%d, pool opened %d",
			conns, s.Connections(), logins, s.Logins(), second.Opened())
	}

	// Each new physical connection logs in with its own token.
	c1, err := second.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	c2, err := second.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if second.Opened() != 2 || second.TokensBuilt() != 2 || s.Logins() != logins+1 {
		t.Fatalf("second concurrent connection: pool opened %d, server logins %d (want 2, %d)", second.Opened(), s.Logins(), logins+1)
	}
	if st := second.Stats(); st.MaxOpenConnections != dbconn.DefaultMaxOpenConns {
		t.Fatalf("MaxOpenConnections = %d", st.MaxOpenConnections)
	}
}

func TestConfigErrors(t *testing.T) {
	good := dbconn.Config{Engine: dbconn.MySQL, Host: "db.example", Port: 3306, Database: "app", User: "u", Region: region}
	bad := map[string]func(*dbconn.Config){
		"engine":         func(c *dbconn.Config) { c.Engine = "oracle" },
		"port":           func(c *dbconn.Config) { c.Port = 0 },
		"user":           func(c *dbconn.Config) { c.User = "" },
		"lifetime 15min": func(c *dbconn.Config) { c.ConnMaxLifetime = 15 * time.Minute },
		"CA not PEM":     func(c *dbconn.Config) { c.CAPEM = []byte("not a certificate") },
		"CA file":        func(c *dbconn.Config) { c.CAFile = "/nonexistent/global-bundle.pem" },
	}
	for name, mutate := range bad {
		cfg := good
		mutate(&cfg)
		_, err := dbconn.Open(cfg, creds, nil)
		var ce *errs.ConfigError
		if !errors.As(err, &ce) {
			t.Errorf("%s: want ConfigError, got %v", name, err)
		}
	}
	if _, err := dbconn.Open(good, nil, nil); err == nil {
		t.Error("nil credentials accepted")
	}
}
