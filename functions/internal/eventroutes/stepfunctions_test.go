package eventroutes_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/ssoflow/ssoflow/functions/internal/emulator/ebemu"
)

// The deployment's state machines, by ASL name; each is named "<prefix>-<name>" (the dev
// prefix is ssoflow-dev).
var stateMachines = []string{"provision", "reconcile", "grant"}

func stateMachineARN(name string) string {
	return "arn:aws:states:" + region + ":" + account + ":stateMachine:ssoflow-dev-" + name
}

// statusChange is a "Step Functions Execution Status Change" event as Step Functions sends it
// to the default bus (source aws.states; detail fields as in "Automating Step Functions event
// delivery with EventBridge", https://docs.aws.amazon.com/step-functions/latest/dg/eventbridge-integration.html).
func statusChange(t *testing.T, machineARN, status string) json.RawMessage {
	t.Helper()
	execution := "arn:aws:states:" + region + ":" + account + ":execution:" + machineARN[len("arn:aws:states:"+region+":"+account+":stateMachine:"):] + ":run-1"
	detail := map[string]any{
		"executionArn": execution, "stateMachineArn": machineARN, "name": "run-1", "status": status,
		"startDate": 1762075146847, "stopDate": nil, "input": "{}", "output": nil,
		"inputDetails": map[string]any{"included": true}, "outputDetails": nil,
	}
	switch status {
	case "RUNNING":
	case "SUCCEEDED":
		detail["stopDate"], detail["output"], detail["outputDetails"] = 1762075151881, "{}", map[string]any{"included": true}
	default:
		detail["stopDate"], detail["error"], detail["cause"] = 1762075151881, "States.TaskFailed", "a task failed"
	}
	b, err := json.Marshal(map[string]any{
		"version": "0", "id": "315c1398-40ff-a850-213b-158f73e60175", "detail-type": "Step Functions Execution Status Change",
		"source": "aws.states", "account": account, "time": "2026-11-02T09:42:21Z", "region": region,
		"resources": []string{execution}, "detail": detail,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestExecutionStatusChangesReachNotify: a FAILED, TIMED_OUT or ABORTED execution of any of the
// deployment's state machines reaches the Notify function exactly once (DESIGN.md: notify from
// the status-change event, not from a Catch); SUCCEEDED and RUNNING reach nothing, and neither
// does any status of a state machine that is not the deployment's.
func TestExecutionStatusChangesReachNotify(t *testing.T) {
	for _, machine := range stateMachines {
		for status, want := range map[string][]string{
			"FAILED": {notify}, "TIMED_OUT": {notify}, "ABORTED": {notify}, "SUCCEEDED": nil, "RUNNING": nil,
		} {
			t.Run(machine+" "+status, func(t *testing.T) {
				e, _ := deployedBus(t)
				got := reached(t, e, ebemu.DefaultBus, statusChange(t, stateMachineARN(machine), status))
				if !slices.Equal(got, want) {
					t.Errorf("reached %s, want %s", describe(got), describe(want))
				}
			})
		}
	}
	t.Run("another state machine FAILED", func(t *testing.T) {
		e, _ := deployedBus(t)
		other := "arn:aws:states:" + region + ":" + account + ":stateMachine:someone-elses-workflow"
		if got := reached(t, e, ebemu.DefaultBus, statusChange(t, other, "FAILED")); len(got) != 0 {
			t.Errorf("reached %s, want no target", describe(got))
		}
	})
	t.Run("on the ssoflow bus", func(t *testing.T) {
		e, _ := deployedBus(t)
		if got := reached(t, e, ebemu.BusSSOFlow, statusChange(t, stateMachineARN("provision"), "FAILED")); len(got) != 0 {
			t.Errorf("reached %s, want no target (Step Functions sends to the default bus)", describe(got))
		}
	})
}

// TestStateMachinesNotStartedByEvents: the reconcile state machine starts on its schedule only
// and the grant state machine from the CLI only (DESIGN.md's flow): no event rule targets them.
func TestStateMachinesNotStartedByEvents(t *testing.T) {
	specs, err := ebemu.SynthesizedRules()
	if err != nil {
		t.Fatal(err)
	}
	scheduled := false
	for _, s := range specs {
		for _, tg := range s.Targets {
			if tg.Kind != ebemu.KindStateMachine || (tg.Name != "reconcile" && tg.Name != "grant") {
				continue
			}
			if tg.Name == "grant" || len(s.Pattern) > 0 && string(s.Pattern) != "null" {
				t.Errorf("rule %s (pattern %s) starts the %s state machine", s.Rule, s.Pattern, tg.Name)
			}
			scheduled = scheduled || (tg.Name == "reconcile" && s.Schedule != "")
		}
	}
	if !scheduled {
		t.Error("no schedule rule starts the reconcile state machine")
	}
}
