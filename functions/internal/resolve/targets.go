package resolve

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
)

// Target is how the provision state machine reaches the provisioner of a database in another
// account or region: that account's dbusers function, invoked with Step Functions task
// credentials, i.e. after assuming RoleArn (a role there that trusts only the state machine's
// role and may invoke only FunctionArn).
type Target struct {
	FunctionArn string `json:"functionArn"`
	RoleArn     string `json:"roleArn"`
}

var (
	reFunctionArn = regexp.MustCompile(`^arn:aws[a-z-]*:lambda:[a-z0-9-]+:(\d{12}):function:[A-Za-z0-9_-]{1,64}$`)
	reRoleArn     = regexp.MustCompile(`^arn:aws[a-z-]*:iam::(\d{12}):role/[A-Za-z0-9+=,.@_/-]{1,512}$`)
)

// ParseTargets decodes SSOFLOW_DATABASE_TARGETS (database name → target; empty means every
// database is provisioned by the pipeline's own function) and checks that each names a
// configured database, a function ARN, and a role of the function's account.
func ParseTargets(raw string, dbs []Database) (map[string]Target, error) {
	if raw == "" {
		return nil, nil
	}
	var m map[string]Target
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, fmt.Errorf("database targets are not a JSON object of name → {functionArn, roleArn}: %w", err)
	}
	known := map[string]bool{}
	for _, d := range dbs {
		known[d.Name] = true
	}
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		t := m[n]
		if !known[n] {
			return nil, fmt.Errorf("database target %q is not a configured database", n)
		}
		fn := reFunctionArn.FindStringSubmatch(t.FunctionArn)
		if fn == nil {
			return nil, fmt.Errorf("database target %q: functionArn %q is not a Lambda function ARN", n, t.FunctionArn)
		}
		role := reRoleArn.FindStringSubmatch(t.RoleArn)
		if role == nil {
			return nil, fmt.Errorf("database target %q: roleArn %q is not an IAM role ARN", n, t.RoleArn)
		}
		if fn[1] != role[1] {
			return nil, fmt.Errorf("database target %q: role %s is not in the function's account %s", n, t.RoleArn, fn[1])
		}
	}
	return m, nil
}

// route sets where the work is provisioned: a remote target's function and role, or nothing
// for the pipeline's own function.
func (c Config) route(w *DatabaseWork) {
	if t, ok := c.Targets[w.Database]; ok {
		w.FunctionArn, w.RoleArn = t.FunctionArn, t.RoleArn
	}
}
