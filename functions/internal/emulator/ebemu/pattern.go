package ebemu

import (
	"encoding/json"
	"fmt"
	"slices"
	"unicode/utf8"
)

// maxPatternLength is the longest EventPattern PutRule and TestEventPattern accept
// ("Length Constraints: Maximum length of 4096", API reference).
const maxPatternLength = 4096

// maxOrCombinations: "APIs that accept an event pattern ... will throw an
// InvalidEventPatternException if the use of $or results in over 1000 rule combinations".
const maxOrCombinations = 1000

// orKey is the field name that makes an array of objects alternatives.
const orKey = "$or"

// reservedInOr are the names event-ruler refuses as field names inside $or (its
// RESERVED_FIELD_NAMES_IN_OR_RELATIONSHIP).
var reservedInOr = []string{
	"exactly", "equals-ignore-case", "prefix", "suffix", "anything-but", "exists", "wildcard", "numeric", "cidr",
	"=", "<", "<=", ">", ">=", "regex", "not-wildcard", "not-equals-ignore-case",
	"date-after", "date-on-or-after", "date-before", "date-on-or-before", "in-date-range",
	"ip-address-in-range", "ip-address-not-in-range",
}

// InvalidPatternError is EventBridge's InvalidEventPatternException: the pattern is refused.
type InvalidPatternError struct {
	Reason string
}

func (e *InvalidPatternError) Error() string {
	return "InvalidEventPatternException: Event pattern is not valid. Reason: " + e.Reason
}

func invalid(format string, args ...any) error {
	return &InvalidPatternError{Reason: fmt.Sprintf(format, args...)}
}

// Pattern is a compiled event pattern. Use ParsePattern.
type Pattern struct {
	root *objectPattern
	text string
}

// String is the pattern as it was given.
func (p *Pattern) String() string { return p.text }

// objectPattern is one object level of a pattern: every field must match (AND), and for each
// $or at this level one alternative must match.
type objectPattern struct {
	fields []*fieldPattern
	ors    [][]*objectPattern
}

// fieldPattern is one field: either a nested object or a list of leaf matchers (OR).
type fieldPattern struct {
	name   string
	object *objectPattern
	leaves []leaf
}

// ParsePattern compiles an event pattern, refusing what EventBridge refuses with an
// *InvalidPatternError.
func ParsePattern(raw json.RawMessage) (*Pattern, error) {
	if n := utf8.RuneCount(raw); n > maxPatternLength {
		return nil, invalid("the pattern is %d characters long, over the maximum of %d", n, maxPatternLength)
	}
	if !utf8.Valid(raw) {
		return nil, invalid("the pattern is not UTF-8 text")
	}
	tree, err := parseTree(raw)
	if err != nil {
		return nil, invalid("%v", err)
	}
	if tree.kind != nodeObject {
		return nil, invalid("Filter is not an object")
	}
	root, err := compileObject(tree, false)
	if err != nil {
		return nil, err
	}
	if root.combinations() > maxOrCombinations {
		return nil, invalid("the use of $or results in over %d rule combinations", maxOrCombinations)
	}
	return &Pattern{root: root, text: string(raw)}, nil
}

// compileObject compiles one object of a pattern. Inside $or, operator names cannot be field
// names.
func compileObject(n *node, insideOr bool) (*objectPattern, error) {
	if len(n.keys) == 0 {
		return nil, invalid("Empty objects are not allowed")
	}
	o := &objectPattern{}
	for i, name := range n.keys {
		v := n.vals[i]
		if name == orKey {
			alts, err := compileOr(v)
			if err != nil {
				return nil, err
			}
			o.ors = append(o.ors, alts)
			continue
		}
		if insideOr && slices.Contains(reservedInOr, name) {
			return nil, invalid("%s is Ruler reserved fieldName which cannot be used inside $or.", name)
		}
		f := &fieldPattern{name: name}
		switch v.kind {
		case nodeObject:
			child, err := compileObject(v, insideOr)
			if err != nil {
				return nil, err
			}
			f.object = child
		case nodeArray:
			leaves, err := compileLeaves(v)
			if err != nil {
				return nil, err
			}
			f.leaves = leaves
		default:
			return nil, invalid("%q must be an object or an array", name)
		}
		o.set(f)
	}
	return o, nil
}

// set adds a field. A repeated leaf replaces the earlier one ("if you include a key more than
// once the last reference will be the one used"); repeated objects are merged, as event-ruler
// compiles a pattern into one list of dotted paths.
func (o *objectPattern) set(f *fieldPattern) {
	for i, old := range o.fields {
		if old.name != f.name {
			continue
		}
		if old.object != nil && f.object != nil {
			for _, g := range f.object.fields {
				old.object.set(g)
			}
			old.object.ors = append(old.object.ors, f.object.ors...)
			return
		}
		o.fields[i] = f
		return
	}
	o.fields = append(o.fields, f)
}

func compileOr(v *node) ([]*objectPattern, error) {
	if v.kind != nodeArray {
		return nil, invalid("It must be an Array followed with $or.")
	}
	var alts []*objectPattern
	for _, e := range v.arr {
		if e.kind != nodeObject {
			return nil, invalid("Only JSON object is allowed in array of $or relationship.")
		}
		alt, err := compileObject(e, true)
		if err != nil {
			return nil, err
		}
		alts = append(alts, alt)
	}
	if len(alts) < 2 {
		return nil, invalid("There must have at least 2 Objects in $or relationship.")
	}
	return alts, nil
}

// combinations counts the rules a pattern expands to: the product, over every $or, of the
// number of its alternatives (each alternative counted with its own expansions). It stops
// counting past the limit.
func (o *objectPattern) combinations() int {
	c := 1
	for _, f := range o.fields {
		if f.object != nil {
			c = capMul(c, f.object.combinations())
		}
	}
	for _, alts := range o.ors {
		s := 0
		for _, a := range alts {
			s = min(s+a.combinations(), maxOrCombinations+1)
		}
		c = capMul(c, s)
	}
	return c
}

func capMul(a, b int) int {
	if a > maxOrCombinations || b > maxOrCombinations || a*b > maxOrCombinations {
		return maxOrCombinations + 1
	}
	return a * b
}

// compileLeaves compiles the array of a leaf field: each element is a value or a match
// expression, and the field matches when any of them does.
func compileLeaves(arr *node) ([]leaf, error) {
	if len(arr.arr) == 0 {
		return nil, invalid("Empty arrays are not allowed")
	}
	var out []leaf
	for _, e := range arr.arr {
		switch e.kind {
		case nodeString:
			out = append(out, leaf{kind: exactString, str: e.text})
		case nodeNumber:
			out = append(out, leaf{kind: exactNumber, str: e.text})
		case nodeBool:
			out = append(out, leaf{kind: exactBool, b: e.b})
		case nodeNull:
			out = append(out, leaf{kind: exactNull})
		case nodeObject:
			l, err := compileExpression(e)
			if err != nil {
				return nil, err
			}
			out = append(out, l)
		default:
			return nil, invalid("Match value must be String, number, true, false, or null")
		}
	}
	return out, nil
}
