package localsfn

import (
	"encoding/json"
	"fmt"
)

// This file derives machines from a loaded one, for a Step Functions emulator that redrives an
// execution as AWS does: resume at the state that did not succeed, or rerun the iterations of an
// inline Map that did not succeed (sfnemu/redrive.go says which rule comes from where).

// StateDef returns a top-level state's definition (before substitution), or false.
func (m *Machine) StateDef(name string) (map[string]any, bool) {
	var root struct {
		States map[string]map[string]any `json:"States"`
	}
	if err := json.Unmarshal(m.raw, &root); err != nil {
		return nil, false
	}
	s, ok := root.States[name]
	return s, ok
}

// StartAt is the definition's first state.
func (m *Machine) StartAt() string {
	var root struct {
		StartAt string `json:"StartAt"`
	}
	_ = json.Unmarshal(m.raw, &root)
	return root.StartAt
}

// From returns the same definition starting at the top-level state name. States that cannot be
// reached from there are left out: they would never run, and the runner refuses a definition
// with unreachable states, as Step Functions does.
func (m *Machine) From(name string) (*Machine, error) {
	var root map[string]any
	if err := json.Unmarshal(m.raw, &root); err != nil {
		return nil, fmt.Errorf("state machine %s: %w", m.Name, err)
	}
	states, _ := root["States"].(map[string]any)
	if _, ok := states[name]; !ok {
		return nil, fmt.Errorf("state machine %s has no top-level state %q", m.Name, name)
	}
	reachable := map[string]any{}
	for todo := []string{name}; len(todo) > 0; {
		n := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		s, ok := states[n].(map[string]any)
		if _, seen := reachable[n]; seen || !ok {
			continue
		}
		reachable[n] = s
		todo = append(todo, transitions(s)...)
	}
	root["StartAt"], root["States"] = name, reachable
	raw, err := json.Marshal(root)
	if err != nil {
		return nil, err
	}
	return Parse(m.Name, raw, m.subs)
}

// Iteration returns the definition one iteration of the top-level Map state name runs (its
// ItemProcessor, or the older Iterator), as a machine of its own.
func (m *Machine) Iteration(name string) (*Machine, error) {
	s, ok := m.StateDef(name)
	if !ok || s["Type"] != "Map" {
		return nil, fmt.Errorf("state machine %s has no top-level Map state %q", m.Name, name)
	}
	proc, _ := s["ItemProcessor"].(map[string]any)
	if proc == nil {
		proc, _ = s["Iterator"].(map[string]any)
	}
	if proc == nil {
		return nil, fmt.Errorf("state machine %s: Map state %q has no ItemProcessor", m.Name, name)
	}
	if cfg, _ := proc["ProcessorConfig"].(map[string]any); cfg != nil && cfg["Mode"] == "DISTRIBUTED" {
		return nil, fmt.Errorf("state machine %s: Map state %q is distributed, which the local runner does not run", m.Name, name)
	}
	raw, err := json.Marshal(map[string]any{"StartAt": proc["StartAt"], "States": proc["States"]})
	if err != nil {
		return nil, err
	}
	return Parse(m.Name, raw, m.subs)
}

// DirectLambda says whether the named state (at any depth) is a Task whose Resource is a Lambda
// function itself (a ${Name} placeholder) rather than a service integration such as lambda:invoke.
func (m *Machine) DirectLambda(state string) bool {
	if _, ok := m.taskSubs[state]; !ok {
		return false
	}
	for _, s := range m.invokes {
		if s == state {
			return false
		}
	}
	return true
}

// transitions are the states a state can go to: Next, a Choice's Default and choices, and
// every Catch's Next.
func transitions(s map[string]any) []string {
	var out []string
	add := func(v any) {
		if n, ok := v.(string); ok && n != "" {
			out = append(out, n)
		}
	}
	add(s["Next"])
	add(s["Default"])
	for _, key := range []string{"Choices", "Catch"} {
		list, _ := s[key].([]any)
		for _, c := range list {
			if c, ok := c.(map[string]any); ok {
				add(c["Next"])
			}
		}
	}
	return out
}
