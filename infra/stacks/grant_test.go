package stacks_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// grantResources finds the grant state machine and its function's policy statements in the
// pipeline stack's template.
func grantStatements(t *testing.T) (sm map[string]any, statements []map[string]any, env map[string]any) {
	t.Helper()
	s := synth(t)
	tpl := s.raw["ssoflow-dev-pipeline"]
	for _, props := range resources(tpl, "AWS::StepFunctions::StateMachine") {
		if props["StateMachineName"] == "ssoflow-dev-grant" {
			sm = props
		}
	}
	if sm == nil {
		t.Fatal("no state machine named ssoflow-dev-grant in the pipeline stack")
	}
	for _, props := range resources(tpl, "AWS::Lambda::Function") {
		vars, _ := props["Environment"].(map[string]any)["Variables"].(map[string]any)
		if _, ok := vars["SSOFLOW_GRANT_STATE_MACHINE_ARN"]; ok {
			env = vars
		}
	}
	if env == nil {
		t.Fatal("no grant function (with SSOFLOW_GRANT_STATE_MACHINE_ARN) in the pipeline stack")
	}
	for _, props := range resources(tpl, "AWS::IAM::Policy") {
		doc := props["PolicyDocument"].(map[string]any)
		for _, st := range doc["Statement"].([]any) {
			statements = append(statements, st.(map[string]any))
		}
	}
	return sm, statements, env
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// The grant state machine is deployed from grant.asl.json with its one placeholder substituted
// by the grant function, which gets the instance, the maximum and its own state machine's ARN.
func TestGrantStateMachineDeploysTheDefinitionWithTheGrantFunction(t *testing.T) {
	sm, _, env := grantStatements(t)
	subs, _ := sm["DefinitionSubstitutions"].(map[string]any)
	if _, ok := subs["GrantFunctionArn"]; !ok || len(subs) != 1 {
		t.Errorf("DefinitionSubstitutions: %s, want exactly GrantFunctionArn", jsonOf(subs))
	}
	if env["SSOFLOW_SSO_INSTANCE_ARN"] != devConfig(t).IdentityCenter.InstanceArn {
		t.Errorf("SSOFLOW_SSO_INSTANCE_ARN = %v", env["SSOFLOW_SSO_INSTANCE_ARN"])
	}
	if env["SSOFLOW_GRANT_MAX_HOURS"] != "12" {
		t.Errorf("SSOFLOW_GRANT_MAX_HOURS = %v, want the default 12", env["SSOFLOW_GRANT_MAX_HOURS"])
	}
	if got := jsonOf(env["SSOFLOW_GRANT_STATE_MACHINE_ARN"]); !strings.Contains(got, ":stateMachine:ssoflow-dev-grant") {
		t.Errorf("SSOFLOW_GRANT_STATE_MACHINE_ARN = %s, want the grant state machine's ARN", got)
	}
}

// Least privilege: sso-admin actions on the configured instance (never *), and the Step
// Functions reads on the grant state machine and its executions only.
func TestGrantFunctionPermissionsAreScoped(t *testing.T) {
	_, statements, _ := grantStatements(t)
	instance := devConfig(t).IdentityCenter.InstanceArn
	find := func(action string) map[string]any {
		for _, st := range statements {
			if st["Action"] == action || slices.Contains(anyStrings(st["Action"]), action) {
				return st
			}
		}
		t.Fatalf("no statement allows %s", action)
		return nil
	}
	for _, a := range []string{"sso:CreateAccountAssignment", "sso:DeleteAccountAssignment", "sso:DescribeAccountAssignmentCreationStatus", "sso:DescribeAccountAssignmentDeletionStatus"} {
		res := jsonOf(find(a)["Resource"])
		if !strings.Contains(res, instance) || strings.Contains(res, `"*"`) {
			t.Errorf("%s on %s, want the configured instance %s and no *", a, res, instance)
		}
	}
	if res := jsonOf(find("states:ListExecutions")["Resource"]); !strings.Contains(res, ":stateMachine:ssoflow-dev-grant") || strings.Contains(res, `"*"`) {
		t.Errorf("states:ListExecutions on %s, want only the grant state machine", res)
	}
	if res := jsonOf(find("states:DescribeExecution")["Resource"]); !strings.Contains(res, ":execution:ssoflow-dev-grant:*") {
		t.Errorf("states:DescribeExecution on %s, want only the grant state machine's executions", res)
	}
	for _, a := range []string{"identitystore:CreateGroupMembership", "identitystore:DeleteGroupMembership"} {
		if res := jsonOf(find(a)["Resource"]); strings.Contains(res, `"*"`) {
			t.Errorf("%s on %s, want no *", a, res)
		}
	}
}

// Issue #6: Validate checks the grant's account with Organizations. The grant function may call
// organizations:DescribeAccount, read-only, on Organizations account ARNs only (their management
// account and organization are not known at synth), in a statement of its own.
func TestGrantFunctionMayDescribeOrganizationAccountsOnly(t *testing.T) {
	_, statements, _ := grantStatements(t)
	var found []map[string]any
	for _, st := range statements {
		actions := anyStrings(st["Action"])
		if a, ok := st["Action"].(string); ok {
			actions = []string{a}
		}
		if slices.Contains(actions, "organizations:DescribeAccount") {
			found = append(found, st)
		}
		for _, a := range actions {
			if strings.HasPrefix(a, "organizations:") && a != "organizations:DescribeAccount" {
				t.Errorf("statement %s allows %s, want only organizations:DescribeAccount", jsonOf(st), a)
			}
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d statements allow organizations:DescribeAccount, want 1", len(found))
	}
	st := found[0]
	if st["Effect"] != "Allow" || st["Action"] != "organizations:DescribeAccount" || st["Sid"] != "CheckAccounts" {
		t.Errorf("statement %s, want Allow of organizations:DescribeAccount alone (Sid CheckAccounts)", jsonOf(st))
	}
	res := jsonOf(st["Resource"])
	if !strings.Contains(res, ":organizations::*:account/o-*/*") || strings.Contains(res, `"*"`) {
		t.Errorf("organizations:DescribeAccount on %s, want arn:<partition>:organizations::*:account/o-*/* and not *", res)
	}
}
