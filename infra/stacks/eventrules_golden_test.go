package stacks_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"

	"github.com/ssoflow/ssoflow/infra/stacks"
)

var update = flag.Bool("update", false, "rewrite the golden files from the synthesized templates")

// rulesGolden is the export of every EventBridge rule the app deploys, read by the EventBridge
// emulator (functions/internal/emulator/ebemu) to match events exactly as the deployed rules do.
var rulesGolden = filepath.Join(repoRoot, "functions", "internal", "emulator", "ebemu", "rules", "synthesized.json")

// goldenRule is one AWS::Events::Rule. Field order and names are the file's schema.
type goldenRule struct {
	Stack string `json:"stack"`
	// Rule is the rule's construct path inside its stack.
	Rule string `json:"rule"`
	// Bus is "default", "ssoflow" (the pipeline's bus) or "okta-partner" (Okta's log stream).
	Bus string `json:"bus"`
	// Pattern is the EventPattern as synthesized, with CloudFormation intrinsics written as
	// strings: pseudo parameters as ${AWS::Partition}, ${AWS::AccountId}, ${AWS::Region}, joins
	// joined. null for a rule with a schedule and no pattern.
	Pattern  any            `json:"pattern"`
	Schedule string         `json:"schedule"`
	Targets  []goldenTarget `json:"targets"`
}

// goldenTarget is "stateMachine" with the ASL file's name (provision for provision.asl.json) or
// "function" with the function's construct id (Notify).
type goldenTarget struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

// synthesizedRules synthesizes the shipped dev configuration with Okta's log stream turned on
// too, so every kind of rule the app can deploy is in the export, and reads every stack's rules.
func synthesizedRules(t *testing.T) []goldenRule {
	t.Helper()
	cfg := devConfig(t)
	cfg.Okta.LogStreamEventBusName = "aws.partner/okta.com/example-org/ssoflow-log-stream"
	app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]any{
		"aws:cdk:bundling-stacks": []string{}, "aws:cdk:enable-path-metadata": true,
	}})
	stacks.NewApp(app, stacks.AppProps{Config: cfg, RepoRoot: repoRoot})
	asl := aslFiles(t)
	var out []goldenRule
	for _, child := range *app.Node().Children() {
		if !*awscdk.Stack_IsStack(child) {
			continue
		}
		st := awscdk.Stack_Of(child)
		tpl := *assertions.Template_FromStack(st, nil).ToJSON()
		all, _ := tpl["Resources"].(map[string]any)
		for id, props := range resources(tpl, "AWS::Events::Rule") {
			r := goldenRule{Stack: *st.StackName(), Rule: constructPath(all[id], *st.StackName(), id), Targets: []goldenTarget{}}
			r.Bus = busOf(t, all, props["EventBusName"], cfg.Prefix, cfg.Okta.LogStreamEventBusName)
			if p, ok := props["EventPattern"]; ok {
				pattern, err := patternOf(p)
				if err != nil {
					t.Fatalf("%s: %v", r.Rule, err)
				}
				r.Pattern = pattern
			}
			r.Schedule, _ = props["ScheduleExpression"].(string)
			for _, tg := range props["Targets"].([]any) {
				r.Targets = append(r.Targets, targetOf(t, all, asl, *st.StackName(), tg.(map[string]any)))
			}
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Stack != out[j].Stack {
			return out[i].Stack < out[j].Stack
		}
		return out[i].Rule < out[j].Rule
	})
	return out
}

// constructPath is a resource's construct path inside its stack (aws:cdk:path without the stack
// and the trailing /Resource), or its logical id when the template carries no path.
func constructPath(resource any, stack, logicalID string) string {
	meta, _ := resource.(map[string]any)["Metadata"].(map[string]any)
	path, ok := meta["aws:cdk:path"].(string)
	if !ok {
		return logicalID
	}
	return strings.TrimSuffix(strings.TrimPrefix(path, stack+"/"), "/Resource")
}

func busOf(t *testing.T, all map[string]any, name any, prefix, partner string) string {
	t.Helper()
	switch {
	case name == nil:
		return "default"
	case name == partner:
		return "okta-partner"
	}
	if ref, ok := name.(map[string]any)["Ref"].(string); ok {
		bus, _ := all[ref].(map[string]any)
		props, _ := bus["Properties"].(map[string]any)
		if bus["Type"] == "AWS::Events::EventBus" && props["Name"] == prefix {
			return "ssoflow"
		}
	}
	t.Fatalf("rule on an unknown bus %s: give it a role in the export", jsonOf(name))
	return ""
}

func targetOf(t *testing.T, all, asl map[string]any, stack string, target map[string]any) goldenTarget {
	t.Helper()
	arn := target["Arn"].(map[string]any)
	if ref, ok := arn["Ref"].(string); ok {
		sm, _ := all[ref].(map[string]any)
		if sm["Type"] == "AWS::StepFunctions::StateMachine" {
			def := mustJSON(t, sm["Properties"].(map[string]any)["DefinitionString"].(string))
			for name, want := range asl {
				if reflect.DeepEqual(def, want) {
					return goldenTarget{Kind: "stateMachine", Name: name}
				}
			}
			t.Fatalf("state machine %s deploys no statemachines/*.asl.json", ref)
		}
	}
	if att, ok := arn["Fn::GetAtt"].([]any); ok && len(att) == 2 {
		fn, _ := all[att[0].(string)].(map[string]any)
		if fn["Type"] == "AWS::Lambda::Function" {
			// GoLambda "<id>" / GoFunction "Function" (/ "Resource", trimmed).
			parts := strings.Split(constructPath(fn, stack, att[0].(string)), "/")
			if len(parts) < 2 || parts[len(parts)-1] != "Function" {
				t.Fatalf("function %s is not a GoLambda's (path %v)", att[0], parts)
			}
			return goldenTarget{Kind: "function", Name: parts[len(parts)-2]}
		}
	}
	t.Fatalf("rule target %s is neither a state machine nor a function: give its kind a name in the export", jsonOf(arn))
	return goldenTarget{}
}

// aslFiles is every statemachines/*.asl.json by name (provision for provision.asl.json).
func aslFiles(t *testing.T) map[string]any {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot, "statemachines", "*.asl.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no statemachines/*.asl.json (%v)", err)
	}
	out := map[string]any{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".asl.json")] = mustJSON(t, string(b))
	}
	return out
}

// patternOf copies an EventPattern, writing intrinsics as strings (pseudoString); any other
// intrinsic cannot be written and fails the export.
func patternOf(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		if isIntrinsic(x) {
			return pseudoString(x)
		}
		out := map[string]any{}
		for k, e := range x {
			c, err := patternOf(e)
			if err != nil {
				return nil, err
			}
			out[k] = c
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			c, err := patternOf(e)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	}
	return v, nil
}

func isIntrinsic(m map[string]any) bool {
	for k := range m {
		return len(m) == 1 && (k == "Ref" || strings.HasPrefix(k, "Fn::"))
	}
	return false
}

// pseudoString writes a string, a Ref to a pseudo parameter (${AWS::AccountId}) or an Fn::Join
// of those; anything else (a resource's Ref or attribute, an import) is an error.
func pseudoString(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case map[string]any:
		if ref, ok := x["Ref"].(string); ok && len(x) == 1 && strings.HasPrefix(ref, "AWS::") {
			return "${" + ref + "}", nil
		}
		if join, ok := x["Fn::Join"].([]any); ok && len(x) == 1 && len(join) == 2 {
			sep, _ := join[0].(string)
			parts, _ := join[1].([]any)
			out := make([]string, len(parts))
			for i, p := range parts {
				s, err := pseudoString(p)
				if err != nil {
					return "", err
				}
				out[i] = s
			}
			return strings.Join(out, sep), nil
		}
	}
	return "", fmt.Errorf("pattern value %s refers to a resource or an import: build it from names and pseudo parameters", jsonOf(v))
}

// Every EventBridge rule of every stack, exported for the EventBridge emulator. Rewrite the file
// with: go test ./infra/stacks -run TestEventRulesGolden -update
func TestEventRulesGolden(t *testing.T) {
	rules := synthesizedRules(t)
	got, err := json.MarshalIndent(rules, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.MkdirAll(filepath.Dir(rulesGolden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(rulesGolden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %d rules to %s", len(rules), rulesGolden)
		return
	}
	want, err := os.ReadFile(rulesGolden)
	if err != nil {
		t.Fatalf("%v: write it with go test ./infra/stacks -run TestEventRulesGolden -update", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the synthesized EventBridge rules differ from %s (rewrite it with go test ./infra/stacks -run TestEventRulesGolden -update "+
			"after checking the change is intended):\n%s", rulesGolden, ruleDiff(want, got))
	}
}

// ruleDiff names, rule by rule (stack and construct path), what the synthesized export adds,
// drops or changes against the committed one; a file that does not parse is compared by line.
func ruleDiff(committed, synthesized []byte) string {
	index := func(b []byte) (map[string]string, []string, error) {
		var list []map[string]any
		if err := json.Unmarshal(b, &list); err != nil {
			return nil, nil, err
		}
		out := map[string]string{}
		var keys []string
		for _, r := range list {
			k := fmt.Sprintf("%v %v", r["stack"], r["rule"])
			out[k] = jsonOf(r)
			keys = append(keys, k)
		}
		return out, keys, nil
	}
	want, wantKeys, err1 := index(committed)
	got, gotKeys, err2 := index(synthesized)
	if err1 != nil || err2 != nil {
		return lineDiff(string(committed), string(synthesized))
	}
	var b strings.Builder
	for _, k := range wantKeys {
		if _, ok := got[k]; !ok {
			fmt.Fprintf(&b, "- no longer synthesized: %s\n", k)
		}
	}
	for _, k := range gotKeys {
		w, ok := want[k]
		switch {
		case !ok:
			fmt.Fprintf(&b, "+ new: %s\n    %s\n", k, got[k])
		case w != got[k]:
			fmt.Fprintf(&b, "~ changed: %s\n    committed   %s\n    synthesized %s\n", k, w, got[k])
		}
	}
	if b.Len() == 0 {
		return "(same rules; the files differ in order or layout)\n" + lineDiff(string(committed), string(synthesized))
	}
	return b.String()
}

// lineDiff shows, for each line that differs, the committed (-) and synthesized (+) text.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 20; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n  - %s\n  + %s\n", i+1, wl, gl)
			shown++
		}
	}
	return b.String()
}
