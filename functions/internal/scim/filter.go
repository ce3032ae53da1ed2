package scim

import (
	"fmt"
	"strings"
)

// quote renders s as a SCIM filter value: a JSON string (RFC 7644 §3.4.2.2), so a quote or a
// backslash in a user name is escaped and cannot end the value early or add a clause.
func quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// eq is the filter `attr eq "value"`, the one comparison Identity Center supports.
func eq(attr, value string) string { return attr + " eq " + quote(value) }

// and joins clauses with `and`, the one logical operator Identity Center supports.
func and(clauses ...string) string { return strings.Join(clauses, " and ") }
