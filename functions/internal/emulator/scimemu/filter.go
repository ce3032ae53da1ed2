package scimemu

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// clause is one `attr eq "value"` of a filter.
type clause struct {
	Attr  string // lower-cased attribute path
	Value string
}

// parseFilter parses the filter grammar Identity Center accepts: one or two `attr eq "value"`
// clauses joined by `and`. Values are JSON strings (quotes and backslashes escaped). Every other
// operator (ne, co, sw, pr, gt, …), `or`, `not`, grouping or unquoted value is an error.
func parseFilter(s string) ([]clause, error) {
	var out []clause
	rest := strings.TrimSpace(s)
	if rest == "" {
		return nil, errors.New("empty filter")
	}
	for {
		attr, after, ok := cutSpace(rest)
		if !ok || attr == "" {
			return nil, fmt.Errorf("filter %q: expected `attribute eq \"value\"`", s)
		}
		if strings.ContainsAny(attr, `()[]"`) {
			return nil, fmt.Errorf("filter %q: grouping and complex attribute filters are not supported", s)
		}
		op, after, ok := cutSpace(after)
		if !ok || !strings.EqualFold(op, "eq") {
			return nil, fmt.Errorf("filter %q: only the eq operator is supported", s)
		}
		val, after, err := cutString(after)
		if err != nil {
			return nil, fmt.Errorf("filter %q: %w", s, err)
		}
		out = append(out, clause{Attr: strings.ToLower(attr), Value: val})
		after = strings.TrimSpace(after)
		if after == "" {
			return out, nil
		}
		conj, after, ok := cutSpace(after)
		if !ok || !strings.EqualFold(conj, "and") {
			return nil, fmt.Errorf("filter %q: only `and` may join clauses", s)
		}
		if len(out) == 2 {
			return nil, fmt.Errorf("filter %q: at most two clauses are supported", s)
		}
		rest = strings.TrimSpace(after)
	}
}

// cutSpace splits off the first space-separated word.
func cutSpace(s string) (word, rest string, ok bool) {
	s = strings.TrimLeft(s, " ")
	i := strings.IndexByte(s, ' ')
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+1:], true
}

// cutString reads a leading JSON string literal.
func cutString(s string) (string, string, error) {
	s = strings.TrimLeft(s, " ")
	if !strings.HasPrefix(s, `"`) {
		return "", "", errors.New("the value must be a quoted string")
	}
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++ // skip the escaped character
		case '"':
			var v string
			if err := json.Unmarshal([]byte(s[:i+1]), &v); err != nil {
				return "", "", fmt.Errorf("bad string value: %w", err)
			}
			return v, s[i+1:], nil
		}
	}
	return "", "", errors.New("unterminated string value")
}
