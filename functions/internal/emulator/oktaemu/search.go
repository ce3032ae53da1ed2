package oktaemu

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// groupMatcher reports whether a group satisfies a search expression.
type groupMatcher func(g *group) bool

// parseGroupSearch parses the search= expression of GET /api/v1/groups, in the part of Okta's
// expression language the emulator implements:
//
//	expr    = and ("or" and)*
//	and     = primary ("and" primary)*
//	primary = "(" expr ")" | attribute operator value
//
// with the attributes profile.name (operators eq and sw), type and id (eq). As in Okta,
// attribute names are case-sensitive, operators and string values are not, and a value is a
// JSON string. Anything else is an error, which the endpoint answers with 400 E0000031.
func parseGroupSearch(s string) (groupMatcher, error) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	p := &searchParser{toks: toks}
	m, err := p.or()
	if err != nil {
		return nil, err
	}
	if !p.done() {
		return nil, fmt.Errorf("unexpected %q after the expression", p.peek().text)
	}
	return m, nil
}

type tokenKind int

const (
	tokWord tokenKind = iota
	tokString
	tokOpen
	tokClose
)

type token struct {
	kind tokenKind
	text string // the word, or the decoded string value
}

// tokenize splits an expression into words, JSON string literals and parentheses.
func tokenize(s string) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == ' ' || c == '\t':
			i++
		case c == '(':
			out = append(out, token{kind: tokOpen, text: "("})
			i++
		case c == ')':
			out = append(out, token{kind: tokClose, text: ")"})
			i++
		case c == '"':
			end, err := stringEnd(s, i)
			if err != nil {
				return nil, err
			}
			var v string
			if err := json.Unmarshal([]byte(s[i:end]), &v); err != nil {
				return nil, fmt.Errorf("string literal %s is not a valid JSON string: %w", s[i:end], err)
			}
			out = append(out, token{kind: tokString, text: v})
			i = end
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t()\"", rune(s[j])) {
				j++
			}
			out = append(out, token{kind: tokWord, text: s[i:j]})
			i = j
		}
	}
	if len(out) == 0 {
		return nil, errors.New("empty search expression")
	}
	return out, nil
}

// stringEnd returns the index just past the closing quote of the string literal at s[start].
func stringEnd(s string, start int) (int, error) {
	for i := start + 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i + 1, nil
		}
	}
	return 0, fmt.Errorf("unterminated string literal at %d", start)
}

type searchParser struct {
	toks []token
	pos  int
}

func (p *searchParser) done() bool { return p.pos >= len(p.toks) }

func (p *searchParser) peek() token {
	if p.done() {
		return token{kind: tokWord}
	}
	return p.toks[p.pos]
}

// keyword consumes the word kw (case-insensitive) if it comes next.
func (p *searchParser) keyword(kw string) bool {
	if t := p.peek(); !p.done() && t.kind == tokWord && strings.EqualFold(t.text, kw) {
		p.pos++
		return true
	}
	return false
}

func (p *searchParser) or() (groupMatcher, error) {
	left, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.keyword("or") {
		right, err := p.and()
		if err != nil {
			return nil, err
		}
		l := left
		left = func(g *group) bool { return l(g) || right(g) }
	}
	return left, nil
}

func (p *searchParser) and() (groupMatcher, error) {
	left, err := p.primary()
	if err != nil {
		return nil, err
	}
	for p.keyword("and") {
		right, err := p.primary()
		if err != nil {
			return nil, err
		}
		l := left
		left = func(g *group) bool { return l(g) && right(g) }
	}
	return left, nil
}

func (p *searchParser) primary() (groupMatcher, error) {
	if p.done() {
		return nil, errors.New("expression ends where a comparison was expected")
	}
	if p.peek().kind == tokOpen {
		p.pos++
		m, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.done() || p.peek().kind != tokClose {
			return nil, errors.New("missing )")
		}
		p.pos++
		return m, nil
	}
	if p.pos+3 > len(p.toks) {
		return nil, fmt.Errorf("incomplete comparison at %q", p.peek().text)
	}
	attr, op, val := p.toks[p.pos], p.toks[p.pos+1], p.toks[p.pos+2]
	p.pos += 3
	if attr.kind != tokWord || op.kind != tokWord {
		return nil, fmt.Errorf("expected `attribute operator \"value\"`, got %q %q", attr.text, op.text)
	}
	if val.kind != tokString {
		return nil, fmt.Errorf("the value compared with %s must be a quoted string", attr.text)
	}
	return comparison(attr.text, strings.ToLower(op.text), val.text)
}

// comparison builds the matcher of one `attribute operator "value"`.
func comparison(attr, op, value string) (groupMatcher, error) {
	var field func(g *group) string
	ops := []string{"eq"}
	switch attr {
	case "profile.name":
		field, ops = func(g *group) string { return g.name }, []string{"eq", "sw"}
	case "type":
		field = func(*group) string { return "OKTA_GROUP" }
	case "id":
		field = func(g *group) string { return g.id }
	default:
		return nil, fmt.Errorf("attribute %q is not supported (oktaemu implements profile.name, type and id)", attr)
	}
	switch {
	case op == "eq" && slices.Contains(ops, op):
		return func(g *group) bool { return strings.EqualFold(field(g), value) }, nil
	case op == "sw" && slices.Contains(ops, op):
		v := strings.ToLower(value)
		return func(g *group) bool { return strings.HasPrefix(strings.ToLower(field(g)), v) }, nil
	}
	return nil, fmt.Errorf("operator %q is not supported on %s", op, attr)
}
