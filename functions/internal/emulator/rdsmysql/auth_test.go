package rdsmysql

import (
	"errors"
	"net"
	"sync/atomic"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"
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
