package replay_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/ssoflow/ssoflow/functions/envnames"
	"github.com/ssoflow/ssoflow/functions/internal/cli"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/idstoreemu"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/sfnemu"
	"github.com/ssoflow/ssoflow/functions/internal/localsfn"
	"github.com/ssoflow/ssoflow/functions/internal/sandbox"
)

func idstoreUser(login, email string) idstoreemu.UserSpec {
	return idstoreemu.UserSpec{UserName: login, DisplayName: login, Email: email}
}

// dbApplies is how many times the provisioner was invoked for the database.
func (w *world) dbApplies(db string) int { return w.calls.get("db:" + db) }

// replayCLI runs `ssoflow replay` against the world's Step Functions emulator.
func (w *world) replayCLI(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := map[string]string{envnames.StateMachineARN: w.smArn, envnames.SFNEndpoint: w.url}
	code := cli.Main(context.Background(), append([]string{"replay"}, args...), &cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return env[k] }})
	return out.String() + errOut.String(), code
}

// statusRuleDeliveries counts the status change events the synthesized status-change rules sent
// to the notify function.
func statusRuleDeliveries(sb *sandbox.Sandbox) int {
	n := 0
	for _, d := range sb.StatusDeliveries() {
		if d.Target.Name == "Notify" && d.Err == nil {
			n++
		}
	}
	return n
}

// Issue #12, must show 2: SCIM answers 401 (a rotated token), the execution fails at
// PushToIdentityCenter and the email comes through the status-change rule; the token is fixed,
// `ssoflow replay --wait` redrives it: it SUCCEEDS and Resolve is not called again.
func TestSCIMUnauthorizedIsEmailedThenRedrivenFromThePush(t *testing.T) {
	w := newWorld(t)
	w.sb.SCIM.FailNext(1<<20, http.StatusUnauthorized)
	x := w.add(t, "jane@example.com", "AWS_Admins", "unauthorized")
	if x.Status != "FAILED" || x.Error != "ConfigError" {
		t.Fatalf("execution %s %s %s, want FAILED ConfigError", x.Status, x.Error, x.Cause)
	}
	if v := x.Local.Visited(); v[len(v)-1] != "PushToIdentityCenter" {
		t.Fatalf("visited %v, want the execution to end at PushToIdentityCenter", v)
	}
	msgs := w.sb.SNS.Messages()
	if len(msgs) != 1 || statusRuleDeliveries(w.sb) != 1 || msgs[0].Subject != "ssoflow: could not add jane@example.com to AWS_Admins" ||
		!strings.Contains(msgs[0].Message, "ConfigError") || !strings.Contains(msgs[0].Message, "Step\n  PushToIdentityCenter") ||
		!strings.Contains(msgs[0].Message, "ssoflow replay --state-machine "+w.smArn+" --execution unauthorized") {
		t.Fatalf("want one email, delivered by the status-change rule, naming the step and the replay; got %d (rule deliveries %d): %+v", len(msgs), statusRuleDeliveries(w.sb), msgs)
	}
	resolved := w.calls.get("ResolveFunctionArn")

	w.sb.SCIM.FailNext(0, 0) // the token is fixed
	out, code := w.replayCLI(t, "--execution", "unauthorized", "--wait", "--wait-timeout", "2m")
	if code != 0 || !strings.Contains(out, "redriven: SUCCEEDED") || !strings.Contains(out, "then 1 SUCCEEDED, 0 did not succeed") {
		t.Fatalf("ssoflow replay --wait: exit %d\n%s", code, out)
	}
	if got := w.calls.get("ResolveFunctionArn"); got != resolved {
		t.Errorf("Resolve ran %d more times, want none", got-resolved)
	}
	if !slices.Contains(w.sb.SCIM.Members(w.scimG["AWS_Admins"]), w.scimU["jane@example.com"]) {
		t.Error("Identity Center lacks the membership after the replay")
	}
	if len(w.sb.SNS.Messages()) != 1 {
		t.Errorf("emails after the successful replay: %d, want still 1", len(w.sb.SNS.Messages()))
	}
}

// Issue #12, must show 2: one of three databases is down; the Map fails, the email names the
// database step; once it is back, the redrive reruns only the iterations that had not
// succeeded (read from the first attempt's history), never Resolve, and the execution SUCCEEDS.
func TestOneOfThreeDatabasesFailingIsRedrivenAlone(t *testing.T) {
	w := newWorld(t, func(o *sandbox.Options) {
		o.Grants = map[string][]string{"AWS_DBA": {"dba"}}
		o.Databases = []string{"orders", "ledger", "billing"}
	})
	ctx := context.Background()
	user, err := w.sb.Identity.AddUser(idstoreUser("jane@example.com", "jane.doe@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	group, err := w.sb.Identity.AddGroup("AWS_DBA")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.sb.Identity.AddMember(group, user); err != nil {
		t.Fatal(err)
	}
	w.sb.BreakDatabase("ledger", true)
	// While ledger is down, its first apply waits until orders and billing have answered: the
	// Map then fails after their iterations succeeded, as it would when one database times out.
	others := make(chan struct{}, 2)
	var once sync.Once
	wait := func() { once.Do(func() { <-others; <-others }) }
	handlers := w.sb.Handlers()
	apply := handlers["DbUsersFunctionArn"]
	handlers["DbUsersFunctionArn"] = lambda.NewHandler(func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
		var work struct {
			Database string `json:"database"`
		}
		_ = json.Unmarshal(in, &work)
		if work.Database == "ledger" {
			wait()
		}
		out, err := apply.Invoke(ctx, in)
		if work.Database != "ledger" {
			select {
			case others <- struct{}{}:
			default:
			}
		}
		return out, err
	})
	w.emu.AddMachine(sfnemu.Machine{ARN: w.smArn, Definition: w.sb.Provision, Options: localsfn.Options{Handlers: w.calls.counted(handlers)}})
	event := sandbox.CloudTrailEvent("sso-directory.amazonaws.com", "AddMemberToGroup", map[string]any{
		"identityStoreId": sandbox.IdentityStoreID, "groupId": group, "member": map[string]any{"memberId": user}}, "")
	start, err := w.api.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(w.smArn), Name: aws.String("three-dbs"), Input: aws.String(string(event))})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(start.ExecutionArn)
	x := w.wait(t, arn)
	if x.Status != "FAILED" || x.Error != "RetryableError" || !strings.Contains(x.Cause, "ledger") {
		t.Fatalf("execution %s %s %s, want FAILED RetryableError naming ledger", x.Status, x.Error, x.Cause)
	}
	if msgs := w.sb.SNS.Messages(); len(msgs) != 1 || statusRuleDeliveries(w.sb) != 1 || !strings.Contains(msgs[0].Message, "Step\n  ProvisionDatabase") {
		t.Fatalf("want one email through the status-change rule naming the database step, got %+v", msgs)
	}
	succeeded := map[string]bool{}
	for _, ev := range x.Local.Events {
		if ev.Type == "MapIterationSucceeded" && ev.ParentState != nil && ev.ParentState.Name == "ProvisionDatabases" {
			succeeded[[]string{"orders", "ledger", "billing"}[*ev.Index]] = true
		}
	}
	if !succeeded["orders"] || !succeeded["billing"] || succeeded["ledger"] {
		t.Fatalf("first attempt's successful iterations %v: want orders and billing, not ledger", succeeded)
	}
	before := map[string]int{}
	for _, db := range []string{"orders", "ledger", "billing"} {
		before[db] = w.dbApplies(db)
	}
	resolved := w.calls.get("ResolveFunctionArn")

	w.sb.BreakDatabase("ledger", false)
	out, code := w.replayCLI(t, "--execution", "three-dbs", "--wait", "--wait-timeout", "2m")
	if code != 0 || !strings.Contains(out, "redriven: SUCCEEDED") {
		t.Fatalf("ssoflow replay --wait: exit %d\n%s", code, out)
	}
	for _, db := range []string{"orders", "ledger", "billing"} {
		reran := w.dbApplies(db) - before[db]
		if want := map[bool]int{true: 0, false: 1}[succeeded[db]]; reran != want {
			t.Errorf("%s applied %d more times in the redrive, want %d (it had succeeded: %v)", db, reran, want, succeeded[db])
		}
	}
	if got := w.calls.get("ResolveFunctionArn"); got != resolved {
		t.Errorf("Resolve ran %d more times, want none", got-resolved)
	}
	for _, d := range w.sb.DBs {
		if err := d.Login(ctx, "jane.doe"); err != nil {
			t.Errorf("jane.doe cannot log in to %s after the replay: %v", d.Config.Name, err)
		}
	}
}

// Issue #12, must show 3: the ends no Catch ever handled — a state over the 256 KiB data
// quota, a time out, an abort — each reach a person through the status-change rule.
func TestQuotaTimeoutAndAbortAreEachEmailed(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	release, pushing := make(chan struct{}), make(chan string, 2)
	handlers := w.sb.Handlers()
	// The state machine's time limit: long enough that the quota and abort executions end well
	// before it even on a loaded machine; the stuck one reaches it.
	w.emu.AddMachine(sfnemu.Machine{ARN: w.smArn, Definition: w.sb.Provision, Options: localsfn.Options{Handlers: handlers}, Timeout: 15 * time.Second,
		ForExecution: func(name string, o *localsfn.Options) {
			switch name {
			case "too-large": // Resolve answers a plan over the quota
				o.Handlers["ResolveFunctionArn"] = lambda.NewHandler(func(context.Context, json.RawMessage) (any, error) {
					return map[string]any{"kind": "okta", "padding": strings.Repeat("x", 300*1024)}, nil
				})
			case "stuck", "stopped": // the push hangs until the execution ends
				o.Handlers["ScimPushFunctionArn"] = lambda.NewHandler(func(ctx context.Context, _ json.RawMessage) (any, error) {
					pushing <- name
					select {
					case <-ctx.Done():
					case <-release:
					}
					return nil, errors.New("stopped waiting")
				})
			}
		}})
	defer close(release)

	x := w.add(t, "jane@example.com", "AWS_Admins", "too-large")
	if x.Status != "FAILED" || x.Error != "States.DataLimitExceeded" {
		t.Fatalf("too-large: %s %s %s", x.Status, x.Error, x.Cause)
	}
	x = w.add(t, "sam@example.com", "AWS_Admins", "stuck")
	if x.Status != "TIMED_OUT" {
		t.Fatalf("stuck: %s %s", x.Status, x.Error)
	}
	if err := w.sb.Okta.AddMember(w.groups["AWS_Developers"], w.users["ana@example.com"]); err != nil {
		t.Fatal(err)
	}
	before := len(w.sb.Bus.Events())
	if _, err := w.sb.Deliver(ctx, sandbox.HookDelivery([]sandbox.Change{{Add: true, UserID: w.users["ana@example.com"], Login: "ana@example.com",
		GroupID: w.groups["AWS_Developers"], GroupName: "AWS_Developers", At: time.Now(), UUID: "evt-stopped"}})); err != nil {
		t.Fatal(err)
	}
	out, err := w.api.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(w.smArn), Name: aws.String("stopped"), Input: aws.String(string(w.sb.Bus.Events()[before]))})
	if err != nil {
		t.Fatal(err)
	}
	for got := ""; got != "stopped"; { // wait until this execution is in its push
		select {
		case got = <-pushing:
		case <-time.After(2 * time.Minute):
			t.Fatal("the execution to stop never reached its push")
		}
	}
	if _, err := w.api.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: out.ExecutionArn, Error: aws.String("Operator"), Cause: aws.String("stopped from the console")}); err != nil {
		t.Fatal(err)
	}
	if x := w.wait(t, aws.ToString(out.ExecutionArn)); x.Status != "ABORTED" {
		t.Fatalf("stopped: %s", x.Status)
	}

	msgs := w.sb.SNS.Messages()
	if len(msgs) != 3 || statusRuleDeliveries(w.sb) != 3 {
		t.Fatalf("emails %d (rule deliveries %d), want 3: %+v", len(msgs), statusRuleDeliveries(w.sb), msgs)
	}
	for i, want := range []string{"States.DataLimitExceeded", "the execution timed out at step PushToIdentityCenter", "the execution was stopped at step PushToIdentityCenter (stopped from the console)"} {
		if !strings.Contains(msgs[i].Message, want) {
			t.Errorf("email %d lacks %q:\n%s", i, want, msgs[i].Message)
		}
	}
}
