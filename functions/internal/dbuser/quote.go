package dbuser

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// The quoting functions below are the only way identifiers reach SQL in this package.
// Identifiers can never be bound parameters; values that can (ledger columns, lookups in the
// catalog tables) always are. Names are validated before they are quoted; quoting is the second
// line of defence and is correct for any input it accepts.

// mysqlAccountHost is the host part of every account ssoflow manages: IAM users log in from
// anywhere the network allows; the security groups decide the rest.
const mysqlAccountHost = "%"

var errNUL = errors.New("identifier contains a NUL byte")

func checkIdent(s string) error {
	if s == "" {
		return errors.New("identifier is empty")
	}
	if strings.IndexByte(s, 0) >= 0 {
		return errNUL
	}
	if !utf8.ValidString(s) {
		return errors.New("identifier is not valid UTF-8")
	}
	return nil
}

// QuoteMySQLString returns s as a MySQL single-quoted string literal: ' is doubled and \ is
// escaped, so the literal is the same string under the default sql_mode and cannot be broken out
// of under NO_BACKSLASH_ESCAPES either.
func QuoteMySQLString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\'':
			b.WriteString("''")
		case '\\':
			b.WriteString(`\\`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// QuoteMySQLAccount returns the account name 'user'@'%' for a MySQL/MariaDB user.
func QuoteMySQLAccount(user string) (string, error) {
	if err := checkIdent(user); err != nil {
		return "", fmt.Errorf("mysql account %q: %w", user, err)
	}
	return QuoteMySQLString(user) + "@" + QuoteMySQLString(mysqlAccountHost), nil
}

// QuoteMySQLIdent returns a MySQL identifier (role, database, table) in backticks, with
// backticks doubled.
func QuoteMySQLIdent(s string) (string, error) {
	if err := checkIdent(s); err != nil {
		return "", fmt.Errorf("mysql identifier %q: %w", s, err)
	}
	return "`" + strings.ReplaceAll(s, "`", "``") + "`", nil
}

// QuotePostgresIdent returns a PostgreSQL identifier in double quotes, with double quotes
// doubled. Quoted identifiers keep their case; NUL is refused (PostgreSQL cannot store it).
func QuotePostgresIdent(s string) (string, error) {
	if err := checkIdent(s); err != nil {
		return "", fmt.Errorf("postgres identifier %q: %w", s, err)
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`, nil
}

// quoteAll quotes every name with quote, failing on the first that cannot be quoted.
func quoteAll(quote func(string) (string, error), names []string) ([]string, error) {
	out := make([]string, len(names))
	for i, n := range names {
		q, err := quote(n)
		if err != nil {
			return nil, err
		}
		out[i] = q
	}
	return out, nil
}
