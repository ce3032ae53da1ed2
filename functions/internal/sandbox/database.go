package sandbox

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ssoflow/ssoflow/functions/internal/awsconf"
	"github.com/ssoflow/ssoflow/functions/internal/dbconn"
	"github.com/ssoflow/ssoflow/functions/internal/dbuser"
	"github.com/ssoflow/ssoflow/functions/internal/dbusers"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/rdsmysql"
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
func (s *Sandbox) startDatabase(ctx context.Context, grants map[string][]string) error {
	creds := awsconf.Local().Credentials
	srv, err := rdsmysql.Start(ctx, rdsmysql.Options{Region: awsconf.LocalRegion, Credentials: creds, Database: DatabaseName})
	if err != nil {
		return fmt.Errorf("start database: %w", err)
	}
	d := &Database{Server: srv, cache: dbconn.NewCache(creds, nil)}
	d.Config = dbuser.DatabaseConfig{Name: DatabaseName, Engine: "mysql", Host: srv.Host(), Port: srv.Port(), Database: DatabaseName,
		Region: awsconf.LocalRegion, ProvisionerUser: rdsmysql.ProvisionerUser, UserNameRule: "email-local-lower",
		RolesActiveOnLogin: true, Grants: grants}
	conn := func(c dbuser.DatabaseConfig) dbconn.Config {
		return dbconn.Config{Engine: dbconn.MySQL, Host: c.Host, Port: c.Port, Database: c.Database, User: c.ProvisionerUser, Region: awsconf.LocalRegion, CAPEM: srv.CAPEM()}
	}
	pool, err := d.cache.Get(ctx, conn(d.Config))
	if err != nil {
		return fmt.Errorf("connect as provisioner: %w", err)
	}
	var roles []string
	for _, rs := range grants {
		roles = append(roles, rs...)
	}
	sort.Strings(roles)
	for _, r := range roles {
		q, err := dbuser.QuoteMySQLIdent(r)
		if err != nil {
			return err
		}
		for _, stmt := range []string{"CREATE ROLE IF NOT EXISTS " + q, "GRANT SELECT ON `" + DatabaseName + "`.* TO " + q} {
			if _, err := pool.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("%s: %w", stmt, err)
			}
		}
	}
	d.Handler, err = dbusers.New([]dbuser.DatabaseConfig{d.Config}, d.cache, conn, s.Log)
	if err != nil {
		return err
	}
	s.DB = d
	s.Extra["DbUsersFunctionArn"] = lambda.NewHandler(d.Handler.Handle)
	s.Resolver.Config.Databases = []resolve.Database{{Name: DatabaseName, Grants: grants}}
	return nil
}

// Login connects to the sandbox database as user with that user's own IAM token over verified
// TLS, as a person would with `ssoflow db-token`, and returns the roles active in the session.
func (d *Database) Login(ctx context.Context, user string) error {
	p, err := dbconn.Open(dbconn.Config{Engine: dbconn.MySQL, Host: d.Server.Host(), Port: d.Server.Port(), Database: DatabaseName,
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
