package rdsmysql

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/mysql_db"
	"github.com/dolthub/vitess/go/mysql"

	"github.com/ssoflow/ssoflow/functions/internal/rdstoken"
)

// recordingMethod stands in for go-mysql-server's clear-text method behind the TLS guard.
type recordingMethod struct {
	mysql.AuthMethod
	calls int
}

func (m *recordingMethod) Name() mysql.AuthMethodDescription { return mysql.MysqlClearPassword }

func (m *recordingMethod) HandleAuthPluginData(_ *mysql.Conn, user string, _, _ []byte, _ net.Addr) (mysql.Getter, error) {
	m.calls++
	return sql.MysqlConnectionUser{User: user, Host: "127.0.0.1"}, nil
}

// TestClearTextNeedsTLS covers a client that offers mysql_clear_password in its first packet
// (vitess only checks TLS when it switches a client to that method itself).
func TestClearTextNeedsTLS(t *testing.T) {
	inner := &recordingMethod{}
	var logins atomic.Int64
	m := &tlsOnlyMethod{AuthMethod: inner, logins: &logins}
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}

	plain := &mysql.Conn{}
	_, err := m.HandleAuthPluginData(plain, "alice", nil, []byte("token\x00"), addr)
	var se *mysql.SQLError
	if !errors.As(err, &se) || se.Number() != mysql.ERAccessDeniedError {
		t.Fatalf("clear text without TLS: got %v, want access denied", err)
	}
	if inner.calls != 0 || logins.Load() != 0 {
		t.Fatalf("token reached the verifier without TLS (calls %d, logins %d)", inner.calls, logins.Load())
	}

	secure := &mysql.Conn{Capabilities: mysql.CapabilityClientSSL}
	if _, err := m.HandleAuthPluginData(secure, "alice", nil, []byte("token\x00"), addr); err != nil {
		t.Fatalf("with TLS: %v", err)
	}
	if inner.calls != 1 || logins.Load() != 1 {
		t.Fatalf("with TLS: calls %d, logins %d, want 1 and 1", inner.calls, logins.Load())
	}
	if m.AllowClearTextWithoutTLS() {
		t.Fatal("AllowClearTextWithoutTLS must be false")
	}
}

// TestPluginRefusals covers the account checks made before a token is verified: no account, a
// locked account, an auth string other than 'RDS'; and that a valid token for the account, the
// endpoint and the region is accepted.
func TestPluginRefusals(t *testing.T) {
	at := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	static := aws.Credentials{AccessKeyID: "AKIDEMULATOR", SecretAccessKey: "emulator-secret-key"}
	p := &iamPlugin{region: "eu-west-1", creds: credentials.StaticCredentialsProvider{Value: static}, now: func() time.Time { return at }, host: "127.0.0.1", port: 3306}
	tok, err := rdstoken.BuildAt(context.Background(), "127.0.0.1:3306", "eu-west-1", "alice", static, at)
	if err != nil {
		t.Fatal(err)
	}
	iam := &mysql_db.User{User: "alice", Host: "%", Plugin: PluginName, AuthString: PluginAuthString}
	if ok, err := p.Authenticate(nil, "alice", iam, tok); !ok || err != nil {
		t.Fatalf("valid token: %v %v", ok, err)
	}
	locked := *iam
	locked.Locked = true
	other := *iam
	other.AuthString = "IAM"
	for what, entry := range map[string]*mysql_db.User{"no account": nil, "locked account": &locked, "auth string other than RDS": &other} {
		if ok, err := p.Authenticate(nil, "alice", entry, tok); ok || err == nil {
			t.Errorf("%s: accepted", what)
		}
	}
	if ok, err := p.Authenticate(nil, "alice", iam, tok[:len(tok)-1]); ok || !errors.Is(err, rdstoken.ErrMalformed) {
		t.Errorf("truncated token: %v %v, want ErrMalformed", ok, err)
	}
	p.now = func() time.Time { return at.Add(rdstoken.MaxExpires) }
	if ok, err := p.Authenticate(nil, "alice", iam, tok); ok || !errors.Is(err, rdstoken.ErrExpired) {
		t.Errorf("token at its expiry: %v %v, want ErrExpired", ok, err)
	}
}
