package replay_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/ssoflow/ssoflow/functions/internal/emulator/sfnemu"
	"github.com/ssoflow/ssoflow/functions/internal/localsfn"
	"github.com/ssoflow/ssoflow/functions/internal/replay"
	"github.com/ssoflow/ssoflow/functions/internal/sandbox"
)

// world is the sandbox with its provision state machine behind the Step Functions emulator.
type world struct {
	sb     *sandbox.Sandbox
	emu    *sfnemu.Emulator
	api    *sfn.Client
	smArn  string
	users  map[string]string // login → Okta id
	groups map[string]string // name → Okta id
	scimU  map[string]string // login → SCIM id
	scimG  map[string]string // name → SCIM id
	url    string            // the Step Functions emulator's
	calls  *calls
}

// calls counts task invocations by placeholder, so a test can tell which steps a redrive reran.
type calls struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *calls) get(k string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[k]
}

// counted wraps every handler with a count of its invocations.
func (c *calls) counted(h map[string]lambda.Handler) map[string]lambda.Handler {
	out := map[string]lambda.Handler{}
	for k, v := range h {
		out[k] = lambda.NewHandler(func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
			var work struct {
				Database string `json:"database"`
			}
			_ = json.Unmarshal(in, &work)
			c.mu.Lock()
			c.n[k]++
			if k == "DbUsersFunctionArn" {
				c.n["db:"+work.Database]++
			}
			c.mu.Unlock()
			return v.Invoke(ctx, in)
		})
	}
	return out
}

func newWorld(t *testing.T, opts ...func(*sandbox.Options)) *world {
	t.Helper()
	var o sandbox.Options
	for _, f := range opts {
		f(&o)
	}
	sb, err := sandbox.Start(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	sb.SCIMClient.WithRetry(0, 0) // the state machine's Retry is what retries here
	w := &world{sb: sb, smArn: sfnemu.ARN(sb.Provision.Name), users: map[string]string{}, groups: map[string]string{},
		scimU: map[string]string{}, scimG: map[string]string{}, calls: &calls{n: map[string]int{}}}
	w.emu = sfnemu.New(sfnemu.Machine{ARN: w.smArn, Definition: sb.Provision, Options: localsfn.Options{Handlers: w.calls.counted(sb.Handlers())}})
	srv := httptest.NewServer(w.emu)
	t.Cleanup(srv.Close)
	t.Cleanup(w.emu.Close) // runs first: executions end before the servers they call
	w.api, w.url = sfnemu.NewClient(srv.URL), srv.URL
	// Failures are emailed as on AWS: the execution's status change event, the synthesized
	// status-change rule, the notify function reading the execution back.
	if err := sb.WatchFailures(w.emu, srv.URL); err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{"jane@example.com", "sam@example.com", "ana@example.com"} {
		w.users[l] = sb.Okta.AddUser(l)
		w.scimU[l] = sb.SCIM.AddUser(l, w.users[l])
	}
	for _, g := range []string{"AWS_Admins", "AWS_Developers"} {
		w.groups[g], w.scimG[g] = sb.Okta.AddGroup(g), sb.SCIM.AddGroup(g)
	}
	return w
}

// add makes login a member of group in Okta, delivers the hook event, and starts the provision
// state machine for it under name; it returns once the execution has ended.
func (w *world) add(t *testing.T, login, group, name string) sfnemu.Execution {
	t.Helper()
	ctx := context.Background()
	if err := w.sb.Okta.AddMember(w.groups[group], w.users[login]); err != nil {
		t.Fatal(err)
	}
	before := len(w.sb.Bus.Events())
	if _, err := w.sb.Deliver(ctx, sandbox.HookDelivery([]sandbox.Change{{Add: true, UserID: w.users[login], Login: login,
		GroupID: w.groups[group], GroupName: group, At: time.Now(), UUID: "evt-" + name}})); err != nil {
		t.Fatal(err)
	}
	out, err := w.api.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(w.smArn), Name: aws.String(name),
		Input: aws.String(string(w.sb.Bus.Events()[before]))})
	if err != nil {
		t.Fatal(err)
	}
	return w.wait(t, aws.ToString(out.ExecutionArn))
}

func (w *world) wait(t *testing.T, arn string) sfnemu.Execution {
	t.Helper()
	x, err := w.emu.Wait(context.Background(), arn)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// Issue 5: SCIM fails, the executions FAIL and a person is notified with the replay command;
// a dry run changes nothing; once the fault is cleared the replay redrives every failed
// execution and each SUCCEEDS, and Identity Center then has the memberships. An execution
// past the redrive window is started anew with the same input instead.
func TestReplayRedrivesFailedExecutionsAfterTheFaultIsCleared(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.sb.SCIM.FailNext(1<<20, http.StatusInternalServerError)
	for _, x := range []sfnemu.Execution{w.add(t, "jane@example.com", "AWS_Admins", "a"), w.add(t, "sam@example.com", "AWS_Developers", "b")} {
		if x.Status != "FAILED" || x.Error != "RetryableError" {
			t.Fatalf("%s: %s %s %s, want FAILED with RetryableError", x.Name, x.Status, x.Error, x.Cause)
		}
	}
	msgs := w.sb.SNS.Messages()
	if len(msgs) != 2 || !strings.Contains(msgs[0].Message, "ssoflow replay --state-machine "+w.smArn+" --execution a") ||
		!strings.Contains(msgs[0].Message, "it redrives the execution from the step that failed") {
		t.Fatalf("want 2 notifications naming the replay command, got %d: %+v", len(msgs), msgs)
	}
	resolved := w.calls.get("ResolveFunctionArn")

	var lines []string
	progress := func(f string, a ...any) { lines = append(lines, f) }
	dry, err := replay.Run(ctx, w.api, replay.Options{StateMachineArn: w.smArn, Since: time.Now().Add(-time.Hour), DryRun: true, Progress: progress})
	if err != nil {
		t.Fatal(err)
	}
	if dry.String() != "2 replays started (2 redriven, 0 started anew), 0 could not be started" || dry.Items[0].Name != "a" || dry.Items[0].Executed || w.emu.Requests("RedriveExecution") != 0 {
		t.Fatalf("dry run: %s %+v, %d redrives sent", dry, dry.Items, w.emu.Requests("RedriveExecution"))
	}
	if len(lines) == 0 {
		t.Error("no progress reported")
	}
	if old, err := replay.Run(ctx, w.api, replay.Options{StateMachineArn: w.smArn, Since: time.Now().Add(time.Minute)}); err != nil || len(old.Items) != 0 {
		t.Errorf("since after the failures: %+v %v, want nothing", old, err)
	}

	w.sb.SCIM.FailNext(0, 0)
	s, err := replay.Run(ctx, w.api, replay.Options{StateMachineArn: w.smArn, Since: time.Now().Add(-time.Hour)})
	if err != nil || s.Err() != nil {
		t.Fatal(err, s.Err())
	}
	if s.String() != "2 replays started (2 redriven, 0 started anew), 0 could not be started" {
		t.Fatalf("summary %q, items %+v", s, s.Items)
	}
	for _, it := range s.Items {
		if x := w.wait(t, it.ARN); x.Status != "SUCCEEDED" || x.RedriveCount != 1 {
			t.Errorf("%s after redrive: %s (redrives %d) %s", it.Name, x.Status, x.RedriveCount, x.Cause)
		}
	}
	if got := w.calls.get("ResolveFunctionArn"); got != resolved {
		t.Errorf("Resolve ran %d more times during the redrives, want none (a redrive reruns only the step that failed)", got-resolved)
	}
	if !slices.Contains(w.sb.SCIM.Members(w.scimG["AWS_Admins"]), w.scimU["jane@example.com"]) ||
		!slices.Contains(w.sb.SCIM.Members(w.scimG["AWS_Developers"]), w.scimU["sam@example.com"]) {
		t.Error("Identity Center lacks the replayed memberships")
	}

	// Beyond the redrive window: started anew, same input, a derived name.
	w.sb.SCIM.FailNext(1<<20, http.StatusInternalServerError)
	c := w.add(t, "ana@example.com", "AWS_Admins", "c")
	w.sb.SCIM.FailNext(0, 0)
	later := func() time.Time { return time.Now().Add(15 * 24 * time.Hour) }
	s, err = replay.Run(ctx, w.api, replay.Options{StateMachineArn: w.smArn, Executions: []string{"c"}, Now: later})
	if err != nil || len(s.Items) != 1 || s.Restarted != 1 || !strings.Contains(s.Items[0].Why, "14-day redrive window") {
		t.Fatalf("restart: %+v %v", s, err)
	}
	x := w.wait(t, s.Items[0].NewARN)
	if x.Status != "SUCCEEDED" || x.Input != c.Input || !strings.HasPrefix(x.Name, "c-replay-") {
		t.Errorf("restarted execution %s: %s, same input %v", x.Name, x.Status, x.Input == c.Input)
	}
	if !slices.Contains(w.sb.SCIM.Members(w.scimG["AWS_Admins"]), w.scimU["ana@example.com"]) {
		t.Error("Identity Center lacks the restarted membership")
	}
}

// A restarted execution's name keeps the old one recognizable, drops an earlier replay suffix
// and never exceeds Step Functions' 80 characters.
func TestNewNameFitsAndDerivesFromTheOld(t *testing.T) {
	now := time.Date(2026, 11, 21, 16, 30, 5, 0, time.UTC)
	long := strings.Repeat("x", 80)
	for _, c := range []struct {
		old     string
		attempt int
		want    string
	}{
		{"okta-1", 0, "okta-1-replay-261121163005"},
		{"okta-1-replay-261120100000", 0, "okta-1-replay-261121163005"},
		{"okta-1", 2, "okta-1-replay-261121163005-2"},
		{long, 0, long[:60] + "-replay-261121163005"},
	} {
		got := replay.NewName(c.old, now, c.attempt)
		if got != c.want || len(got) > replay.MaxNameLength {
			t.Errorf("NewName(%q, %d) = %q (%d chars), want %q", c.old, c.attempt, got, len(got), c.want)
		}
	}
}

// An execution that TIMED_OUT is replayed only when asked (--include-aborted): a stuck step is
// worth a look before it runs again. Redriven, it succeeds once the step is no longer stuck.
func TestReplayRedrivesTimedOutExecutionsOnlyWhenAsked(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	var stuck atomic.Bool
	stuck.Store(true)
	handlers := w.sb.Handlers()
	// A time limit the redriven execution (the push alone) meets even on a loaded machine; the
	// stuck first attempt reaches it. (At 2 s the redrive itself timed out under load.)
	w.emu.AddMachine(sfnemu.Machine{ARN: w.smArn, Definition: w.sb.Provision, Options: localsfn.Options{Handlers: w.calls.counted(handlers)}, Timeout: 10 * time.Second,
		ForExecution: func(name string, o *localsfn.Options) {
			if stuck.Load() {
				o.Handlers["ScimPushFunctionArn"] = lambda.NewHandler(func(ctx context.Context, in json.RawMessage) (any, error) {
					select {
					case <-ctx.Done():
					case <-time.After(time.Minute):
					}
					return nil, errors.New("stuck until the execution timed out")
				})
			}
		}})
	if x := w.add(t, "jane@example.com", "AWS_Admins", "slow"); x.Status != "TIMED_OUT" || x.Error != "States.Timeout" {
		t.Fatalf("slow: %s %s %s, want TIMED_OUT", x.Status, x.Error, x.Cause)
	}
	// Must show 3: a timed-out execution runs no Catch, yet a person is told, by the rule.
	if msgs := w.sb.SNS.Messages(); len(msgs) != 1 || !strings.Contains(msgs[0].Message, "the execution timed out at step PushToIdentityCenter") {
		t.Errorf("notifications after the time out: %+v, want one saying where it timed out", msgs)
	}
	since := time.Now().Add(-time.Hour)
	s, err := replay.Run(ctx, w.api, replay.Options{StateMachineArn: w.smArn, Since: since})
	if err != nil || len(s.Items) != 0 {
		t.Fatalf("without --include-aborted: %+v %v, want nothing", s, err)
	}
	stuck.Store(false)
	s, err = replay.Run(ctx, w.api, replay.Options{StateMachineArn: w.smArn, Since: since, IncludeAborted: true})
	if err != nil || s.String() != "1 replay started (1 redriven, 0 started anew), 0 could not be started" || s.Items[0].Status != "TIMED_OUT" {
		t.Fatalf("with --include-aborted: %+v %v", s, err)
	}
	if x := w.wait(t, s.Items[0].ARN); x.Status != "SUCCEEDED" || x.RedriveCount != 1 {
		t.Fatalf("after redrive: %s (redrives %d) %s", x.Status, x.RedriveCount, x.Cause)
	}
	if !slices.Contains(w.sb.SCIM.Members(w.scimG["AWS_Admins"]), w.scimU["jane@example.com"]) {
		t.Error("Identity Center lacks the replayed membership")
	}
}
