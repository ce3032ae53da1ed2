// Package asl reads Amazon States Language definitions the way both the CDK app and the local
// runner need to: it lists the ${Name} placeholders that DefinitionSubstitutions must fill,
// substitutes them, and walks every state, including those nested in Map and Parallel states.
// It is exported (not internal) because the CDK app's tests use it to prove every placeholder
// has a substitution.
package asl

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

var placeholder = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`)

// Placeholders returns the sorted, distinct ${Name} placeholders in an ASL definition.
func Placeholders(def []byte) []string {
	seen := map[string]bool{}
	for _, m := range placeholder.FindAllSubmatch(def, -1) {
		seen[string(m[1])] = true
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Substitute replaces every ${Name} with subs[Name]. Values are inserted JSON-string-escaped,
// as CloudFormation does for DefinitionSubstitutions inside string literals. A placeholder with
// no substitution is an error naming it.
func Substitute(def []byte, subs map[string]string) ([]byte, error) {
	var missing []string
	out := placeholder.ReplaceAllFunc(def, func(m []byte) []byte {
		name := string(placeholder.FindSubmatch(m)[1])
		v, ok := subs[name]
		if !ok {
			missing = append(missing, name)
			return m
		}
		b, _ := json.Marshal(v)
		return b[1 : len(b)-1]
	})
	if len(missing) > 0 {
		return nil, fmt.Errorf("no substitution for %s", strings.Join(missing, ", "))
	}
	return out, nil
}

// State is one state of a definition, wherever it is nested.
type State struct {
	Name string
	Type string
	Def  map[string]any
}

// States returns every state of the definition, depth first, including the states of Map
// ItemProcessor/Iterator and Parallel Branches.
func States(def []byte) ([]State, error) {
	var root map[string]any
	if err := json.Unmarshal(def, &root); err != nil {
		return nil, fmt.Errorf("parse definition: %w", err)
	}
	var out []State
	walk(root, &out)
	return out, nil
}

func walk(machine map[string]any, out *[]State) {
	states, _ := machine["States"].(map[string]any)
	names := make([]string, 0, len(states))
	for n := range states {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		s, _ := states[name].(map[string]any)
		typ, _ := s["Type"].(string)
		*out = append(*out, State{Name: name, Type: typ, Def: s})
		for _, key := range []string{"ItemProcessor", "Iterator"} {
			if sub, ok := s[key].(map[string]any); ok {
				walk(sub, out)
			}
		}
		if branches, ok := s["Branches"].([]any); ok {
			for _, b := range branches {
				if sub, ok := b.(map[string]any); ok {
					walk(sub, out)
				}
			}
		}
	}
}

// TaskPlaceholder returns the ${Name} a Task state's Resource (or, for the lambda:invoke
// integration, Parameters.FunctionName) refers to, or "" if it names none.
func TaskPlaceholder(s State) string {
	if s.Type != "Task" {
		return ""
	}
	if r, ok := s.Def["Resource"].(string); ok {
		if m := placeholder.FindStringSubmatch(r); m != nil && m[0] == r {
			return m[1]
		}
	}
	if p, ok := s.Def["Parameters"].(map[string]any); ok {
		if f, ok := p["FunctionName"].(string); ok {
			if m := placeholder.FindStringSubmatch(f); m != nil && m[0] == f {
				return m[1]
			}
		}
	}
	return ""
}
