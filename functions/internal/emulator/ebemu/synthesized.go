package ebemu

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
)

// synthesizedRules is the golden file of the deployment's rules, written from the
// AWS::Events::Rule resources of the synthesized CloudFormation templates.
//
//go:embed rules/synthesized.json
var synthesizedRules []byte

// Buses of the golden file: the account's default bus (CloudTrail, Step Functions), the
// ssoflow bus (the Okta hook's events) and Okta's partner bus (its log stream).
const (
	BusSSOFlow     = "ssoflow"
	BusOktaPartner = "okta-partner"
)

var synthesizedBuses = []string{DefaultBus, BusSSOFlow, BusOktaPartner}

// SynthesizedRules reads the deployment's rules from rules/synthesized.json. The file is
// decoded strictly (an unknown field, such as an input transformer the emulator would not
// apply, is an error) and every pattern must compile as EventBridge compiles it.
func SynthesizedRules() ([]RuleSpec, error) {
	return ReadSynthesizedRules(synthesizedRules)
}

// ReadSynthesizedRules reads rules in the golden file's format:
// [{"stack","rule","bus","pattern","schedule","targets":[{"kind","name"}]}].
func ReadSynthesizedRules(data []byte) ([]RuleSpec, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var specs []RuleSpec
	if err := dec.Decode(&specs); err != nil {
		return nil, fmt.Errorf("synthesized rules: %w", err)
	}
	if len(specs) == 0 {
		return nil, fmt.Errorf("synthesized rules: no rules")
	}
	for i, s := range specs {
		where := fmt.Sprintf("synthesized rules: rule %d (%s %s)", i, s.Stack, s.Rule)
		if s.Stack == "" || s.Rule == "" {
			return nil, fmt.Errorf("%s: stack and rule are required", where)
		}
		if !slices.Contains(synthesizedBuses, s.Bus) {
			return nil, fmt.Errorf("%s: bus %q is not one of %v", where, s.Bus, synthesizedBuses)
		}
		if len(s.Targets) == 0 {
			return nil, fmt.Errorf("%s: no targets", where)
		}
		// A schedule rule has no pattern: the file may write it as null, {} or leave it out.
		if s.Schedule != "" && bytes.Equal(bytes.Join(bytes.Fields(s.Pattern), nil), []byte("{}")) {
			specs[i].Pattern = nil
		}
		if err := (&Emulator{}).PutRule(specs[i]); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
	}
	return specs, nil
}
