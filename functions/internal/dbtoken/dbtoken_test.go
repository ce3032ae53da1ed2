package dbtoken_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ssoflow/ssoflow/functions/internal/dbtoken"
	"github.com/ssoflow/ssoflow/functions/internal/rdstoken"
)

func TestRegionFromHost(t *testing.T) {
	for host, want := range map[string]string{
		"orders-prod.abcdefghijkl.us-east-1.rds.amazonaws.com":    "us-east-1",
		"app.cluster-ro-abcdefghijkl.eu-west-2.rds.amazonaws.com": "eu-west-2",
		"db.abcdefghijkl.us-gov-west-1.rds.amazonaws.com":         "us-gov-west-1",
		"db.abcdefghijkl.cn-north-1.rds.amazonaws.com.cn":         "cn-north-1",
		"127.0.0.1":               "",
		"db.internal.example.com": "",
		"orders.us-east-1.rds.amazonaws.com.evil.example": "",
	} {
		if got := dbtoken.RegionFromHost(host); got != want {
			t.Errorf("RegionFromHost(%q) = %q, want %q", host, got, want)
		}
	}
}

// ShellQuote output read back by a real shell is the original string, whatever it holds.
func TestShellQuoteRoundTrip(t *testing.T) {
	values := []string{"", "plain", "it's", "'", "''", `a\b`, "$HOME `id` $(id)", "x&y;z|w", "new\nline", "*?[a]", `"quoted"`,
		"db.example.com:3306/?Action=connect&DBUser=alice&X-Amz-Signature=abc%2F"}
	var script strings.Builder
	for _, v := range values {
		script.WriteString("printf '%s\\0' " + dbtoken.ShellQuote(v) + "\n")
	}
	out, err := exec.Command("sh", "-c", script.String()).Output()
	if err != nil {
		t.Fatalf("sh: %v", err)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	if len(got) != len(values) {
		t.Fatalf("got %d values back, want %d: %q", len(got), len(values), got)
	}
	for i := range values {
		if got[i] != values[i] {
			t.Errorf("round trip of %q gave %q", values[i], got[i])
		}
	}
}

func token(t *testing.T, creds aws.Credentials) *dbtoken.Token {
	t.Helper()
	r := dbtoken.Request{Host: "orders.abcdefghijkl.eu-west-1.rds.amazonaws.com", Port: 5432, User: "o'brien", Region: "eu-west-1", Profile: "dev"}
	tok, err := dbtoken.FromCredentials(context.Background(), r, aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil }))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// The token expires 15 minutes after signing, or when the signing credentials do if sooner.
func TestExpiryFollowsCredentials(t *testing.T) {
	creds := aws.Credentials{AccessKeyID: "ASIADEV", SecretAccessKey: "secret", SessionToken: "session"}
	start := time.Now()
	long := token(t, creds)
	if err := rdstoken.Verify(long.Password, long.Host, 5432, "o'brien", "eu-west-1", creds, start); err != nil {
		t.Fatalf("token does not verify: %v", err)
	}
	if d := long.Expires.Sub(start); d < 14*time.Minute || d > 15*time.Minute+time.Second {
		t.Errorf("expires in %v, want 15 minutes", d)
	}
	creds.CanExpire, creds.Expires = true, start.Add(3*time.Minute).Truncate(time.Second)
	if short := token(t, creds); !short.Expires.Equal(creds.Expires.UTC()) {
		t.Errorf("expires %v, want the credentials' expiry %v", short.Expires, creds.Expires)
	}
}

func TestFormats(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "rds ca.pem")
	if err := os.WriteFile(ca, []byte("-----BEGIN CERTIFICATE-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tok := &dbtoken.Token{Host: "db.x.eu-west-1.rds.amazonaws.com", Port: 5432, User: "o'brien", Region: "eu-west-1",
		Password: "db.x.eu-west-1.rds.amazonaws.com:5432/?Action=connect&X-Amz-Signature=ab", Expires: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	q := dbtoken.ShellQuote
	for format, want := range map[string]string{
		dbtoken.FormatRaw: tok.Password + "\n",
		dbtoken.FormatPsql: "PGPASSWORD=" + q(tok.Password) + " psql " +
			q("host=db.x.eu-west-1.rds.amazonaws.com port=5432 user='o\\'brien' sslmode=verify-full sslrootcert='"+ca+"' dbname=orders") + "\n",
		dbtoken.FormatMySQL: "MYSQL_PWD=" + q(tok.Password) + " mysql --host='db.x.eu-west-1.rds.amazonaws.com' --port=5432 --user='o'\\''brien'" +
			" --enable-cleartext-plugin --ssl-mode=VERIFY_IDENTITY --ssl-ca=" + q(ca) + " --database='orders'\n",
		dbtoken.FormatCredentialProcess: `{"Version":1,"Host":"db.x.eu-west-1.rds.amazonaws.com","Port":5432,"Region":"eu-west-1","Username":"o'brien",` +
			`"Password":"db.x.eu-west-1.rds.amazonaws.com:5432/?Action=connect\u0026X-Amz-Signature=ab","Expiration":"2030-01-02T03:04:05Z"}` + "\n",
	} {
		var b bytes.Buffer
		if err := dbtoken.Write(&b, tok, dbtoken.Output{Format: format, CAFile: ca, Database: "orders"}); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if b.String() != want {
			t.Errorf("%s:\n got %s\nwant %s", format, b.String(), want)
		}
	}
	var b bytes.Buffer
	err := dbtoken.Write(&b, tok, dbtoken.Output{Format: dbtoken.FormatPsql, CAFile: filepath.Join(t.TempDir(), "missing.pem")})
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "global-bundle.pem") || b.Len() != 0 {
		t.Errorf("missing CA: %v, output %q", err, b.String())
	}
}

func TestRequestErrorsNameTheFlag(t *testing.T) {
	_, err := dbtoken.FromCredentials(context.Background(), dbtoken.Request{Port: 70000, Region: "eu-west-1"},
		aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return aws.Credentials{}, nil }))
	for _, want := range []string{"(--host)", "port must be 1-65535 (--port), got 70000", "(--user)"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want %q", err, want)
		}
	}
	_, err = dbtoken.FromCredentials(context.Background(), dbtoken.Request{Host: "h", Port: 1, User: "u", Region: "eu-west-1", Profile: "dev"},
		aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return aws.Credentials{}, errors.New("token expired") }))
	if err == nil || !strings.Contains(err.Error(), "aws sso login --profile dev") {
		t.Errorf("expired SSO session: err = %v, want the aws sso login hint", err)
	}
}
