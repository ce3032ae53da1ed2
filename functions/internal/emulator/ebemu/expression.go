package ebemu

import (
	"net/netip"
	"strconv"
)

// numericLimit bounds numeric matching: "It is limited to values between -5.0e9 and +5.0e9
// inclusive".
const numericLimit = 5e9

type leafKind int

const (
	exactString leafKind = iota
	exactNumber
	exactBool
	exactNull
	prefixMatch
	suffixMatch
	equalsIgnoreCase
	wildcardMatch
	numericMatch
	existsMatch
	cidrMatch
	anythingBut
)

// leaf is one matcher of a leaf field's array.
type leaf struct {
	kind       leafKind
	str        string // exact string, number text, prefix, suffix or equals-ignore-case value
	b          bool   // exact boolean; exists true/false
	ignoreCase bool   // prefix or suffix with equals-ignore-case
	wild       wildcard
	rng        numRange
	cidr       netip.Prefix
	// anything-but: the value matches when none of these does; butStringsOnly restricts it
	// to string values (the prefix, suffix, equals-ignore-case and wildcard forms).
	but            []leaf
	butStringsOnly bool
}

// numRange is a numeric comparison: one bound, two bounds, or equality (both bounds closed
// and equal).
type numRange struct {
	lo, hi         float64
	hasLo, hasHi   bool
	loOpen, hiOpen bool
}

// compileExpression compiles a match expression: an object with exactly one operator.
func compileExpression(e *node) (leaf, error) {
	if len(e.keys) == 0 {
		return leaf{}, invalid("Match expression name not found")
	}
	name, v := e.keys[0], e.vals[0]
	l, err := compileOperator(name, v)
	if err != nil {
		return leaf{}, err
	}
	if len(e.keys) > 1 {
		if name == "numeric" || name == "anything-but" {
			return leaf{}, invalid("Too many elements in numeric expression")
		}
		return leaf{}, invalid("Only one key allowed in match expression")
	}
	return l, nil
}

func compileOperator(name string, v *node) (leaf, error) {
	switch name {
	case "prefix", "suffix":
		kind := prefixMatch
		if name == "suffix" {
			kind = suffixMatch
		}
		if v.kind == nodeString {
			return leaf{kind: kind, str: v.text}, nil
		}
		if v.kind == nodeObject && len(v.keys) == 1 && v.keys[0] == "equals-ignore-case" && v.vals[0].kind == nodeString {
			return leaf{kind: kind, str: v.vals[0].text, ignoreCase: true}, nil
		}
		return leaf{}, invalid("%s match pattern must be a string", name)
	case "equals-ignore-case":
		if v.kind != nodeString {
			return leaf{}, invalid("equals-ignore-case match pattern must be a string")
		}
		return leaf{kind: equalsIgnoreCase, str: v.text}, nil
	case "wildcard":
		if v.kind != nodeString {
			return leaf{}, invalid("wildcard match pattern must be a string")
		}
		w, err := parseWildcard(v.text)
		if err != nil {
			return leaf{}, err
		}
		return leaf{kind: wildcardMatch, wild: w}, nil
	case "numeric":
		if v.kind != nodeArray {
			return leaf{}, invalid("Value of numeric must be an array.")
		}
		r, err := compileNumeric(v.arr)
		if err != nil {
			return leaf{}, err
		}
		return leaf{kind: numericMatch, rng: r}, nil
	case "exists":
		if v.kind != nodeBool {
			return leaf{}, invalid("exists match pattern must be either true or false.")
		}
		return leaf{kind: existsMatch, b: v.b}, nil
	case "cidr":
		if v.kind != nodeString {
			return leaf{}, invalid("cidr match pattern must be a string")
		}
		p, err := netip.ParsePrefix(v.text)
		if err != nil {
			return leaf{}, invalid("Nonstandard IP address: %s", v.text)
		}
		return leaf{kind: cidrMatch, cidr: p.Masked()}, nil
	case "anything-but":
		return compileAnythingBut(v)
	}
	return leaf{}, invalid("Unrecognized match type %s", name)
}

// compileAnythingBut: a string or number, a list of only strings or only numbers, or an object
// with one of prefix, suffix (a single non-empty string), equals-ignore-case or wildcard (a
// string or a list of strings).
func compileAnythingBut(v *node) (leaf, error) {
	switch v.kind {
	case nodeString:
		return leaf{kind: anythingBut, but: []leaf{{kind: exactString, str: v.text}}}, nil
	case nodeNumber:
		eq, err := numericEquals(v.text)
		if err != nil {
			return leaf{}, err
		}
		return leaf{kind: anythingBut, but: []leaf{eq}}, nil
	case nodeArray:
		return compileAnythingButList(v.arr)
	case nodeObject:
		return compileAnythingButObject(v)
	}
	return leaf{}, invalid("Value of anything-but must be an array or single string/number value.")
}

func compileAnythingButList(arr []*node) (leaf, error) {
	var strs, nums int
	out := leaf{kind: anythingBut}
	for _, e := range arr {
		switch e.kind {
		case nodeString:
			strs++
			out.but = append(out.but, leaf{kind: exactString, str: e.text})
		case nodeNumber:
			nums++
			eq, err := numericEquals(e.text)
			if err != nil {
				return leaf{}, err
			}
			out.but = append(out.but, eq)
		default:
			return leaf{}, invalid("Inside anything but list, start|null|boolean is not supported.")
		}
	}
	if (strs > 0) == (nums > 0) {
		return leaf{}, invalid("Inside anything but list, either all values are number or string, mixed type is not supported")
	}
	return out, nil
}

func compileAnythingButObject(v *node) (leaf, error) {
	if len(v.keys) == 0 {
		return leaf{}, invalid("Anything-But expression name not found")
	}
	if len(v.keys) > 1 {
		return leaf{}, invalid("Only one key allowed in match expression")
	}
	op, arg := v.keys[0], v.vals[0]
	out := leaf{kind: anythingBut, butStringsOnly: true}
	switch op {
	case "prefix", "suffix":
		if arg.kind != nodeString {
			return leaf{}, invalid("prefix/suffix match pattern must be a string")
		}
		if arg.text == "" {
			return leaf{}, invalid("Null prefix/suffix not allowed")
		}
		kind := prefixMatch
		if op == "suffix" {
			kind = suffixMatch
		}
		out.but = []leaf{{kind: kind, str: arg.text}}
		return out, nil
	case "equals-ignore-case", "wildcard":
		strs, ok := stringOrStrings(arg)
		if !ok {
			return leaf{}, invalid("Inside anything-but/%s list, number|start|null|boolean is not supported.", op)
		}
		for _, s := range strs {
			if op == "equals-ignore-case" {
				out.but = append(out.but, leaf{kind: equalsIgnoreCase, str: s})
				continue
			}
			w, err := parseWildcard(s)
			if err != nil {
				return leaf{}, err
			}
			out.but = append(out.but, leaf{kind: wildcardMatch, wild: w})
		}
		return out, nil
	}
	return leaf{}, invalid("Unsupported anything-but pattern: %s", op)
}

// stringOrStrings reads a string or a non-empty array of strings.
func stringOrStrings(n *node) ([]string, bool) {
	if n.kind == nodeString {
		return []string{n.text}, true
	}
	if n.kind != nodeArray || len(n.arr) == 0 {
		return nil, false
	}
	var out []string
	for _, e := range n.arr {
		if e.kind != nodeString {
			return nil, false
		}
		out = append(out, e.text)
	}
	return out, true
}

// compileNumeric reads ["=", n], [">"|">="|"<"|"<=", n] or [">"|">=", n, "<"|"<=", m].
func compileNumeric(arr []*node) (numRange, error) {
	if len(arr) == 0 || arr[0].kind != nodeString {
		what := "]"
		if len(arr) > 0 {
			what = arr[0].describe()
		}
		return numRange{}, invalid("Invalid member in numeric match: %s", what)
	}
	op := arr[0].text
	switch op {
	case "=", ">", ">=", "<", "<=":
	default:
		return numRange{}, invalid("Unrecognized numeric range operator: %s", op)
	}
	val, err := numericOperand(op, arr, 1)
	if err != nil {
		return numRange{}, err
	}
	switch op {
	case "=":
		if len(arr) > 2 {
			return numRange{}, invalid("Too many elements in numeric expression")
		}
		return numRange{lo: val, hi: val, hasLo: true, hasHi: true}, nil
	case "<", "<=":
		if len(arr) > 2 {
			return numRange{}, invalid("Too many elements in numeric expression")
		}
		return numRange{hi: val, hasHi: true, hiOpen: op == "<"}, nil
	}
	r := numRange{lo: val, hasLo: true, loOpen: op == ">"}
	if len(arr) == 2 {
		return r, nil
	}
	if arr[2].kind != nodeString {
		return numRange{}, invalid("Bad value in numeric range: %s", arr[2].describe())
	}
	top := arr[2].text
	if top != "<" && top != "<=" {
		return numRange{}, invalid("Bad numeric range operator: %s", top)
	}
	hi, err := numericOperand(top, arr, 3)
	if err != nil {
		return numRange{}, err
	}
	if len(arr) > 4 {
		return numRange{}, invalid("Too many terms in numeric range expression")
	}
	r.hi, r.hasHi, r.hiOpen = hi, true, top == "<"
	return r, nil
}

func numericOperand(op string, arr []*node, i int) (float64, error) {
	if i >= len(arr) || arr[i].kind != nodeNumber {
		return 0, invalid("Value of %s must be numeric", op)
	}
	return patternNumber(arr[i].text)
}

// patternNumber reads a number of a numeric or anything-but expression, which must lie within
// the documented range.
func patternNumber(text string) (float64, error) {
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || f < -numericLimit || f > numericLimit {
		return 0, invalid("Value must be between -5.0E9 and 5.0E9, inclusive")
	}
	return f, nil
}

func numericEquals(text string) (leaf, error) {
	f, err := patternNumber(text)
	if err != nil {
		return leaf{}, err
	}
	return leaf{kind: numericMatch, rng: numRange{lo: f, hi: f, hasLo: true, hasHi: true}}, nil
}
