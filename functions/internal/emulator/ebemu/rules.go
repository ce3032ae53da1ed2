package ebemu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// DefaultBus is the name of the account's default event bus.
const DefaultBus = "default"

// maxTargetsPerRule: "Each rule can have up to five (5) targets associated with it at one
// time" (PutTargets, API reference).
const maxTargetsPerRule = 5

// maxRulePatternLength is the "Event pattern size" quota of rules, in characters (EventBridge
// quotas, default 2048); TestEventPattern takes up to maxPatternLength.
const maxRulePatternLength = 2048

// RuleSpec is a rule as the synthesized-rules golden file writes it.
type RuleSpec struct {
	Stack    string          `json:"stack"`
	Rule     string          `json:"rule"`
	Bus      string          `json:"bus"`
	Pattern  json.RawMessage `json:"pattern"`
	Schedule string          `json:"schedule"`
	Targets  []RuleTarget    `json:"targets"`
}

// RuleTarget is one target of a rule: a state machine by its ASL name ("provision") or a
// function by its construct id ("Notify"). InputPath ("$" or "$.a.b") and Input (a constant
// JSON text) are the target's input selection when the rule sets one; without either the
// target receives the whole event.
type RuleTarget struct {
	Kind      string          `json:"kind"`
	Name      string          `json:"name"`
	InputPath string          `json:"inputPath,omitempty"`
	Input     json.RawMessage `json:"input,omitempty"`
}

// Target kinds.
const (
	KindStateMachine = "stateMachine"
	KindFunction     = "function"
)

// TargetFunc receives the events a rule sends to its target.
type TargetFunc func(ctx context.Context, event json.RawMessage) error

// Delivery is one event sent to one target of one matching rule.
type Delivery struct {
	Bus    string
	Rule   string
	Target RuleTarget
	Event  json.RawMessage // what the target received
	Err    error           // the target's error, or ErrNoTarget
}

// ErrNoTarget: a matching rule names a target no TargetFunc is registered for.
var ErrNoTarget = errors.New("no target registered under this kind and name")

type compiledRule struct {
	spec    RuleSpec
	pattern *Pattern // nil for a schedule-only rule
}

type targetKey struct{ kind, name string }

// PutRule adds a rule, or replaces the rule of the same stack and name on the same bus. A rule
// needs an event pattern or a schedule; a schedule-only rule never matches events (schedules
// do not fire in the emulator). The pattern is compiled as EventBridge compiles it.
func (e *Emulator) PutRule(spec RuleSpec) error {
	if spec.Rule == "" {
		return errors.New("PutRule: the rule has no name")
	}
	if spec.Bus == "" {
		spec.Bus = DefaultBus
	}
	r := &compiledRule{spec: spec}
	hasPattern := len(spec.Pattern) > 0 && string(spec.Pattern) != "null"
	if !hasPattern && spec.Schedule == "" {
		return fmt.Errorf("PutRule %s: ValidationException: a rule must contain at least an EventPattern or ScheduleExpression", spec.Rule)
	}
	if hasPattern {
		if n := utf8.RuneCount(spec.Pattern); n > maxRulePatternLength {
			return fmt.Errorf("PutRule %s: LimitExceededException: the event pattern is %d characters, the quota is %d", spec.Rule, n, maxRulePatternLength)
		}
		p, err := ParsePattern(spec.Pattern)
		if err != nil {
			return fmt.Errorf("PutRule %s: %w", spec.Rule, err)
		}
		r.pattern = p
	}
	if len(spec.Targets) > maxTargetsPerRule {
		return fmt.Errorf("PutTargets %s: LimitExceededException: %d targets, at most %d per rule", spec.Rule, len(spec.Targets), maxTargetsPerRule)
	}
	for _, t := range spec.Targets {
		if err := t.validate(); err != nil {
			return fmt.Errorf("PutTargets %s: %w", spec.Rule, err)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, old := range e.rules {
		if old.spec.Bus == spec.Bus && old.spec.Stack == spec.Stack && old.spec.Rule == spec.Rule {
			e.rules[i] = r
			return nil
		}
	}
	e.rules = append(e.rules, r)
	return nil
}

// LoadRules puts every rule.
func (e *Emulator) LoadRules(specs []RuleSpec) error {
	// The synthesized patterns name ARNs with CloudFormation's pseudo parameters; CloudFormation
	// resolves them at deployment ("Pseudo parameters reference", AWS CloudFormation User Guide,
	// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/pseudo-parameter-reference.html):
	// here they become this emulator's account and region, and the partition "aws".
	deploy := strings.NewReplacer("${AWS::Partition}", "aws", "${AWS::AccountId}", e.Account, "${AWS::Region}", e.Region)
	for _, s := range specs {
		if s.Pattern != nil {
			s.Pattern = json.RawMessage(deploy.Replace(string(s.Pattern)))
		}
		if err := e.PutRule(s); err != nil {
			return err
		}
	}
	return nil
}

// Rules returns the rules held, in the order they were put.
func (e *Emulator) Rules() []RuleSpec {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]RuleSpec, len(e.rules))
	for i, r := range e.rules {
		out[i] = r.spec
	}
	return out
}

// RegisterTarget makes fn the receiver of events sent to the target of this kind and name.
func (e *Emulator) RegisterTarget(kind, name string, fn TargetFunc) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.targets == nil {
		e.targets = map[targetKey]TargetFunc{}
	}
	e.targets[targetKey{kind, name}] = fn
}

// Deliveries returns every delivery made so far, in order.
func (e *Emulator) Deliveries() []Delivery {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Delivery(nil), e.deliveries...)
}

// Deliver routes an event put directly on bus (as AWS services put theirs) to the targets of
// every rule of that bus whose pattern matches, and returns those deliveries. Targets are
// called in rule order, one after another, before Deliver returns. A malformed event is an
// error; a target's error is recorded in its Delivery.
func (e *Emulator) Deliver(ctx context.Context, bus string, event json.RawMessage) ([]Delivery, error) {
	obj, err := decodeEvent(event)
	if err != nil {
		return nil, fmt.Errorf("deliver on bus %s: %w", bus, err)
	}
	bus = busName(bus)
	e.mu.Lock()
	rules := append([]*compiledRule(nil), e.rules...)
	targets := make(map[targetKey]TargetFunc, len(e.targets))
	for k, v := range e.targets {
		targets[k] = v
	}
	e.mu.Unlock()

	var out []Delivery
	for _, r := range rules {
		if r.spec.Bus != bus || r.pattern == nil || !r.pattern.root.match(obj) {
			continue
		}
		for _, t := range r.spec.Targets {
			d := Delivery{Bus: bus, Rule: r.spec.Rule, Target: t}
			d.Event, d.Err = t.input(event, obj)
			if d.Err == nil {
				if fn := targets[targetKey{t.Kind, t.Name}]; fn == nil {
					d.Err = fmt.Errorf("%s %q: %w", t.Kind, t.Name, ErrNoTarget)
				} else {
					d.Err = fn(ctx, d.Event)
				}
			}
			out = append(out, d)
		}
	}
	e.mu.Lock()
	e.deliveries = append(e.deliveries, out...)
	e.mu.Unlock()
	return out, nil
}

// busName reduces an event bus ARN (arn:aws:events:…:event-bus/name) to its name; an empty
// name is the default bus.
func busName(nameOrARN string) string {
	if nameOrARN == "" {
		return DefaultBus
	}
	if strings.HasPrefix(nameOrARN, "arn:") {
		if _, name, ok := strings.Cut(nameOrARN, ":event-bus/"); ok {
			return name
		}
	}
	return nameOrARN
}

func (t RuleTarget) validate() error {
	if t.Kind != KindStateMachine && t.Kind != KindFunction {
		return fmt.Errorf("target %q: kind %q is neither %q nor %q", t.Name, t.Kind, KindStateMachine, KindFunction)
	}
	if t.Name == "" {
		return errors.New("a target has no name")
	}
	if t.InputPath != "" && len(t.Input) > 0 {
		return fmt.Errorf("target %q: ValidationException: Input and InputPath are mutually exclusive", t.Name)
	}
	if len(t.Input) > 0 && !json.Valid(t.Input) {
		return fmt.Errorf("target %q: ValidationException: Input is not valid JSON", t.Name)
	}
	if t.InputPath != "" {
		if _, err := pathSteps(t.InputPath); err != nil {
			return fmt.Errorf("target %q: %w", t.Name, err)
		}
	}
	return nil
}

// input is what the target receives: the constant Input, the InputPath selection, or the whole
// event.
func (t RuleTarget) input(event json.RawMessage, obj map[string]any) (json.RawMessage, error) {
	switch {
	case len(t.Input) > 0:
		return t.Input, nil
	case t.InputPath != "" && t.InputPath != "$":
		steps, err := pathSteps(t.InputPath)
		if err != nil {
			return nil, err
		}
		var v any = obj
		for _, s := range steps {
			m, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("InputPath %s: %q is not an object in the event", t.InputPath, s)
			}
			if v, ok = m[s]; !ok {
				return nil, fmt.Errorf("InputPath %s: the event has no %q", t.InputPath, s)
			}
		}
		return json.Marshal(v)
	}
	return event, nil
}

// pathSteps reads the JSONPath subset the emulator applies: "$" or "$.name.name…".
func pathSteps(path string) ([]string, error) {
	if path == "$" {
		return nil, nil
	}
	rest, ok := strings.CutPrefix(path, "$.")
	if !ok || rest == "" {
		return nil, fmt.Errorf("InputPath %q: only $ and $.field.field… are emulated", path)
	}
	steps := strings.Split(rest, ".")
	for _, s := range steps {
		if s == "" || strings.ContainsAny(s, "[]*'\"") {
			return nil, fmt.Errorf("InputPath %q: only $ and $.field.field… are emulated", path)
		}
	}
	return steps, nil
}
