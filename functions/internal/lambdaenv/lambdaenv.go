// Package lambdaenv loads a function's typed configuration from its environment variables at
// cold start, and reports every missing one at once, by name.
package lambdaenv

import (
	"fmt"
	"os"
	"strings"
)

// Env reads variables and remembers which required ones were missing.
type Env struct {
	lookup  func(string) (string, bool)
	missing []string
}

// New reads from the process environment.
func New() *Env { return &Env{lookup: os.LookupEnv} }

// From reads from a map (tests).
func From(m map[string]string) *Env {
	return &Env{lookup: func(k string) (string, bool) { v, ok := m[k]; return v, ok }}
}

// Require returns the variable's value and records it as missing when empty.
func (e *Env) Require(name string) string {
	v, ok := e.lookup(name)
	if !ok || strings.TrimSpace(v) == "" {
		e.missing = append(e.missing, name)
	}
	return v
}

// Optional returns the variable's value or def when unset or empty.
func (e *Env) Optional(name, def string) string {
	if v, ok := e.lookup(name); ok && v != "" {
		return v
	}
	return def
}

// Err reports the missing variables, or nil.
func (e *Env) Err() error {
	if len(e.missing) == 0 {
		return nil
	}
	return fmt.Errorf("missing environment variables (set by the CDK stack): %s", strings.Join(e.missing, ", "))
}
