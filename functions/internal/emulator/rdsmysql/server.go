// Package rdsmysql is an embedded MySQL-compatible server (go-mysql-server) that behaves like an
// RDS MySQL instance with IAM database authentication, for tests and the local demo:
//
//   - it listens on 127.0.0.1:<free port> with TLS from a freshly generated CA (CAPEM);
//   - `CREATE USER 'u'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'` works, and such a
//     user logs in only with a valid RDS IAM token for that user, this endpoint and the
//     configured region, signed with the configured credentials (feature/rds/auth
//     BuildAuthToken), sent as a clear-text password inside TLS;
//   - the provisioner account (ProvisionerUser, all privileges) is itself an IAM user, as the
//     provisioner connects to RDS with a token too;
//   - DROP USER takes effect for later logins.
package rdsmysql

import (
	"context"
	"errors"
	"fmt"
	"github.com/sirupsen/logrus"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/memory"
	"github.com/dolthub/go-mysql-server/server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/mysql_db"
	"github.com/dolthub/vitess/go/mysql"
)

// ProvisionerUser is the IAM account created at start with all privileges.
const ProvisionerUser = "ssoflow_provisioner"

// Options configure Start.
type Options struct {
	// Region tokens must be signed for (the RDS instance's region).
	Region string
	// Credentials are the (static) AWS credentials tokens must be signed with; the server
	// recomputes each token's signature with them.
	Credentials aws.CredentialsProvider
	// Verbose keeps go-mysql-server's own info and warning logs.
	Verbose bool
	// Database is created empty at start.
	Database string
	// Now is the verifier's clock; nil means time.Now.
	Now func() time.Time
}

// Server is a running emulator.
type Server struct {
	srv      *server.Server
	engine   *sqle.Engine
	host     string
	port     int
	caPEM    []byte
	accepted atomic.Int64
	logins   atomic.Int64
	done     chan struct{}
	once     sync.Once
}

// Start starts a server. Close it when done.
func Start(ctx context.Context, o Options) (*Server, error) {
	// go-mysql-server logs every connection, failed query and refused login through the
	// global logrus logger; the tests assert on behaviour, so keep it quiet unless asked.
	if !o.Verbose {
		logrus.SetOutput(io.Discard)
	}
	if o.Region == "" || o.Credentials == nil || o.Database == "" {
		return nil, errors.New("rdsmysql: Region, Credentials and Database are required")
	}
	if _, err := o.Credentials.Retrieve(ctx); err != nil {
		return nil, fmt.Errorf("rdsmysql: retrieve credentials: %w", err)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	tlsCfg, caPEM, err := generateTLS(time.Now())
	if err != nil {
		return nil, fmt.Errorf("rdsmysql: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("rdsmysql: listen: %w", err)
	}
	tcpAddr, ok := ln.Addr().(*net.TCPAddr)
	if !ok {
		ln.Close()
		return nil, fmt.Errorf("rdsmysql: unexpected listener address %v", ln.Addr())
	}
	s := &Server{host: "127.0.0.1", port: tcpAddr.Port, caPEM: caPEM, done: make(chan struct{})}
	plugin := &iamPlugin{region: o.Region, creds: o.Credentials, now: o.Now, host: s.host, port: s.port}

	pro := memory.NewDBProvider(memory.NewDatabase(o.Database))
	s.engine = sqle.NewDefault(pro)
	if err := setUpAccounts(s.engine.Analyzer.Catalog.MySQLDb, plugin); err != nil {
		ln.Close()
		return nil, err
	}
	cfg := server.Config{
		Protocol:  "tcp",
		Address:   s.Addr(),
		Listener:  &countingListener{Listener: ln, accepted: &s.accepted},
		TLSConfig: tlsCfg,
		ProtocolListenerFactory: func(cfg server.Config, lc mysql.ListenerConfig, sel server.ServerEventListener) (server.ProtocolListener, error) {
			lc.AuthServer = newTLSOnlyAuthServer(lc.AuthServer, &s.logins)
			lc.AllowClearTextWithoutTLS = false
			return server.MySQLProtocolListenerFactory(cfg, lc, sel)
		},
	}
	s.srv, err = server.NewServer(cfg, s.engine, sql.NewContext, memory.NewSessionBuilder(pro), nil)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("rdsmysql: new server: %w", err)
	}
	go func() {
		defer close(s.done)
		// Start returns when the listener is closed.
		_ = s.srv.Start()
	}()
	return s, nil
}

// setUpAccounts registers the IAM plugin and creates the provisioner account. Persistence is a
// no-op: go-mysql-server refuses CREATE/DROP USER without a persister.
func setUpAccounts(db *mysql_db.MySQLDb, plugin *iamPlugin) error {
	db.SetPersister(&mysql_db.NoopPersister{})
	db.SetPlugins(map[string]mysql_db.PlaintextAuthPlugin{PluginName: plugin})
	db.SetEnabled(true)
	ed := db.Editor()
	defer ed.Close()
	ed.PutUser(&mysql_db.User{
		User:                ProvisionerUser,
		Host:                "%",
		PrivilegeSet:        mysql_db.NewPrivilegeSetWithAllPrivileges(),
		Plugin:              PluginName,
		AuthString:          PluginAuthString,
		PasswordLastChanged: time.Now().UTC(),
		IsSuperUser:         true,
	})
	if _, ok := ed.GetUser(mysql_db.UserPrimaryKey{Host: "%", User: ProvisionerUser}); !ok {
		return errors.New("rdsmysql: provisioner account missing after creation")
	}
	return nil
}

// CAPEM is the PEM certificate of the CA that signed the server certificate.
func (s *Server) CAPEM() []byte { return append([]byte(nil), s.caPEM...) }

// Host is the address clients connect to and tokens are signed for.
func (s *Server) Host() string { return s.host }

// Port is the listening port.
func (s *Server) Port() int { return s.port }

// Addr is Host:Port, the endpoint for auth.BuildAuthToken.
func (s *Server) Addr() string { return net.JoinHostPort(s.host, strconv.Itoa(s.port)) }

// Connections is the number of TCP connections accepted so far.
func (s *Server) Connections() int64 { return s.accepted.Load() }

// Logins is the number of successful IAM (token) logins so far.
func (s *Server) Logins() int64 { return s.logins.Load() }

// Close stops accepting connections and releases the engine. Connections already open are
// closed by their clients.
func (s *Server) Close() error {
	var err error
	s.once.Do(func() {
		if cerr := s.srv.Close(); cerr != nil {
			err = fmt.Errorf("rdsmysql: close listener: %w", cerr)
		}
		<-s.done
		// The engine reports context.Canceled for background work it stops: that is a clean stop.
		if cerr := s.engine.Close(); cerr != nil && !errors.Is(cerr, context.Canceled) && err == nil {
			err = fmt.Errorf("rdsmysql: close engine: %w", cerr)
		}
	})
	return err
}
