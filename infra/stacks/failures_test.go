package stacks_test

import (
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
)

// undeliveredQueue is the logical id of the queue of undelivered failure notices.
func undeliveredQueue(t *testing.T, tpl map[string]any) string {
	t.Helper()
	queues := map[string]map[string]any{}
	for id, props := range resources(tpl, "AWS::SQS::Queue") {
		if props["QueueName"] == "ssoflow-dev-undelivered-failures" {
			queues[id] = props
		}
	}
	return onlyID(t, queues, "queues named ssoflow-dev-undelivered-failures")
}

// Issue #12: every state machine's failed, timed-out and aborted executions reach the notify
// function from their status-change events (default bus), with retries and a dead-letter queue;
// there is one such rule per state machine and no other.
func TestEveryStateMachineTellsNotifyOfItsFailures(t *testing.T) {
	tpl := synth(t).raw[pipelineStack]
	notify := functionsByCommand(t, tpl)["notify"]
	queue := undeliveredQueue(t, tpl)
	machines := stateMachinesByName(tpl)
	if len(machines) != 3 {
		t.Fatalf("state machines %v, want provision, reconcile and grant", machines)
	}
	rules := map[string]map[string]any{}
	for id, props := range resources(tpl, "AWS::Events::Rule") {
		if pattern, _ := props["EventPattern"].(map[string]any); slices.Contains(renderAll(pattern["source"]), "aws.states") {
			rules[id] = props
		}
	}
	if len(rules) != len(machines) {
		t.Errorf("%d rules match aws.states events, want one per state machine (%d)", len(rules), len(machines))
	}
	for name := range machines {
		want := map[string]any{
			"source":      []any{"aws.states"},
			"detail-type": []any{"Step Functions Execution Status Change"},
			"detail": map[string]any{
				"status":          []any{"FAILED", "TIMED_OUT", "ABORTED"},
				"stateMachineArn": []any{arnIn("states", "stateMachine:"+name)},
			},
		}
		var found []string
		for id, props := range rules {
			pattern := props["EventPattern"].(map[string]any)
			detail, _ := pattern["detail"].(map[string]any)
			got := map[string]any{"source": pattern["source"], "detail-type": pattern["detail-type"], "detail": map[string]any{
				"status": detail["status"], "stateMachineArn": []any{render(detail["stateMachineArn"].([]any)[0])},
			}}
			if len(pattern) != 3 || len(detail) != 2 || !reflect.DeepEqual(got, want) {
				continue
			}
			found = append(found, id)
			if _, ok := props["EventBusName"]; ok {
				t.Errorf("%s: EventBusName %v; status-change events arrive on the default bus only", id, props["EventBusName"])
			}
			targets, _ := props["Targets"].([]any)
			if len(targets) != 1 {
				t.Errorf("%s: targets %s, want the notify function alone", id, jsonOf(targets))
				continue
			}
			target := targets[0].(map[string]any)
			if render(target["Arn"]) != "${"+notify+".Arn}" {
				t.Errorf("%s: target %s, want the notify function %s", id, render(target["Arn"]), notify)
			}
			if !reflect.DeepEqual(target["RetryPolicy"], map[string]any{"MaximumRetryAttempts": float64(185), "MaximumEventAgeInSeconds": float64(86400)}) {
				t.Errorf("%s: retry policy %s, want 185 attempts over 24 hours", id, jsonOf(target["RetryPolicy"]))
			}
			if dlq, _ := target["DeadLetterConfig"].(map[string]any); render(dlq["Arn"]) != "${"+queue+".Arn}" {
				t.Errorf("%s: dead-letter config %s, want the queue %s", id, jsonOf(target["DeadLetterConfig"]), queue)
			}
		}
		if len(found) != 1 {
			t.Errorf("%s: %d rules with pattern %s, want 1", name, len(found), jsonOf(want))
		}
	}

	// The dead-letter queue is encrypted, refuses plain HTTP, and also takes what the notify
	// function fails on after Lambda's own retries.
	q := resources(tpl, "AWS::SQS::Queue")[queue]
	if q["SqsManagedSseEnabled"] != true && q["KmsMasterKeyId"] == nil {
		t.Errorf("queue %s is not encrypted: %s", queue, jsonOf(q))
	}
	sslOnly := false
	for _, props := range resources(tpl, "AWS::SQS::QueuePolicy") {
		if !slices.Contains(renderAll(props["Queues"]), "${Ref:"+queue+"}") {
			continue
		}
		for _, st := range props["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			stmt := st.(map[string]any)
			if stmt["Effect"] == "Deny" && jsonOf(stmt["Condition"]) == `{"Bool":{"aws:SecureTransport":"false"}}` {
				sslOnly = true
			}
		}
	}
	if !sslOnly {
		t.Errorf("queue %s does not deny requests without TLS", queue)
	}
	fn := resources(tpl, "AWS::Lambda::Function")[notify]
	if dlc, _ := fn["DeadLetterConfig"].(map[string]any); render(dlc["TargetArn"]) != "${"+queue+".Arn}" {
		t.Errorf("notify's dead-letter config %s, want the queue %s", jsonOf(fn["DeadLetterConfig"]), queue)
	}
}

// The notify function may read the executions of exactly the watched state machines, and do
// nothing else with Step Functions.
func TestNotifyReadsExactlyTheWatchedExecutions(t *testing.T) {
	tpl := synth(t).raw[pipelineStack]
	notify := functionsByCommand(t, tpl)["notify"]
	role := roleOf(resources(tpl, "AWS::Lambda::Function")[notify], "Role")
	var want []string
	for name := range stateMachinesByName(tpl) {
		want = append(want, arnIn("states", "execution:"+name+":*"))
	}
	sort.Strings(want)
	var states []map[string]any
	for _, st := range statementsOfRole(tpl, role) {
		if strings.Contains(jsonOf(st["Action"]), `"states:`) {
			states = append(states, st)
		}
	}
	if len(states) != 1 {
		t.Fatalf("notify's role has %d Step Functions statements %s, want 1", len(states), jsonOf(states))
	}
	st := states[0]
	if got := renderAll(st["Action"]); !slices.Equal(got, []string{"states:DescribeExecution", "states:GetExecutionHistory"}) || st["Effect"] != "Allow" {
		t.Errorf("notify may %s %v, want Allow of states:DescribeExecution and states:GetExecutionHistory", st["Effect"], got)
	}
	if got := renderAll(st["Resource"]); !slices.Equal(got, want) {
		t.Errorf("notify reads executions of\n  %v\nwant exactly\n  %v", got, want)
	}
}

// No state calls the notify function any more: no state machine's role may invoke it and no
// definition is given its ARN.
func TestNoStateMachineMayInvokeNotify(t *testing.T) {
	tpl := synth(t).raw[pipelineStack]
	notify := functionsByCommand(t, tpl)["notify"]
	for name, id := range stateMachinesByName(tpl) {
		sm := resources(tpl, "AWS::StepFunctions::StateMachine")[id]
		if strings.Contains(jsonOf(sm["DefinitionSubstitutions"]), notify) {
			t.Errorf("%s: DefinitionSubstitutions %s name the notify function", name, jsonOf(sm["DefinitionSubstitutions"]))
		}
		role := roleOf(sm, "RoleArn")
		if role == "" {
			t.Fatalf("%s: no role", name)
		}
		for _, st := range statementsOfRole(tpl, role) {
			if strings.Contains(jsonOf(st["Resource"]), notify) {
				t.Errorf("%s: its role may %v on the notify function", name, st["Action"])
			}
		}
	}
	for id, props := range resources(tpl, "AWS::Lambda::Permission") {
		if strings.Contains(jsonOf(props["FunctionName"]), notify) && props["Principal"] != "events.amazonaws.com" {
			t.Errorf("%s lets %v invoke the notify function", id, props["Principal"])
		}
	}
}
