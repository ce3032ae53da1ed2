package rdsmysql

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/dolthub/go-mysql-server/sql/mysql_db"
	"github.com/dolthub/vitess/go/mysql"

	"github.com/ssoflow/ssoflow/functions/internal/rdstoken"
)

// PluginName is the authentication plugin RDS uses for IAM database users:
// CREATE USER 'u'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'.
const PluginName = "AWSAuthenticationPlugin"

// PluginAuthString is the authentication string RDS requires with PluginName.
const PluginAuthString = "RDS"

// iamPlugin verifies RDS IAM tokens for users whose plugin is AWSAuthenticationPlugin.
// go-mysql-server calls it from its mysql_clear_password auth method (the token travels in
// clear text, which tlsOnlyMethod allows only inside TLS).
type iamPlugin struct {
	region string
	creds  aws.CredentialsProvider
	now    func() time.Time
	// host and port are the endpoint tokens must be signed for; set before accepting.
	host string
	port int
}

var _ mysql_db.PlaintextAuthPlugin = (*iamPlugin)(nil)

// Authenticate implements mysql_db.PlaintextAuthPlugin.
func (p *iamPlugin) Authenticate(_ *mysql_db.MySQLDb, user string, entry *mysql_db.User, token string) (bool, error) {
	if entry == nil || entry.Locked {
		return false, fmt.Errorf("account %q is unknown or locked", user)
	}
	if entry.AuthString != PluginAuthString {
		return false, fmt.Errorf("account %q uses %s with auth string %q, want %q", user, PluginName, entry.AuthString, PluginAuthString)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	creds, err := p.creds.Retrieve(ctx)
	if err != nil {
		return false, fmt.Errorf("retrieve verifier credentials: %w", err)
	}
	if err := rdstoken.Verify(token, p.host, p.port, user, p.region, creds, p.now()); err != nil {
		return false, fmt.Errorf("IAM token refused: %w", err)
	}
	return true, nil
}

// tlsOnlyAuthServer is go-mysql-server's auth server with its clear-text method wrapped so that a
// password (an IAM token) is never accepted outside TLS, whatever auth method the client asks
// for first: vitess checks TLS only when it switches the client to mysql_clear_password, not
// when a client offers mysql_clear_password itself.
type tlsOnlyAuthServer struct {
	mysql.AuthServer
	methods []mysql.AuthMethod
}

func newTLSOnlyAuthServer(inner mysql.AuthServer, logins *atomic.Int64) *tlsOnlyAuthServer {
	a := &tlsOnlyAuthServer{AuthServer: inner}
	for _, m := range inner.AuthMethods() {
		if m.Name() == mysql.MysqlClearPassword {
			m = &tlsOnlyMethod{AuthMethod: m, logins: logins}
		}
		a.methods = append(a.methods, m)
	}
	return a
}

// AuthMethods implements mysql.AuthServer.
func (a *tlsOnlyAuthServer) AuthMethods() []mysql.AuthMethod { return a.methods }

type tlsOnlyMethod struct {
	mysql.AuthMethod
	logins *atomic.Int64
}

// HandleAuthPluginData refuses clear-text credentials on a connection without TLS, then
// delegates to go-mysql-server (which calls iamPlugin) and counts successful logins.
func (m *tlsOnlyMethod) HandleAuthPluginData(conn *mysql.Conn, user string, serverData, clientData []byte, remote net.Addr) (mysql.Getter, error) {
	if !conn.TLSEnabled() {
		return nil, mysql.NewSQLError(mysql.ERAccessDeniedError, mysql.SSAccessDeniedError,
			"Access denied for user '%v': IAM authentication requires TLS", user)
	}
	g, err := m.AuthMethod.HandleAuthPluginData(conn, user, serverData, clientData, remote)
	if err == nil {
		m.logins.Add(1)
	}
	return g, err
}

// AllowClearTextWithoutTLS implements mysql.AuthMethod: never.
func (m *tlsOnlyMethod) AllowClearTextWithoutTLS() bool { return false }

// countingListener counts the TCP connections the server accepts.
type countingListener struct {
	net.Listener
	accepted *atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.accepted.Add(1)
	}
	return c, err
}
