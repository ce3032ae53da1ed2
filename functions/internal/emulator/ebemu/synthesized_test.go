package ebemu_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/ssoflow/ssoflow/functions/internal/emulator/ebemu"
)

// TestSynthesizedRulesLoad: the embedded golden file decodes and every rule compiles; the
// routing it produces is pinned by the eventroutes package.
func TestSynthesizedRulesLoad(t *testing.T) {
	specs, err := ebemu.SynthesizedRules()
	if err != nil {
		t.Fatal(err)
	}
	e := ebemu.New("111122223333", "us-east-1")
	if err := e.LoadRules(specs); err != nil {
		t.Fatal(err)
	}
	var buses []string
	for _, s := range e.Rules() {
		if !slices.Contains(buses, s.Bus) {
			buses = append(buses, s.Bus)
		}
	}
	slices.Sort(buses)
	if got := strings.Join(buses, ","); got != "default,okta-partner,ssoflow" {
		t.Errorf("rules on buses %s, want default, okta-partner and ssoflow", got)
	}
}

// TestReadSynthesizedRulesRefusals: the golden file's reader refuses what it could not apply
// faithfully, naming the rule.
func TestReadSynthesizedRulesRefusals(t *testing.T) {
	const target = `"targets":[{"kind":"stateMachine","name":"provision"}]`
	for _, c := range []struct{ name, file, want string }{
		{"input transformer", `[{"stack":"s","rule":"r","bus":"default","pattern":null,"schedule":"rate(1 hour)",` +
			`"targets":[{"kind":"stateMachine","name":"provision","inputTransformer":{"InputTemplate":"{}"}}]}]`, `unknown field "inputTransformer"`},
		{"unknown bus", `[{"stack":"s","rule":"r","bus":"ssoflow-dev","pattern":{"source":["a"]},"schedule":"",` + target + `}]`, `bus "ssoflow-dev"`},
		{"no targets", `[{"stack":"s","rule":"r","bus":"default","pattern":{"source":["a"]},"schedule":"","targets":[]}]`, "no targets"},
		{"refused pattern", `[{"stack":"s","rule":"r","bus":"default","pattern":{"source":"a"},"schedule":"",` + target + `}]`, `(s r): PutRule r: InvalidEventPatternException`},
		{"unresolved CloudFormation reference", `[{"stack":"s","rule":"r","bus":"default","pattern":{"detail":{"stateMachineArn":[{"Ref":"Provision0F7F188D"}]}},"schedule":"",` + target + `}]`, "Unrecognized match type Ref"},
		{"no rules", `[]`, "no rules"},
	} {
		_, err := ebemu.ReadSynthesizedRules([]byte(c.file))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error containing %q", c.name, err, c.want)
		}
	}
	ok := `[{"stack":"s","rule":"r","bus":"default","pattern":{},"schedule":"rate(1 hour)",` + target + `}]`
	if specs, err := ebemu.ReadSynthesizedRules([]byte(ok)); err != nil || len(specs[0].Pattern) != 0 {
		t.Errorf("a schedule rule written with pattern {}: %v, %+v; want it read as having no pattern", err, specs)
	}
}
