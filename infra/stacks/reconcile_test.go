package stacks_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// The reconcile is deployed from reconcile.asl.json with its function alone, started by a
// schedule rule from reconcileSchedule; its function reads the two token secrets and only lists
// the identity store, and publishes nothing itself (failures reach Notify from status-change
// events).
func TestReconcileStateMachineScheduleAndLeastPrivilege(t *testing.T) {
	s := synth(t)
	tpl := s.raw["ssoflow-dev-pipeline"]
	var smID string
	for id, props := range resources(tpl, "AWS::StepFunctions::StateMachine") {
		if props["StateMachineName"] != "ssoflow-dev-reconcile" {
			continue
		}
		smID = id
		subs, _ := props["DefinitionSubstitutions"].(map[string]any)
		if _, ok := subs["ReconcileFunctionArn"]; !ok || len(subs) != 1 {
			t.Errorf("DefinitionSubstitutions %s, want ReconcileFunctionArn alone", jsonOf(subs))
		}
	}
	if smID == "" {
		t.Fatal("no state machine named ssoflow-dev-reconcile in the pipeline stack")
	}
	scheduled := false
	for _, props := range resources(tpl, "AWS::Events::Rule") {
		if props["ScheduleExpression"] == devConfig(t).ReconcileSchedule && strings.Contains(jsonOf(props["Targets"]), smID) {
			scheduled = true
		}
	}
	if !scheduled {
		t.Errorf("no rule with ScheduleExpression %q targets the reconcile state machine", devConfig(t).ReconcileSchedule)
	}

	var fnRole string
	for _, props := range resources(tpl, "AWS::Lambda::Function") {
		vars, _ := props["Environment"].(map[string]any)["Variables"].(map[string]any)
		if strings.Contains(fmt.Sprint(props["Description"]), "ssoflow: compare Okta with Identity Center") {
			if _, ok := vars["SSOFLOW_OKTA_TOKEN_SECRET_ARN"]; !ok || vars["SSOFLOW_IDENTITY_STORE_ID"] != devConfig(t).IdentityCenter.IdentityStoreID {
				t.Errorf("reconcile function environment %s", jsonOf(vars))
			}
			fnRole = jsonOf(props["Role"])
		}
	}
	if fnRole == "" {
		t.Fatal("no reconcile function in the pipeline stack")
	}
	var actions []string
	invokes := 0
	for id, props := range resources(tpl, "AWS::IAM::Policy") {
		roles := jsonOf(props["Roles"])
		doc := props["PolicyDocument"].(map[string]any)
		for _, st := range doc["Statement"].([]any) {
			stmt := st.(map[string]any)
			switch {
			case strings.Contains(fnRole, roleRef(roles)) && roleRef(roles) != "":
				actions = append(actions, anyOrStrings(stmt["Action"])...)
			case strings.HasPrefix(id, "Reconcile") && strings.Contains(jsonOf(stmt["Action"]), "lambda:InvokeFunction"):
				invokes++
				if res := jsonOf(stmt["Resource"]); strings.Contains(res, "*") || strings.Count(res, "Fn::GetAtt") != 1 {
					t.Errorf("the reconcile state machine invokes %s, want exactly its task function", res)
				}
			}
		}
	}
	if invokes != 1 {
		t.Errorf("found %d invoke statements of the reconcile state machine's role, want 1", invokes)
	}
	for _, a := range actions {
		if strings.HasPrefix(a, "sns:") || strings.HasPrefix(a, "identitystore:Create") || strings.HasPrefix(a, "identitystore:Delete") {
			t.Errorf("the reconcile function may %s: it converges through SCIM and notifies through the notify function", a)
		}
	}
	for _, want := range []string{"identitystore:ListUsers", "identitystore:ListGroups", "identitystore:ListGroupMemberships", "secretsmanager:GetSecretValue"} {
		if !strings.Contains(strings.Join(actions, " "), want) {
			t.Errorf("the reconcile function lacks %s (has %v)", want, actions)
		}
	}
}

// roleRef is the logical id a policy's Roles refers to ("" when none).
func roleRef(rolesJSON string) string {
	var roles []map[string]any
	if json.Unmarshal([]byte(rolesJSON), &roles) != nil || len(roles) != 1 {
		return ""
	}
	ref, _ := roles[0]["Ref"].(string)
	return ref
}

func anyOrStrings(v any) []string {
	if s, ok := v.(string); ok {
		return []string{s}
	}
	return anyStrings(v)
}

// The removal guard's share comes from cdk.json (reconcileMaxRemoveShare, default 0.2).
func TestReconcileFunctionGetsTheRemovalShare(t *testing.T) {
	s := synth(t)
	found := false
	for _, props := range resources(s.raw["ssoflow-dev-pipeline"], "AWS::Lambda::Function") {
		env, _ := props["Environment"].(map[string]any)
		vars, _ := env["Variables"].(map[string]any)
		if v, ok := vars["SSOFLOW_RECONCILE_MAX_REMOVE_SHARE"]; ok {
			found = true
			if v != "0.2" {
				t.Errorf("SSOFLOW_RECONCILE_MAX_REMOVE_SHARE = %v, want the default 0.2", v)
			}
		}
	}
	if !found {
		t.Error("no function has SSOFLOW_RECONCILE_MAX_REMOVE_SHARE: the reconcile's removal guard is not configurable")
	}
}
