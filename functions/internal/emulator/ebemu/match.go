package ebemu

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Match compiles pattern and reports whether it matches event. A refused pattern is an
// *InvalidPatternError; an event that is not a JSON object is an error too.
func Match(pattern, event json.RawMessage) (bool, error) {
	p, err := ParsePattern(pattern)
	if err != nil {
		return false, err
	}
	return p.Match(event)
}

// Match reports whether the pattern matches event, which must be a JSON object.
func (p *Pattern) Match(event json.RawMessage) (bool, error) {
	obj, err := decodeEvent(event)
	if err != nil {
		return false, err
	}
	return p.root.match(obj), nil
}

// decodeEvent reads an event as a tree of map[string]any, []any, string, json.Number, bool and
// nil (numbers keep their text).
func decodeEvent(event json.RawMessage) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(event))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("event: malformed JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("event: unexpected data after the JSON value")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("event: not a JSON object")
	}
	return obj, nil
}

// match: every field matches and, for every $or, one alternative does. A nil object is an
// absent one: only absence ({"exists": false}) matches inside it.
func (o *objectPattern) match(obj map[string]any) bool {
	for _, f := range o.fields {
		v, present := obj[f.name]
		if !f.match(v, present) {
			return false
		}
	}
	for _, alts := range o.ors {
		matched := false
		for _, a := range alts {
			if a.match(obj) {
				matched = true
				break
			}
		}
		if !matched {
			return false
		}
	}
	return true
}

func (f *fieldPattern) match(v any, present bool) bool {
	if f.object != nil {
		// An array of objects matches when one element matches the whole nested pattern
		// (fields from different elements are never combined).
		objs := objectsIn(v, nil)
		if len(objs) == 0 {
			return f.object.match(nil)
		}
		for _, o := range objs {
			if f.object.match(o) {
				return true
			}
		}
		return false
	}
	var values []any
	if present {
		values = leafValues(v, nil)
	}
	for _, l := range f.leaves {
		if l.kind == existsMatch {
			if l.b == (len(values) > 0) {
				return true
			}
			continue
		}
		for _, val := range values {
			if l.match(val) {
				return true
			}
		}
	}
	return false
}

// objectsIn collects the objects of v: v itself, or the objects of an array at any depth.
func objectsIn(v any, out []map[string]any) []map[string]any {
	switch t := v.(type) {
	case map[string]any:
		return append(out, t)
	case []any:
		for _, e := range t {
			out = objectsIn(e, out)
		}
	}
	return out
}

// leafValues collects the leaf values of v: v itself, or the non-object elements of an array at
// any depth. Objects are not leaves ("Exists matching only works on leaf nodes").
func leafValues(v any, out []any) []any {
	switch t := v.(type) {
	case map[string]any:
		return out
	case []any:
		for _, e := range t {
			out = leafValues(e, out)
		}
		return out
	}
	return append(out, v)
}

// match tests one leaf value (string, json.Number, bool or nil).
func (l *leaf) match(v any) bool {
	s, isString := v.(string)
	switch l.kind {
	case exactString:
		return isString && s == l.str
	case exactNumber:
		n, ok := v.(json.Number)
		return ok && string(n) == l.str
	case exactBool:
		b, ok := v.(bool)
		return ok && b == l.b
	case exactNull:
		return v == nil
	case prefixMatch:
		return isString && hasPrefix(s, l.str, l.ignoreCase)
	case suffixMatch:
		return isString && hasSuffix(s, l.str, l.ignoreCase)
	case equalsIgnoreCase:
		return isString && strings.EqualFold(s, l.str)
	case wildcardMatch:
		return isString && l.wild.match(s)
	case numericMatch:
		n, ok := v.(json.Number)
		return ok && l.rng.contains(string(n))
	case cidrMatch:
		a, err := netip.ParseAddr(s)
		return isString && err == nil && l.cidr.Contains(a.Unmap())
	case anythingBut:
		if l.butStringsOnly && !isString {
			return false
		}
		for i := range l.but {
			if l.but[i].match(v) {
				return false
			}
		}
		return true
	}
	return false
}

func (r numRange) contains(text string) bool {
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || f < -numericLimit || f > numericLimit {
		return false
	}
	if r.hasLo && (f < r.lo || (r.loOpen && f == r.lo)) {
		return false
	}
	if r.hasHi && (f > r.hi || (r.hiOpen && f == r.hi)) {
		return false
	}
	return true
}

func hasPrefix(s, prefix string, ignoreCase bool) bool {
	if !ignoreCase {
		return strings.HasPrefix(s, prefix)
	}
	for prefix != "" {
		pr, pn := utf8.DecodeRuneInString(prefix)
		sr, sn := utf8.DecodeRuneInString(s)
		if s == "" || !equalFoldRune(pr, sr) {
			return false
		}
		prefix, s = prefix[pn:], s[sn:]
	}
	return true
}

func hasSuffix(s, suffix string, ignoreCase bool) bool {
	if !ignoreCase {
		return strings.HasSuffix(s, suffix)
	}
	for suffix != "" {
		pr, pn := utf8.DecodeLastRuneInString(suffix)
		sr, sn := utf8.DecodeLastRuneInString(s)
		if s == "" || !equalFoldRune(pr, sr) {
			return false
		}
		suffix, s = suffix[:len(suffix)-pn], s[:len(s)-sn]
	}
	return true
}

// equalFoldRune is strings.EqualFold for one rune: Unicode simple case folding.
func equalFoldRune(a, b rune) bool {
	if a == b {
		return true
	}
	for r := unicode.SimpleFold(a); r != a; r = unicode.SimpleFold(r) {
		if r == b {
			return true
		}
	}
	return false
}
