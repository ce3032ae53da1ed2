package cli_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/rds/auth"
	"github.com/go-sql-driver/mysql"

	"github.com/ssoflow/ssoflow/functions/internal/cli"
	"github.com/ssoflow/ssoflow/functions/internal/dbtoken"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/rdsmysql"
	"github.com/ssoflow/ssoflow/functions/internal/rdstoken"
)

const (
	tokRegion = "eu-west-1"
	tokKey    = "AKIDDEVELOPER0000001"
	tokSecret = "developer/secret/key/for/the/test/only0"
)

// dbTokenWorld is a developer's laptop: a shared config with an "sso-dev" profile (static keys
// stand in for what `aws sso login` caches), a CA bundle file, and an RDS-like MySQL server that
// checks IAM tokens signed with those keys and has the user alice.
type dbTokenWorld struct {
	srv  *rdsmysql.Server
	vars map[string]string
	ca   string
}

func newDBTokenWorld(t *testing.T) *dbTokenWorld {
	t.Helper()
	ctx := context.Background()
	creds := credentials.NewStaticCredentialsProvider(tokKey, tokSecret, "")
	srv, err := rdsmysql.Start(ctx, rdsmysql.Options{Region: tokRegion, Credentials: creds, Database: "app"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	admin, err := auth.BuildAuthToken(ctx, srv.Addr(), tokRegion, rdsmysql.ProvisionerUser, creds)
	if err != nil {
		t.Fatal(err)
	}
	db, err := openMySQL(srv, rdsmysql.ProvisionerUser, admin)
	if err != nil {
		t.Fatalf("provisioner login: %v", err)
	}
	if _, err := db.Exec("CREATE USER 'alice'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	w := &dbTokenWorld{srv: srv, ca: write("global-bundle.pem", string(srv.CAPEM()))}
	w.vars = map[string]string{
		"HOME":                        dir,
		"AWS_CONFIG_FILE":             write("config", "[profile sso-dev]\nregion = "+tokRegion+"\n"),
		"AWS_SHARED_CREDENTIALS_FILE": write("credentials", "[sso-dev]\naws_access_key_id = "+tokKey+"\naws_secret_access_key = "+tokSecret+"\n"),
		"SSOFLOW_RDS_CA":              w.ca,
	}
	return w
}

// run runs `ssoflow db-token` for alice with the sso-dev profile and extra flags.
func (w *dbTokenWorld) run(t *testing.T, extra ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return w.vars[k] }}
	args := append([]string{"db-token", "--host", w.srv.Host(), "--port", strconv.Itoa(w.srv.Port()), "--user", "alice", "--profile", "sso-dev"}, extra...)
	code := cli.Main(context.Background(), args, env)
	return out.String(), errOut.String(), code
}

func openMySQL(srv *rdsmysql.Server, user, password string) (*sql.DB, error) {
	cfg := mysql.NewConfig()
	cfg.Net, cfg.Addr, cfg.User, cfg.Passwd, cfg.AllowCleartextPasswords = "tcp", srv.Addr(), user, password, true
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(srv.CAPEM())
	cfg.TLS = &tls.Config{RootCAs: roots, ServerName: srv.Host(), MinVersion: tls.VersionTLS12}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(conn)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func verify(t *testing.T, w *dbTokenWorld, token string) {
	t.Helper()
	static := aws.Credentials{AccessKeyID: tokKey, SecretAccessKey: tokSecret}
	if err := rdstoken.Verify(token, w.srv.Host(), w.srv.Port(), "alice", tokRegion, static, time.Now()); err != nil {
		t.Fatalf("token does not verify: %v\n%s", err, token)
	}
}

// Must show 3: the raw token verifies (signature, expiry, DBUser) and logs alice in over TLS.
func TestDBTokenRawLogsIn(t *testing.T) {
	w := newDBTokenWorld(t)
	out, errOut, code := w.run(t)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	token := strings.TrimSuffix(out, "\n")
	verify(t, w, token)
	db, err := openMySQL(w.srv, "alice", token)
	if err != nil {
		t.Fatalf("alice cannot log in with the printed token: %v", err)
	}
	defer db.Close()
	var who string
	if err := db.QueryRow("SELECT CURRENT_USER()").Scan(&who); err != nil || !strings.HasPrefix(who, "alice@") {
		t.Errorf("CURRENT_USER() = %q, %v", who, err)
	}
}

// The printed `mariadb` command line, run by the real client, gets a prompt (here: a query)
// over TLS verified against the CA bundle.
func TestDBTokenMariaDBCommandLineLogsIn(t *testing.T) {
	w := newDBTokenWorld(t)
	out, errOut, code := w.run(t, "--format", "mariadb")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	line := strings.TrimSpace(out)
	if !strings.HasPrefix(line, "MYSQL_PWD='") || !strings.Contains(line, " mariadb --host='127.0.0.1' --port="+strconv.Itoa(w.srv.Port())+" --user='alice' --ssl --ssl-verify-server-cert --ssl-ca='"+w.ca+"'") {
		t.Fatalf("command line %q", line)
	}
	res, err := exec.Command("sh", "-c", line+" --batch --skip-column-names -e 'SELECT CURRENT_USER()'").CombinedOutput()
	if err != nil || !strings.HasPrefix(strings.TrimSpace(string(res)), "alice@") {
		t.Fatalf("running the printed command: %v\n%s", err, res)
	}
}

// The env format is valid shell: after eval, MYSQL_PWD and PGPASSWORD are the verified token and
// the libpq variables ask for a verified TLS connection.
func TestDBTokenEnvEvaluates(t *testing.T) {
	w := newDBTokenWorld(t)
	out, errOut, code := w.run(t, "--format", "env", "--database", "app")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	res, err := exec.Command("sh", "-c", out+`printf '%s\n' "$MYSQL_PWD" "$PGPASSWORD" "$PGHOST:$PGPORT" "$PGUSER" "$PGSSLMODE" "$PGSSLROOTCERT" "$PGDATABASE"`).Output()
	if err != nil {
		t.Fatalf("sh: %v\n%s", err, out)
	}
	got := strings.Split(strings.TrimSuffix(string(res), "\n"), "\n")
	verify(t, w, got[0])
	want := []string{got[0], got[0], w.srv.Addr(), "alice", "verify-full", w.ca, "app"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("after eval: %q, want %q", got, want)
	}
}

// The JSON credential document holds the login and when to fetch a new one.
func TestDBTokenCredentialDocument(t *testing.T) {
	w := newDBTokenWorld(t)
	before := time.Now()
	out, errOut, code := w.run(t, "--format", "credential-process")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc dbtoken.Credential
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	verify(t, w, doc.Password)
	exp, err := time.Parse(time.RFC3339, doc.Expiration)
	if err != nil || doc.Version != 1 || doc.Username != "alice" || doc.Host != w.srv.Host() || doc.Port != w.srv.Port() || doc.Region != tokRegion ||
		exp.Before(before.Add(14*time.Minute)) || exp.After(before.Add(16*time.Minute)) {
		t.Errorf("document %+v (expiration %v), want alice's login valid about 15 minutes", doc, err)
	}
	if db, err := openMySQL(w.srv, doc.Username, doc.Password); err != nil {
		t.Errorf("login with the document's password: %v", err)
	} else {
		db.Close()
	}
}

func TestDBTokenErrors(t *testing.T) {
	w := newDBTokenWorld(t)
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown format", []string{"--format", "yaml"}, 1, `unknown --format "yaml": use one of raw, env, mysql, mariadb, psql, credential-process`},
		{"unknown profile", []string{"--profile", "nope"}, 1, `of profile "nope"`},
		{"missing CA", []string{"--format", "psql", "--ca", "/nonexistent/global-bundle.pem"}, 1,
			"CA bundle /nonexistent/global-bundle.pem: stat /nonexistent/global-bundle.pem: no such file or directory (download https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"},
		{"host with port", []string{"--host", "db.example.com:3306"}, 1, `includes a port`},
		{"stray argument", []string{"extra"}, 2, `Usage: ssoflow db-token`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := w.run(t, tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.want) || out != "" {
				t.Errorf("exit %d, stderr %q, stdout %q; want exit %d and %q", code, errOut, out, tc.code, tc.want)
			}
		})
	}
	var out, errOut bytes.Buffer
	env := &cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}
	if code := cli.Main(context.Background(), []string{"db-token", "--host", "db.example.com"}, env); code != 2 || !strings.Contains(errOut.String(), "--host, --port and --user are required") {
		t.Errorf("missing flags: exit %d, %q", code, errOut.String())
	}
}
