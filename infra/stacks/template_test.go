package stacks_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
)

// Helpers that read synthesized templates the way CloudFormation would resolve them.

// The dev configuration's stacks.
const (
	pipelineStack      = "ssoflow-dev-pipeline"
	notificationsStack = "ssoflow-dev-notifications"
)

// arnIn renders an ARN of the dev deployment (us-east-1, account not configured) as render does.
func arnIn(service, resource string) string {
	return "arn:${AWS::Partition}:" + service + ":us-east-1:${AWS::AccountId}:" + resource
}

// render writes a template value as one string: literals as they are, pseudo parameters as
// ${AWS::Name}, other Refs as ${Ref:LogicalId}, Fn::GetAtt as ${LogicalId.Attribute},
// Fn::ImportValue as ${Import:Name}, Fn::Join joined. Anything else is written as JSON.
func render(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if len(x) != 1 {
			break
		}
		if ref, ok := x["Ref"].(string); ok {
			if strings.HasPrefix(ref, "AWS::") {
				return "${" + ref + "}"
			}
			return "${Ref:" + ref + "}"
		}
		if att, ok := x["Fn::GetAtt"].([]any); ok && len(att) == 2 {
			return fmt.Sprintf("${%v.%v}", att[0], att[1])
		}
		if imp, ok := x["Fn::ImportValue"]; ok {
			return "${Import:" + render(imp) + "}"
		}
		if join, ok := x["Fn::Join"].([]any); ok && len(join) == 2 {
			sep, _ := join[0].(string)
			parts, _ := join[1].([]any)
			out := make([]string, len(parts))
			for i, p := range parts {
				out[i] = render(p)
			}
			return strings.Join(out, sep)
		}
	}
	return jsonOf(v)
}

// renderAll renders a list (or a single value) into sorted strings.
func renderAll(v any) []string {
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	out := make([]string, len(list))
	for i, x := range list {
		out[i] = render(x)
	}
	sort.Strings(out)
	return out
}

// functionsByCommand maps each ssoflow function's command (functions/cmd/<command>) to its
// logical id, through its role's description ("ssoflow <command> function").
func functionsByCommand(t *testing.T, tpl map[string]any) map[string]string {
	t.Helper()
	roles := resources(tpl, "AWS::IAM::Role")
	out := map[string]string{}
	for id, props := range resources(tpl, "AWS::Lambda::Function") {
		att, _ := props["Role"].(map[string]any)["Fn::GetAtt"].([]any)
		if len(att) != 2 {
			continue
		}
		desc, _ := roles[att[0].(string)]["Description"].(string)
		if cmd, ok := strings.CutSuffix(strings.TrimPrefix(desc, "ssoflow "), " function"); ok && strings.HasPrefix(desc, "ssoflow ") {
			if prev, dup := out[cmd]; dup {
				t.Fatalf("two functions are built from %s: %s and %s", cmd, prev, id)
			}
			out[cmd] = id
		}
	}
	if len(out) == 0 {
		t.Fatal("no ssoflow function found")
	}
	return out
}

// stateMachinesByName maps each state machine's name to its logical id.
func stateMachinesByName(tpl map[string]any) map[string]string {
	out := map[string]string{}
	for id, props := range resources(tpl, "AWS::StepFunctions::StateMachine") {
		out[props["StateMachineName"].(string)] = id
	}
	return out
}

// roleOf is the logical id of the role a resource's RoleArn/Role refers to with Fn::GetAtt.
func roleOf(props map[string]any, key string) string {
	att, _ := props[key].(map[string]any)["Fn::GetAtt"].([]any)
	if len(att) != 2 {
		return ""
	}
	return att[0].(string)
}

// statementsOfRole is every statement of every AWS::IAM::Policy attached to role.
func statementsOfRole(tpl map[string]any, role string) []map[string]any {
	var out []map[string]any
	for _, props := range resources(tpl, "AWS::IAM::Policy") {
		if !slices.Contains(renderAll(props["Roles"]), "${Ref:"+role+"}") {
			continue
		}
		for _, st := range props["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			out = append(out, st.(map[string]any))
		}
	}
	return out
}

// exportOf is the export name under which a stack's output exports value (a Ref to logical id).
func exportOf(t *testing.T, tpl map[string]any, logicalID string) string {
	t.Helper()
	outputs, _ := tpl["Outputs"].(map[string]any)
	for _, o := range outputs {
		om := o.(map[string]any)
		if render(om["Value"]) == "${Ref:"+logicalID+"}" {
			if exp, ok := om["Export"].(map[string]any); ok {
				return render(exp["Name"])
			}
		}
	}
	t.Fatalf("no output exports a Ref to %s", logicalID)
	return ""
}

func onlyID(t *testing.T, m map[string]map[string]any, what string) string {
	t.Helper()
	if len(m) != 1 {
		t.Fatalf("%d %s, want 1", len(m), what)
	}
	for id := range m {
		return id
	}
	return ""
}

func mustJSON(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%v: %s", err, s)
	}
	return v
}
