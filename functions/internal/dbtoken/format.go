package dbtoken

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// Output formats.
const (
	FormatRaw               = "raw"                // the token alone
	FormatEnv               = "env"                // shell exports for libpq and the mysql client
	FormatMySQL             = "mysql"              // a MySQL 8 `mysql` command line
	FormatMariaDB           = "mariadb"            // a MariaDB `mariadb` command line
	FormatPsql              = "psql"               // a `psql` command line
	FormatCredentialProcess = "credential-process" // a JSON credential document
)

// Formats lists every output format.
var Formats = []string{FormatRaw, FormatEnv, FormatMySQL, FormatMariaDB, FormatPsql, FormatCredentialProcess}

// Output says how to print a token.
type Output struct {
	Format string
	// CAFile is the RDS CA bundle the client verifies the server certificate against (the env,
	// mysql, mariadb and psql formats; it must exist).
	CAFile string
	// Database is the database to open (mysql, mariadb, psql, env); empty: the client's default.
	Database string
}

// Credential is the JSON document of FormatCredentialProcess. It borrows the shape of an AWS
// credential_process document (Version 1, RFC 3339 Expiration for caching) but carries a
// database login, so it is for your own wrappers and tools that run a command to get a
// username and password as JSON — not for the AWS CLI's credential_process, which expects AWS keys.
type Credential struct {
	Version    int    `json:"Version"` // always 1
	Host       string `json:"Host"`
	Port       int    `json:"Port"`
	Region     string `json:"Region"`
	Username   string `json:"Username"`
	Password   string `json:"Password"`   // the RDS IAM token; send it only over TLS
	Expiration string `json:"Expiration"` // RFC 3339, UTC: fetch a new one after this
}

// Write prints t in o.Format.
func Write(w io.Writer, t *Token, o Output) error {
	needsCA := o.Format == FormatEnv || o.Format == FormatMySQL || o.Format == FormatMariaDB || o.Format == FormatPsql
	if needsCA {
		if o.CAFile == "" {
			return errors.New("a CA bundle is required to verify the server (--ca)")
		}
		if _, err := os.Stat(o.CAFile); err != nil {
			return fmt.Errorf("CA bundle %s: %w (download https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem there, or pass --ca)", o.CAFile, err)
		}
	}
	port := strconv.Itoa(t.Port)
	var out string
	switch o.Format {
	case FormatRaw:
		out = t.Password + "\n"
	case FormatEnv:
		pg := []string{"PGHOST=" + ShellQuote(t.Host), "PGPORT=" + port, "PGUSER=" + ShellQuote(t.User), "PGPASSWORD=" + ShellQuote(t.Password),
			"PGSSLMODE=verify-full", "PGSSLROOTCERT=" + ShellQuote(o.CAFile)}
		if o.Database != "" {
			pg = append(pg, "PGDATABASE="+ShellQuote(o.Database))
		}
		out = fmt.Sprintf("# RDS IAM token for %s@%s:%d, valid until %s\nexport %s\nexport MYSQL_HOST=%s MYSQL_TCP_PORT=%s MYSQL_PWD=%s\n",
			t.User, t.Host, t.Port, t.Expires.Format(time.RFC3339), strings.Join(pg, " "), ShellQuote(t.Host), port, ShellQuote(t.Password))
	case FormatMySQL, FormatMariaDB:
		args := []string{"MYSQL_PWD=" + ShellQuote(t.Password), o.Format, "--host=" + ShellQuote(t.Host), "--port=" + port, "--user=" + ShellQuote(t.User)}
		if o.Format == FormatMySQL {
			args = append(args, "--enable-cleartext-plugin", "--ssl-mode=VERIFY_IDENTITY", "--ssl-ca="+ShellQuote(o.CAFile))
		} else {
			args = append(args, "--ssl", "--ssl-verify-server-cert", "--ssl-ca="+ShellQuote(o.CAFile))
		}
		if o.Database != "" {
			args = append(args, "--database="+ShellQuote(o.Database))
		}
		out = strings.Join(args, " ") + "\n"
	case FormatPsql:
		conn := []string{"host=" + connValue(t.Host), "port=" + port, "user=" + connValue(t.User), "sslmode=verify-full", "sslrootcert=" + connValue(o.CAFile)}
		if o.Database != "" {
			conn = append(conn, "dbname="+connValue(o.Database))
		}
		out = "PGPASSWORD=" + ShellQuote(t.Password) + " psql " + ShellQuote(strings.Join(conn, " ")) + "\n"
	case FormatCredentialProcess:
		doc, err := json.Marshal(Credential{Version: 1, Host: t.Host, Port: t.Port, Region: t.Region, Username: t.User,
			Password: t.Password, Expiration: t.Expires.UTC().Format(time.RFC3339)})
		if err != nil {
			return err
		}
		out = string(doc) + "\n"
	default:
		return fmt.Errorf("unknown format %q: use one of %s", o.Format, strings.Join(Formats, ", "))
	}
	_, err := io.WriteString(w, out)
	return err
}

// ShellQuote quotes s for POSIX shells: single quotes, each ' written as '\”.
func ShellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// connValue quotes a libpq connection-string value when it needs it.
func connValue(v string) string {
	if v != "" && !strings.ContainsAny(v, ` '\`) {
		return v
	}
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}
