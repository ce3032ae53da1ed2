// Package dbconn connects the provisioner to an RDS or Aurora database (MySQL or PostgreSQL)
// with IAM database authentication:
//
//   - every new physical connection gets a fresh token from feature/rds/auth.BuildAuthToken
//     (tokens live 15 minutes, so a token is never stored in a DSN);
//   - TLS is always on and verified (CA pool + server name, PostgreSQL sslmode=verify-full
//     semantics; MySQL sends the token with mysql_clear_password only inside that TLS);
//   - new connections are rate limited process-wide, well under RDS's 200 new IAM
//     connections per second;
//   - Cache keeps one small *sql.DB per database across Lambda invocations, so a warm Lambda
//     opens no new connection.
//
// Trust: this package does not embed the RDS CA bundle (it could not be fetched on the build
// machine). Set Config.CAFile to the bundle shipped with the function
// (https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem), or Config.CAPEM; with
// neither, the system pool is used.
package dbconn

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/rds/auth"
	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/ssoflow/ssoflow/functions/internal/errs"
)

// Engine is the database engine family.
type Engine string

// Supported engines (Aurora MySQL and Aurora PostgreSQL use the same protocols).
const (
	MySQL    Engine = "mysql"
	Postgres Engine = "postgres"
)

// Pool defaults. Tokens are only checked at login, so a connection may outlive its token, but
// connections are recycled well before a token would have expired anyway.
const (
	DefaultMaxOpenConns    = 2
	DefaultConnMaxLifetime = 10 * time.Minute
	MaxConnMaxLifetime     = 15 * time.Minute
	DefaultConnectTimeout  = 10 * time.Second
)

// Config identifies a database and the IAM database user the provisioner logs in as.
type Config struct {
	Engine   Engine
	Host     string // endpoint host name as RDS publishes it (tokens are signed for it)
	Port     int
	Database string
	User     string
	Region   string

	// CAPEM holds PEM certificates to trust (the RDS bundle, or an emulator's CA).
	CAPEM []byte
	// CAFile is a path to a PEM bundle to trust, read when the pool is created.
	CAFile string

	// MaxOpenConns defaults to DefaultMaxOpenConns.
	MaxOpenConns int
	// ConnMaxLifetime defaults to DefaultConnMaxLifetime and must be below 15 minutes.
	ConnMaxLifetime time.Duration
	// ConnectTimeout bounds dialling and the TLS handshake; defaults to DefaultConnectTimeout.
	ConnectTimeout time.Duration
}

// Endpoint is host:port, as passed to auth.BuildAuthToken.
func (c Config) Endpoint() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

func (c Config) validate() error {
	if c.Engine != MySQL && c.Engine != Postgres {
		return &errs.ConfigError{Err: fmt.Errorf("dbconn: engine %q is not %q or %q", c.Engine, MySQL, Postgres)}
	}
	if c.Host == "" || c.Port < 1 || c.Port > 65535 || c.Database == "" || c.User == "" || c.Region == "" {
		return &errs.ConfigError{Err: fmt.Errorf("dbconn: host, port (1-65535), database, user and region are required (got %q, %d, %q, %q, %q)",
			c.Host, c.Port, c.Database, c.User, c.Region)}
	}
	if c.ConnMaxLifetime >= MaxConnMaxLifetime {
		return &errs.ConfigError{Err: fmt.Errorf("dbconn: ConnMaxLifetime %v must be below %v", c.ConnMaxLifetime, MaxConnMaxLifetime)}
	}
	return nil
}

// Pool is a *sql.DB for one database whose connections log in with IAM tokens.
type Pool struct {
	*sql.DB
	cfg    Config
	opened *atomic.Int64
	tokens *atomic.Int64
}

// Config is the configuration the pool was opened with.
func (p *Pool) Config() Config { return p.cfg }

// Opened is the number of physical connections this pool has opened, each with its own token.
func (p *Pool) Opened() int64 { return p.opened.Load() }

// TokensBuilt is the number of IAM tokens built: one per connection attempt.
func (p *Pool) TokensBuilt() int64 { return p.tokens.Load() }

// Open opens a pool for cfg; connections are made lazily, each one with a fresh token built
// from creds. Callers that want reuse across invocations use a Cache instead.
func Open(cfg Config, creds aws.CredentialsProvider, lim *Limiter) (*Pool, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if creds == nil {
		return nil, &errs.ConfigError{Err: errors.New("dbconn: credentials provider is nil")}
	}
	if lim == nil {
		lim = DefaultLimiter
	}
	if cfg.MaxOpenConns <= 0 {
		cfg.MaxOpenConns = DefaultMaxOpenConns
	}
	if cfg.ConnMaxLifetime <= 0 {
		cfg.ConnMaxLifetime = DefaultConnMaxLifetime
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	tlsCfg, err := tlsConfig(cfg)
	if err != nil {
		return nil, err
	}
	tokens := new(atomic.Int64)
	token := func(ctx context.Context) (string, error) {
		tokens.Add(1)
		tok, err := auth.BuildAuthToken(ctx, cfg.Endpoint(), cfg.Region, cfg.User, creds)
		if err != nil {
			return "", fmt.Errorf("dbconn: build IAM token for %s@%s: %w", cfg.User, cfg.Endpoint(), err)
		}
		return tok, nil
	}
	var inner driver.Connector
	switch cfg.Engine {
	case MySQL:
		inner, err = mysqlConnector(cfg, tlsCfg, token)
	default:
		inner, err = postgresConnector(cfg, tlsCfg, token)
	}
	if err != nil {
		return nil, err
	}
	opened := new(atomic.Int64)
	db := sql.OpenDB(&limitedConnector{inner: inner, lim: lim, opened: opened, cfg: cfg})
	db.SetMaxOpenConns(cfg.MaxOpenConns)
	db.SetMaxIdleConns(cfg.MaxOpenConns)
	db.SetConnMaxLifetime(cfg.ConnMaxLifetime)
	return &Pool{DB: db, cfg: cfg, opened: opened, tokens: tokens}, nil
}

// tlsConfig trusts CAPEM and CAFile, or the system pool when neither is set, and verifies the
// server name against Host.
func tlsConfig(cfg Config) (*tls.Config, error) {
	var roots *x509.CertPool
	if len(cfg.CAPEM) > 0 || cfg.CAFile != "" {
		roots = x509.NewCertPool()
		if len(cfg.CAPEM) > 0 && !roots.AppendCertsFromPEM(cfg.CAPEM) {
			return nil, &errs.ConfigError{Err: errors.New("dbconn: CAPEM holds no PEM certificate")}
		}
		if cfg.CAFile != "" {
			pem, err := os.ReadFile(cfg.CAFile)
			if err != nil {
				return nil, &errs.ConfigError{Err: fmt.Errorf("dbconn: read CA bundle: %w", err)}
			}
			if !roots.AppendCertsFromPEM(pem) {
				return nil, &errs.ConfigError{Err: fmt.Errorf("dbconn: CA bundle %s holds no PEM certificate", cfg.CAFile)}
			}
		}
	} else {
		var err error
		if roots, err = x509.SystemCertPool(); err != nil {
			return nil, &errs.ConfigError{Err: fmt.Errorf("dbconn: system CA pool: %w", err)}
		}
	}
	return &tls.Config{RootCAs: roots, ServerName: cfg.Host, MinVersion: tls.VersionTLS12}, nil
}

func mysqlConnector(cfg Config, tlsCfg *tls.Config, token func(context.Context) (string, error)) (driver.Connector, error) {
	mc := mysql.NewConfig()
	mc.Net = "tcp"
	mc.Addr = cfg.Endpoint()
	mc.User = cfg.User
	mc.DBName = cfg.Database
	mc.TLS = tlsCfg
	mc.AllowCleartextPasswords = true
	mc.AllowFallbackToPlaintext = false
	mc.Timeout = cfg.ConnectTimeout
	err := mc.Apply(mysql.BeforeConnect(func(ctx context.Context, c *mysql.Config) error {
		tok, err := token(ctx)
		if err != nil {
			return err
		}
		c.Passwd = tok
		return nil
	}))
	if err != nil {
		return nil, fmt.Errorf("dbconn: mysql options: %w", err)
	}
	conn, err := mysql.NewConnector(mc)
	if err != nil {
		return nil, fmt.Errorf("dbconn: mysql connector for %s: %w", cfg.Endpoint(), err)
	}
	return conn, nil
}

func postgresConnector(cfg Config, tlsCfg *tls.Config, token func(context.Context) (string, error)) (driver.Connector, error) {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User(cfg.User),
		Host:     cfg.Endpoint(),
		Path:     "/" + cfg.Database,
		RawQuery: url.Values{"connect_timeout": {strconv.Itoa(int(cfg.ConnectTimeout / time.Second))}}.Encode(),
	}
	// sslmode=verify-full with our own pool: TLS required, chain and host name verified, and
	// no plaintext fallback.
	pc, err := pgx.ParseConfig(u.String() + "&sslmode=verify-full")
	if err != nil {
		return nil, fmt.Errorf("dbconn: postgres config for %s: %w", cfg.Endpoint(), err)
	}
	pc.TLSConfig = tlsCfg
	pc.Fallbacks = nil
	return stdlib.GetConnector(*pc, stdlib.OptionBeforeConnect(func(ctx context.Context, c *pgx.ConnConfig) error {
		tok, err := token(ctx)
		if err != nil {
			return err
		}
		c.Password = tok
		return nil
	})), nil
}

// limitedConnector waits for the rate limiter before each new physical connection.
type limitedConnector struct {
	inner  driver.Connector
	lim    *Limiter
	opened *atomic.Int64
	cfg    Config
}

func (c *limitedConnector) Connect(ctx context.Context) (driver.Conn, error) {
	if err := c.lim.Wait(ctx); err != nil {
		return nil, fmt.Errorf("dbconn: wait for connection slot: %w", err)
	}
	conn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, fmt.Errorf("dbconn: connect to %s database %q as %q: %w", c.cfg.Engine, c.cfg.Database, c.cfg.User, err)
	}
	c.opened.Add(1)
	return conn, nil
}

func (c *limitedConnector) Driver() driver.Driver { return c.inner.Driver() }
