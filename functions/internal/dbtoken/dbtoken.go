// Package dbtoken is the core of `ssoflow db-token`: an RDS IAM authentication token made from
// the developer's own AWS credentials (typically an `aws sso login` profile of an Identity
// Center permission set allowing rds-db:connect), printed in the form a database client takes.
package dbtoken

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/rds/auth"

	"github.com/ssoflow/ssoflow/functions/internal/rdstoken"
)

// Request says which database login the token is for and whose credentials sign it.
type Request struct {
	Host string
	Port int
	User string
	// Region the database is in; empty: taken from an RDS host name
	// (x.y.<region>.rds.amazonaws.com), else from the profile's configuration.
	Region string
	// Profile is the shared-config profile (e.g. the one `aws configure sso` wrote); empty: the
	// SDK's default chain (AWS_PROFILE, environment keys, the default profile).
	Profile string
	// ConfigFiles and CredentialsFiles replace the SDK's default shared files when set (the CLI
	// passes AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE from its environment).
	ConfigFiles, CredentialsFiles []string
}

// Token is a signed RDS IAM token and what it is valid for.
type Token struct {
	Host     string
	Port     int
	User     string
	Region   string
	Password string // the token itself, used as the password over TLS
	// Expires is when the token stops working: 15 minutes after signing, or earlier when the
	// signing credentials expire first.
	Expires time.Time
}

var reRDSHost = regexp.MustCompile(`\.([a-z]{2}(?:-gov)?-[a-z]+-\d)\.rds\.amazonaws\.com(?:\.cn)?$`)

// RegionFromHost returns the region in an RDS endpoint name, or "".
func RegionFromHost(host string) string {
	if m := reRDSHost.FindStringSubmatch(host); m != nil {
		return m[1]
	}
	return ""
}

func (r Request) check() error {
	var errs []error
	if r.Host == "" {
		errs = append(errs, errors.New("the database host is required (--host)"))
	} else if _, _, err := net.SplitHostPort(r.Host); err == nil {
		errs = append(errs, fmt.Errorf("host %q includes a port: pass the port separately (--port)", r.Host))
	}
	if r.Port < 1 || r.Port > 65535 {
		errs = append(errs, fmt.Errorf("port must be 1-65535 (--port), got %d", r.Port))
	}
	if r.User == "" {
		errs = append(errs, errors.New("the database user is required (--user): the user ssoflow created for you"))
	}
	return errors.Join(errs...)
}

// Build loads the AWS configuration of r.Profile and signs a token with its credentials.
func Build(ctx context.Context, r Request) (*Token, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	var opts []func(*config.LoadOptions) error
	if r.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(r.Profile))
	}
	if len(r.ConfigFiles) > 0 {
		opts = append(opts, config.WithSharedConfigFiles(r.ConfigFiles))
	}
	if len(r.CredentialsFiles) > 0 {
		opts = append(opts, config.WithSharedCredentialsFiles(r.CredentialsFiles))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration%s: %w", profileNote(r.Profile), err)
	}
	region := r.Region
	if region == "" {
		region = RegionFromHost(r.Host)
	}
	if region == "" {
		region = cfg.Region
	}
	if region == "" {
		return nil, fmt.Errorf("no region: %s is not an RDS endpoint name and the profile sets none; pass --region", r.Host)
	}
	r.Region = region
	if cfg.Credentials == nil {
		return nil, fmt.Errorf("no AWS credentials%s", profileNote(r.Profile))
	}
	return FromCredentials(ctx, r, cfg.Credentials)
}

// FromCredentials signs a token for r (r.Region must be set) with creds.
func FromCredentials(ctx context.Context, r Request, creds aws.CredentialsProvider) (*Token, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	if r.Region == "" {
		return nil, errors.New("region is required")
	}
	c, err := creds.Retrieve(ctx)
	if err != nil {
		hint := ""
		if r.Profile != "" {
			hint = fmt.Sprintf(" (for an IAM Identity Center profile, sign in first: aws sso login --profile %s)", r.Profile)
		}
		return nil, fmt.Errorf("get AWS credentials%s: %w%s", profileNote(r.Profile), err, hint)
	}
	endpoint := net.JoinHostPort(r.Host, strconv.Itoa(r.Port))
	tok, err := auth.BuildAuthToken(ctx, endpoint, r.Region, r.User, staticProvider(c))
	if err != nil {
		return nil, fmt.Errorf("sign RDS IAM token for %s@%s: %w", r.User, endpoint, err)
	}
	parsed, err := rdstoken.Parse(tok)
	if err != nil {
		return nil, fmt.Errorf("the SDK built an unreadable token: %w", err)
	}
	expires := parsed.ExpiresAt()
	if c.CanExpire && c.Expires.Before(expires) {
		expires = c.Expires
	}
	return &Token{Host: r.Host, Port: r.Port, User: r.User, Region: r.Region, Password: tok, Expires: expires.UTC()}, nil
}

// staticProvider hands BuildAuthToken the credentials already retrieved, so the token is
// signed with exactly the credentials whose expiry Token.Expires reflects.
type staticProvider aws.Credentials

func (s staticProvider) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials(s), nil
}

func profileNote(profile string) string {
	if profile == "" {
		return " (default credential chain)"
	}
	return fmt.Sprintf(" of profile %q", profile)
}
