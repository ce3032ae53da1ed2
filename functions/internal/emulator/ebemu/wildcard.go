package ebemu

import "strings"

// wildcard is a compiled wildcard value: literal parts separated by '*', each '*' matching any
// run of characters, possibly empty.
type wildcard struct {
	parts []string // len(parts) == number of '*' + 1; parts may be empty strings
}

// parseWildcard reads a wildcard value. '*' matches anything; "\*" is a literal asterisk and
// "\\" a literal backslash; a backslash before any other character, a trailing backslash and
// two consecutive '*' are refused (event-ruler's WildcardParser; EventBridge documents the
// consecutive case).
func parseWildcard(s string) (wildcard, error) {
	var (
		w    wildcard
		cur  strings.Builder
		prev byte // the previous unescaped character, '*' when it was a wildcard
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			if i+1 >= len(s) || (s[i+1] != '*' && s[i+1] != '\\') {
				return wildcard{}, invalid("Invalid escape character at pos %d", i+1)
			}
			i++
			cur.WriteByte(s[i])
			prev = 0
		case '*':
			if prev == '*' {
				return wildcard{}, invalid("Consecutive wildcard characters at pos %d", i)
			}
			w.parts = append(w.parts, cur.String())
			cur.Reset()
			prev = '*'
		default:
			cur.WriteByte(c)
			prev = c
		}
	}
	w.parts = append(w.parts, cur.String())
	return w, nil
}

// match reports whether s matches: the first part is a prefix, the last a suffix, and the
// parts between occur in order. Taking the leftmost occurrence of each middle part is enough
// when '*' is the only wildcard.
func (w wildcard) match(s string) bool {
	if len(w.parts) == 1 {
		return s == w.parts[0]
	}
	first, last := w.parts[0], w.parts[len(w.parts)-1]
	if len(s) < len(first)+len(last) || !strings.HasPrefix(s, first) || !strings.HasSuffix(s, last) {
		return false
	}
	rest := s[len(first) : len(s)-len(last)]
	for _, p := range w.parts[1 : len(w.parts)-1] {
		i := strings.Index(rest, p)
		if i < 0 {
			return false
		}
		rest = rest[i+len(p):]
	}
	return true
}
