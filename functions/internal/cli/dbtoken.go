package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ssoflow/ssoflow/functions/internal/dbtoken"
)

// Environment variables db-token reads (through Env, so tests control them).
const (
	envProfile         = "AWS_PROFILE"
	envConfigFile      = "AWS_CONFIG_FILE"
	envCredentialsFile = "AWS_SHARED_CREDENTIALS_FILE"
	envRDSCA           = "SSOFLOW_RDS_CA"
)

// DefaultCAPath is where db-token looks for the RDS CA bundle when neither --ca nor
// $SSOFLOW_RDS_CA is given: ~/.ssoflow/global-bundle.pem, downloaded from
// https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem.
const DefaultCAPath = "~/.ssoflow/global-bundle.pem"

func init() {
	register(Command{Name: "db-token", Summary: "print an RDS IAM login token from your AWS credentials (raw, shell exports, mysql/psql command)", Run: runDBToken})
}

func runDBToken(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "db-token", "--host H --port P --user U [--region R] [--profile P] [--format "+strings.Join(dbtoken.Formats, "|")+"]")
	var r dbtoken.Request
	var o dbtoken.Output
	fs.StringVar(&r.Host, "host", "", "database endpoint host name (no port)")
	fs.IntVar(&r.Port, "port", 0, "database port (MySQL 3306, PostgreSQL 5432)")
	fs.StringVar(&r.User, "user", "", "your database user")
	fs.StringVar(&r.Region, "region", "", "the database's region (default: from an RDS host name, else the profile's)")
	fs.StringVar(&r.Profile, "profile", "", "AWS profile to sign with, e.g. the one `aws configure sso` created (default $"+envProfile+")")
	fs.StringVar(&o.Format, "format", dbtoken.FormatRaw, "output: "+strings.Join(dbtoken.Formats, ", "))
	fs.StringVar(&o.CAFile, "ca", "", "RDS CA bundle the client verifies the server against (default $"+envRDSCA+", else "+DefaultCAPath+")")
	fs.StringVar(&o.Database, "database", "", "database to open (mysql, mariadb, psql, env formats)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "ssoflow db-token: unexpected arguments %q\n", fs.Args())
		fs.Usage()
		return ErrUsage
	}
	if r.Host == "" || r.Port == 0 || r.User == "" {
		fmt.Fprintln(env.Stderr, "ssoflow db-token: --host, --port and --user are required")
		fs.Usage()
		return ErrUsage
	}
	if !slices.Contains(dbtoken.Formats, o.Format) {
		return fmt.Errorf("unknown --format %q: use one of %s", o.Format, strings.Join(dbtoken.Formats, ", "))
	}
	r.Profile = fromEnv(env, r.Profile, envProfile)
	if f := env.Getenv(envConfigFile); f != "" {
		r.ConfigFiles = []string{f}
	}
	if f := env.Getenv(envCredentialsFile); f != "" {
		r.CredentialsFiles = []string{f}
	}
	o.CAFile = expandHome(env, fromEnv(env, o.CAFile, envRDSCA))
	if o.CAFile == "" {
		o.CAFile = expandHome(env, DefaultCAPath)
	}
	tok, err := dbtoken.Build(ctx, r)
	if err != nil {
		return err
	}
	return dbtoken.Write(env.Stdout, tok, o)
}

// expandHome replaces a leading ~/ with $HOME.
func expandHome(env *Env, p string) string {
	if home := env.Getenv("HOME"); home != "" && strings.HasPrefix(p, "~/") {
		return filepath.Join(home, p[2:])
	}
	return p
}
