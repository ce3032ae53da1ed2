package dbuser

import (
	"context"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// Pure-Go readers of the quoted forms, following the servers' lexers: each returns the value
// and what follows the closing quote.

func unquoteMySQLString(s string) (string, string, error) {
	if !strings.HasPrefix(s, "'") {
		return "", s, errors.New("no opening quote")
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '\'':
			if i+1 < len(s) && s[i+1] == '\'' {
				b.WriteByte('\'')
				i++
				continue
			}
			return b.String(), s[i+1:], nil
		case '\\':
			if i+1 == len(s) {
				return "", "", errors.New("dangling backslash")
			}
			i++
			switch e := s[i]; e {
			case '0':
				b.WriteByte(0)
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'b':
				b.WriteByte('\b')
			case 'Z':
				b.WriteByte(0x1a)
			case '%', '_':
				b.WriteByte('\\')
				b.WriteByte(e)
			default:
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", "", errors.New("unterminated string")
}

// unquoteDoubled reads an identifier quoted with q, where q inside is doubled.
func unquoteDoubled(s string, q byte) (string, string, error) {
	if len(s) == 0 || s[0] != q {
		return "", s, errors.New("no opening quote")
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] != q {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == q {
			b.WriteByte(q)
			i++
			continue
		}
		return b.String(), s[i+1:], nil
	}
	return "", "", errors.New("unterminated identifier")
}

func quotable(s string) bool {
	return s != "" && !strings.ContainsRune(s, 0) && utf8.ValidString(s)
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func FuzzQuoteMySQL(f *testing.F) {
	db := openMySQL(f)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, s string) {
		acc, err := QuoteMySQLAccount(s)
		id, err2 := QuoteMySQLIdent(s)
		if !quotable(s) {
			if err == nil || err2 == nil {
				t.Fatalf("%q quoted as %s / %s", s, acc, id)
			}
			return
		}
		if err != nil || err2 != nil {
			t.Fatalf("%q refused: %v / %v", s, err, err2)
		}
		user, rest, err := unquoteMySQLString(acc)
		if err != nil || user != s || !strings.HasPrefix(rest, "@") {
			t.Fatalf("account %s reads back as %q, rest %q, %v", acc, user, rest, err)
		}
		if host, rest, err := unquoteMySQLString(rest[1:]); err != nil || host != "%" || rest != "" {
			t.Fatalf("account %s: host %q, rest %q, %v", acc, host, rest, err)
		}
		if got, rest, err := unquoteDoubled(id, '`'); err != nil || got != s || rest != "" {
			t.Fatalf("identifier %s reads back as %q, rest %q, %v", id, got, rest, err)
		}
		// The server reads the literal back as the same bytes.
		var got []byte
		if err := db.QueryRowContext(ctx, "SELECT "+QuoteMySQLString(s)).Scan(&got); err != nil || string(got) != s {
			t.Fatalf("server reads %s as %q, %v", QuoteMySQLString(s), got, err)
		}
		// And the identifier as the same name. MariaDB trims leading and trailing spaces of
		// column aliases, so only printable names without them are compared.
		if printableASCII(s) && len(s) <= 64 && s == strings.TrimSpace(s) {
			rows, err := db.QueryContext(ctx, "SELECT 1 AS "+id)
			if err != nil {
				t.Fatalf("server refuses %s: %v", id, err)
			}
			cols, err := rows.Columns()
			rows.Close()
			if err != nil || len(cols) != 1 || cols[0] != s {
				t.Fatalf("server reads %s as %q, %v", id, cols, err)
			}
		}
	})
}

func FuzzQuotePostgres(f *testing.F) {
	db := openPostgres(f)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, s string) {
		q, err := QuotePostgresIdent(s)
		if !quotable(s) {
			if err == nil {
				t.Fatalf("%q quoted as %s", s, q)
			}
			return
		}
		if err != nil {
			t.Fatalf("%q refused: %v", s, err)
		}
		if got, rest, err := unquoteDoubled(q, '"'); err != nil || got != s || rest != "" {
			t.Fatalf("identifier %s reads back as %q, rest %q, %v", q, got, rest, err)
		}
		if len(s) > MaxPostgresIdentBytes {
			return // the server would truncate it; ValidateName refuses such names
		}
		rows, err := db.QueryContext(ctx, "SELECT 1 AS "+q)
		if err != nil {
			t.Fatalf("server refuses %s: %v", q, err)
		}
		cols, err := rows.Columns()
		rows.Close()
		if err != nil || len(cols) != 1 || cols[0] != s {
			t.Fatalf("server reads %s as %q, %v", q, cols, err)
		}
	})
}
