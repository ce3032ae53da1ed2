package asl

import (
	"encoding/json"
	"fmt"
	"sort"
)

// CatchesIntoFail lists every Catch whose paths can only end in a Fail state, as "State -> Fail"
// at any depth. Such a Catch makes the caught step unredrivable: the Task and whatever followed
// the Catch succeeded, so a redrive re-enters only the Fail state, which fails again ("Redriving
// executions", AWS Step Functions Developer Guide,
// https://docs.aws.amazon.com/step-functions/latest/dg/redrive-executions.html). A failure
// must fail the execution at the step instead, and be told from the execution's status change.
// A Catch that recovers — its path can also end in success, like a failed announcement that
// goes on to wait for the grant's end — is not one, even if a Fail state lies further on.
func CatchesIntoFail(def []byte) ([]string, error) {
	var root map[string]any
	if err := json.Unmarshal(def, &root); err != nil {
		return nil, fmt.Errorf("parse definition: %w", err)
	}
	var out []string
	catchesIn(root, &out)
	sort.Strings(out)
	return out, nil
}

func catchesIn(machine map[string]any, out *[]string) {
	states, _ := machine["States"].(map[string]any)
	for name, v := range states {
		s, _ := v.(map[string]any)
		catches, _ := s["Catch"].([]any)
		for _, c := range catches {
			c, _ := c.(map[string]any)
			next, _ := c["Next"].(string)
			if fail, succeeds := ends(states, next); fail != "" && !succeeds {
				*out = append(*out, name+" -> "+fail)
			}
		}
		for _, key := range []string{"ItemProcessor", "Iterator"} {
			if sub, ok := s[key].(map[string]any); ok {
				catchesIn(sub, out)
			}
		}
		branches, _ := s["Branches"].([]any)
		for _, b := range branches {
			if sub, ok := b.(map[string]any); ok {
				catchesIn(sub, out)
			}
		}
	}
}

// ends walks every state reachable from start (through Next, Default, choices and Catches):
// the first Fail state found, and whether a successful end (a Succeed state, or End) is there.
func ends(states map[string]any, start string) (fail string, succeeds bool) {
	seen := map[string]bool{}
	for todo := []string{start}; len(todo) > 0; {
		n := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		s, ok := states[n].(map[string]any)
		if !ok || seen[n] {
			continue
		}
		seen[n] = true
		if s["Type"] == "Fail" {
			if fail == "" {
				fail = n
			}
			continue
		}
		if end, _ := s["End"].(bool); end || s["Type"] == "Succeed" {
			succeeds = true
		}
		for _, k := range []string{"Next", "Default"} {
			if v, ok := s[k].(string); ok {
				todo = append(todo, v)
			}
		}
		for _, k := range []string{"Choices", "Catch"} {
			list, _ := s[k].([]any)
			for _, c := range list {
				if c, ok := c.(map[string]any); ok {
					if v, ok := c["Next"].(string); ok {
						todo = append(todo, v)
					}
				}
			}
		}
	}
	return fail, succeeds
}
