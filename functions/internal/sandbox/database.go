package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ssoflow/ssoflow/functions/internal/awsconf"
	"github.com/ssoflow/ssoflow/functions/internal/dbconn"
	"github.com/ssoflow/ssoflow/functions/internal/dbuser"
	"github.com/ssoflow/ssoflow/functions/internal/dbusers"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/rdsmysql"
	"github.com/ssoflow/ssoflow/functions/internal/errs"
	"github.com/ssoflow/ssoflow/functions/internal/resolve"
)

// DatabaseName is the sandbox database's name in the configuration and on the server.
const DatabaseName = "orders"

// Database is the sandbox's IAM-authenticated MySQL database.
type Database struct {
	Server  *rdsmysql.Server
	Config  dbuser.DatabaseConfig
	Handler *dbusers.Handler
	cache   *dbconn.Cache
}

// startDatabase starts the embedded MySQL that verifies real RDS IAM tokens, creates the roles
// the grants name (each allowed to read the database, as a DBA would have set them up), and
// builds the dbusers handler that provisions it as the pipeline does: IAM token, verified TLS.
// Each name gets a server of its own; the first is s.DB.
func (s *Sandbox) startDatabase(ctx context.Context, grants map[string][]string, names []string) error {
	if len(names) == 0 {
		names = []string{DatabaseName}
	}
	var configs []dbuser.DatabaseConfig
	var cache *dbconn.Cache
	var caPEM []byte
	for _, name := range names {
		d, err := startOneDatabase(ctx, name, grants)
		if err != nil {
			return err
		}
		s.DBs = append(s.DBs, d)
		configs = append(configs, d.Config)
		s.Resolver.Config.Databases = append(s.Resolver.Config.Databases, resolve.Database{Name: name, Grants: grants})
		cache, caPEM = d.cache, d.Server.CAPEM()
	}
	s.DB = s.DBs[0]
	conn := func(c dbuser.DatabaseConfig) dbconn.Config {
		return dbconn.Config{Engine: dbconn.MySQL, Host: c.Host, Port: c.Port, Database: c.Database, User: c.ProvisionerUser, Region: awsconf.LocalRegion, CAPEM: s.caFor(c.Name, caPEM)}
	}
	h, err := dbusers.New(configs, cache, conn, s.Log)
	if err != nil {
		return err
	}
	for _, d := range s.DBs {
		d.Handler = h
	}
	real := lambda.NewHandler(h.Handle)
	s.Extra["DbUsersFunctionArn"] = lambda.NewHandler(func(ctx context.Context, work json.RawMessage) (json.RawMessage, error) {
		var w struct {
			Database string `json:"database"`
		}
		_ = json.Unmarshal(work, &w)
		if err := s.databaseOutage(w.Database); err != nil {
			return nil, err
		}
		return real.Invoke(ctx, work)
	})
	return nil
}

// caFor is the CA of the named database's server.
func (s *Sandbox) caFor(name string, fallback []byte) []byte {
	for _, d := range s.DBs {
		if d.Config.Name == name {
			return d.Server.CAPEM()
		}
	}
	return fallback
}

// BreakDatabase makes the named database unreachable for the provisioner (as an outage of its
// endpoint would: every apply fails with a RetryableError) until it is called again with false.
func (s *Sandbox) BreakDatabase(name string, broken bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.brokenDBs == nil {
		s.brokenDBs = map[string]bool{}
	}
	s.brokenDBs[name] = broken
}

func (s *Sandbox) databaseOutage(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.brokenDBs[name] {
		return errs.Retryable(fmt.Errorf("database %s: dial tcp: connection refused", name))
	}
	return nil
}

// startOneDatabase starts one embedded MySQL and creates the roles the grants name.
func startOneDatabase(ctx context.Context, name string, grants map[string][]string) (*Database, error) {
	creds := awsconf.Local().Credentials
	srv, err := rdsmysql.Start(ctx, rdsmysql.Options{Region: awsconf.LocalRegion, Credentials: creds, Database: name})
	if err != nil {
		return nil, fmt.Errorf("start database %s: %w", name, err)
	}
	d := &Database{Server: srv, cache: dbconn.NewCache(creds, nil)}
	d.Config = dbuser.DatabaseConfig{Name: name, Engine: "mysql", Host: srv.Host(), Port: srv.Port(), Database: name,
		Region: awsconf.LocalRegion, ProvisionerUser: rdsmysql.ProvisionerUser, UserNameRule: "email-local-lower",
		RolesActiveOnLogin: true, Grants: grants}
	conn := func(c dbuser.DatabaseConfig) dbconn.Config {
		return dbconn.Config{Engine: dbconn.MySQL, Host: c.Host, Port: c.Port, Database: c.Database, User: c.ProvisionerUser, Region: awsconf.LocalRegion, CAPEM: srv.CAPEM()}
	}
	pool, err := d.cache.Get(ctx, conn(d.Config))
	if err != nil {
		return nil, fmt.Errorf("connect as provisioner: %w", err)
	}
	var roles []string
	for _, rs := range grants {
		roles = append(roles, rs...)
	}
	sort.Strings(roles)
	for _, r := range roles {
		q, err := dbuser.QuoteMySQLIdent(r)
		if err != nil {
			return nil, err
		}
		for _, stmt := range []string{"CREATE ROLE IF NOT EXISTS " + q, "GRANT SELECT ON `" + name + "`.* TO " + q} {
			if _, err := pool.ExecContext(ctx, stmt); err != nil {
				return nil, fmt.Errorf("%s: %w", stmt, err)
			}
		}
	}
	return d, nil
}

// Login connects to the sandbox database as user with that user's own IAM token over verified
// TLS, as a person would with `ssoflow db-token`, and returns the roles active in the session.
func (d *Database) Login(ctx context.Context, user string) error {
	p, err := dbconn.Open(dbconn.Config{Engine: dbconn.MySQL, Host: d.Server.Host(), Port: d.Server.Port(), Database: d.Config.Database,
		User: user, Region: awsconf.LocalRegion, CAPEM: d.Server.CAPEM(), MaxOpenConns: 1}, aws.NewCredentialsCache(awsconf.Local().Credentials), nil)
	if err != nil {
		return err
	}
	defer p.Close()
	return p.PingContext(ctx)
}

func (d *Database) close() {
	d.cache.Close()
	d.Server.Close()
}
