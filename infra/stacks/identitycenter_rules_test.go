package stacks_test

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"testing"
)

// parserEvents reads, from functions/internal/ctevent (which infra may not import), the event
// names its rules turn into a change, by CloudTrail event source.
func parserEvents(t *testing.T) map[string][]string {
	t.Helper()
	dir := filepath.Join(repoRoot, "functions", "internal", "ctevent")
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	sources := map[string]string{}
	for _, m := range regexp.MustCompile(`(Source\w+)\s*=\s*"([^"]+)"`).FindAllStringSubmatch(read("ctevent.go"), -1) {
		sources[m[1]] = m[2]
	}
	out := map[string][]string{}
	for _, m := range regexp.MustCompile(`(Source\w+) \+ " (\w+)":`).FindAllStringSubmatch(read("rules.go"), -1) {
		src, ok := sources[m[1]]
		if !ok {
			t.Fatalf("ctevent rule %s %s: unknown source constant", m[1], m[2])
		}
		out[src] = append(out[src], m[2])
	}
	if len(sources) != 3 || len(out) != 3 {
		t.Fatalf("read sources %v and rules %v from %s: the parser's layout changed, update this reader", sources, out, dir)
	}
	for src := range out {
		sort.Strings(out[src])
	}
	return out
}

// Issue #13: the Identity Center CloudTrail rules pass every event the parser handles, match on
// detail.eventSource and detail.eventName only (no source value: AWS documents none for
// sso-directory and identitystore-scim events), keep the CloudTrail detail-type, drop failed
// calls, live on the default bus and start the provision state machine.
func TestIdentityCenterRulesPassEveryEventTheParserHandles(t *testing.T) {
	tpl := synth(t).raw[pipelineStack]
	provision := stateMachinesByName(tpl)["ssoflow-dev-provision"]
	bySource := map[string][]string{}
	for src, events := range parserEvents(t) {
		for id, props := range resources(tpl, "AWS::Events::Rule") {
			pattern, _ := props["EventPattern"].(map[string]any)
			detail, _ := pattern["detail"].(map[string]any)
			if !reflect.DeepEqual(detail["eventSource"], []any{src}) {
				continue
			}
			bySource[src] = append(bySource[src], id)
			got := anyStrings(detail["eventName"])
			sort.Strings(got)
			if !slices.Equal(got, events) {
				t.Errorf("%s (%s): eventName %v, want the parser's %v", id, src, got, events)
			}
			if len(pattern) != 2 || !reflect.DeepEqual(pattern["detail-type"], []any{"AWS API Call via CloudTrail"}) {
				t.Errorf("%s: pattern %s, want only detail-type AWS API Call via CloudTrail and detail (no source)", id, jsonOf(pattern))
			}
			if len(detail) != 3 || jsonOf(detail["errorCode"]) != `[{"exists":false}]` {
				t.Errorf("%s: detail %s, want eventSource, eventName and errorCode exists:false", id, jsonOf(detail))
			}
			if _, ok := props["EventBusName"]; ok {
				t.Errorf("%s: on bus %v; CloudTrail events arrive on the default bus", id, props["EventBusName"])
			}
			if targets := props["Targets"].([]any); len(targets) != 1 || render(targets[0].(map[string]any)["Arn"]) != "${Ref:"+provision+"}" {
				t.Errorf("%s: targets %s, want the provision state machine", id, jsonOf(targets))
			}
		}
		if len(bySource[src]) != 1 {
			t.Errorf("%d rules match eventSource %s, want 1", len(bySource[src]), src)
		}
	}
}
