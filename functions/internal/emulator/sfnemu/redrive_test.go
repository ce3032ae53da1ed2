package sfnemu_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/ssoflow/ssoflow/functions/internal/emulator/sfnemu"
	"github.com/ssoflow/ssoflow/functions/internal/errs"
	"github.com/ssoflow/ssoflow/functions/internal/localsfn"
)

// toy is a two-step machine: First always succeeds, Second fails while broken is set. With
// catch, Second's failure is caught into a Fail state, as ssoflow's machines once did.
type toy struct {
	mu     sync.Mutex
	broken bool
	calls  map[string]int
	events []map[string]any // status change events, as EventBridge would receive them
}

func (y *toy) handler(step string) lambda.Handler {
	return lambda.NewHandler(func(ctx context.Context, in map[string]any) (map[string]any, error) {
		y.mu.Lock()
		defer y.mu.Unlock()
		y.calls[step]++
		if step == "Second" && y.broken {
			return nil, errs.Retryable(errors.New("the service is down"))
		}
		in[step] = "done"
		return in, nil
	})
}

func (y *toy) count(step string) int {
	y.mu.Lock()
	defer y.mu.Unlock()
	return y.calls[step]
}

func toyDefinition(catch bool) string {
	c, failed := "", ""
	if catch {
		c = `,"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.error","Next":"Failed"}]`
		failed = `,
 "Failed":{"Type":"Fail","ErrorPath":"$.error.Error","CausePath":"$.error.Cause"}`
	}
	return `{"StartAt":"First","States":{
 "First":{"Type":"Task","Resource":"${FirstFunctionArn}","Next":"Second"},
 "Second":{"Type":"Task","Resource":"${SecondFunctionArn}"` + c + `,"End":true}` + failed + `}}`
}

func startToy(t *testing.T, definition string, y *toy, now func() time.Time) (*sfnemu.Emulator, *sfn.Client, string) {
	t.Helper()
	m, err := localsfn.Parse("toy", []byte(definition), nil)
	if err != nil {
		t.Fatal(err)
	}
	e := sfnemu.New(sfnemu.Machine{ARN: sfnemu.ARN("toy"), Definition: m, Options: localsfn.Options{
		Handlers: map[string]lambda.Handler{"FirstFunctionArn": y.handler("First"), "SecondFunctionArn": y.handler("Second")},
	}})
	e.Now = now
	e.OnStatusChange = func(b []byte) {
		var ev map[string]any
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Errorf("status change event: %v", err)
		}
		y.mu.Lock()
		y.events = append(y.events, ev)
		y.mu.Unlock()
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	t.Cleanup(e.Close)
	return e, sfnemu.NewClient(srv.URL), sfnemu.ARN("toy")
}

func runToy(t *testing.T, e *sfnemu.Emulator, c *sfn.Client, arn, name string) (string, sfnemu.Execution) {
	t.Helper()
	ctx := context.Background()
	out, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String(name), Input: aws.String(`{"who":"jane"}`)})
	if err != nil {
		t.Fatal(err)
	}
	x, err := e.Wait(ctx, aws.ToString(out.ExecutionArn))
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.ExecutionArn), x
}

func redrive(t *testing.T, e *sfnemu.Emulator, c *sfn.Client, execArn string) sfnemu.Execution {
	t.Helper()
	ctx := context.Background()
	if _, err := c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: aws.String(execArn)}); err != nil {
		t.Fatalf("RedriveExecution: %v", err)
	}
	x, err := e.Wait(ctx, execArn)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// Must show 1: a Catch that leads to a Fail state makes the caught step unredrivable: the
// redrive re-enters the Fail state and fails again, though the fault is fixed.
func TestRedriveOfACatchIntoAFailStateFailsAgain(t *testing.T) {
	y := &toy{broken: true, calls: map[string]int{}}
	e, c, arn := startToy(t, toyDefinition(true), y, nil)
	execArn, x := runToy(t, e, c, arn, "caught")
	if x.Status != "FAILED" || x.Error != "RetryableError" {
		t.Fatalf("first attempt: %s %s, want FAILED RetryableError", x.Status, x.Error)
	}
	y.mu.Lock()
	y.broken = false
	y.mu.Unlock()
	x = redrive(t, e, c, execArn)
	if x.Status != "FAILED" || x.Error != "RetryableError" || x.RedriveCount != 1 {
		t.Fatalf("after the redrive: %s %s (%s), redriveCount %d; want FAILED RetryableError, 1 (the Fail state fails again)", x.Status, x.Error, x.Cause, x.RedriveCount)
	}
	if y.count("Second") != 1 || y.count("First") != 1 {
		t.Errorf("calls First %d, Second %d; want 1 each: the redrive ran no Task", y.count("First"), y.count("Second"))
	}
	if v := x.Local.Visited(); len(v) != 1 || v[0] != "Failed" {
		t.Errorf("the redrive visited %v, want only the Fail state", v)
	}
}

// Must show 1: without the Catch, the failing step fails the execution there, and a redrive
// after the fault is fixed reruns it alone and SUCCEEDS; the earlier Task is not rerun.
func TestRedriveResumesAtTheFailedStateWithItsInput(t *testing.T) {
	y := &toy{broken: true, calls: map[string]int{}}
	e, c, arn := startToy(t, toyDefinition(false), y, nil)
	execArn, x := runToy(t, e, c, arn, "plain")
	if x.Status != "FAILED" || x.Error != "RetryableError" {
		t.Fatalf("first attempt: %s %s, want FAILED RetryableError", x.Status, x.Error)
	}
	y.mu.Lock()
	y.broken = false
	y.mu.Unlock()
	x = redrive(t, e, c, execArn)
	if x.Status != "SUCCEEDED" || x.RedriveCount != 1 {
		t.Fatalf("after the redrive: %s %s %s, redriveCount %d", x.Status, x.Error, x.Cause, x.RedriveCount)
	}
	if y.count("First") != 1 || y.count("Second") != 2 {
		t.Errorf("calls First %d, Second %d; want First 1 (not rerun), Second 2", y.count("First"), y.count("Second"))
	}
	var out map[string]string
	if err := json.Unmarshal([]byte(x.Output), &out); err != nil || out["First"] != "done" || out["Second"] != "done" || out["who"] != "jane" {
		t.Errorf("output %s: want First's preserved result, Second's and the input", x.Output)
	}

	// The history tells both attempts; the status events tell each status.
	h, err := c.GetExecutionHistory(context.Background(), &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(execArn)})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, ev := range h.Events {
		kinds = append(kinds, string(ev.Type))
	}
	want := "ExecutionStarted TaskStateEntered TaskStateExited TaskStateEntered LambdaFunctionFailed ExecutionFailed ExecutionRedriven TaskStateEntered TaskStateExited ExecutionSucceeded"
	if got := strings.Join(kinds, " "); got != want {
		t.Errorf("history:\n got %s\nwant %s", got, want)
	}
	y.mu.Lock()
	var statuses []string
	for _, ev := range y.events {
		d := ev["detail"].(map[string]any)
		statuses = append(statuses, d["status"].(string))
		if ev["detail-type"] != sfnemu.StatusChangeDetailType || ev["source"] != "aws.states" || d["executionArn"] != execArn {
			t.Errorf("status change event %v", ev)
		}
	}
	y.mu.Unlock()
	if got := strings.Join(statuses, " "); got != "RUNNING FAILED RUNNING SUCCEEDED" {
		t.Errorf("status changes %s, want RUNNING FAILED RUNNING SUCCEEDED", got)
	}
}

// An execution can be redriven for 14 days after it stopped, and DescribeExecution says so.
func TestRedriveIsRefusedAfterFourteenDays(t *testing.T) {
	y := &toy{broken: true, calls: map[string]int{}}
	var mu sync.Mutex
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	e, c, arn := startToy(t, toyDefinition(false), y, clock)
	execArn, x := runToy(t, e, c, arn, "old")
	if x.Status != "FAILED" || x.Error != "RetryableError" {
		t.Fatalf("first attempt: %s %s, want FAILED RetryableError", x.Status, x.Error)
	}
	ctx := context.Background()
	d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(execArn)})
	if err != nil || d.RedriveStatus != types.ExecutionRedriveStatusRedrivable {
		t.Fatalf("just failed: %v, %v; want REDRIVABLE", d.RedriveStatus, err)
	}
	mu.Lock()
	now = now.Add(14*24*time.Hour + time.Minute)
	mu.Unlock()
	d, err = c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(execArn)})
	if err != nil || d.RedriveStatus != types.ExecutionRedriveStatusNotRedrivable || !strings.Contains(aws.ToString(d.RedriveStatusReason), "14 days") {
		t.Errorf("15 days later: %v %q, %v; want NOT_REDRIVABLE with the reason", d.RedriveStatus, aws.ToString(d.RedriveStatusReason), err)
	}
	var notRedrivable *types.ExecutionNotRedrivable
	if _, err := c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: aws.String(execArn)}); !errors.As(err, &notRedrivable) {
		t.Errorf("redrive after 14 days: %v, want ExecutionNotRedrivable", err)
	}
}

// An inline Map redriven reruns only the iterations that did not succeed; the others keep
// their output, and the execution goes on from the Map's Next. One at a time (MaxConcurrency 1),
// so a succeeds before b fails; c is stopped with the Map (the local runner may have started it:
// either way it did not succeed, so the redrive runs it).
func TestRedriveOfAMapRerunsOnlyItsFailedIterations(t *testing.T) {
	const def = `{"StartAt":"Plan","States":{
 "Plan":{"Type":"Task","Resource":"${PlanFunctionArn}","ResultPath":"$.plan","Next":"Each"},
 "Each":{"Type":"Map","ItemsPath":"$.plan.items","MaxConcurrency":1,"ResultPath":"$.results",
  "ItemProcessor":{"ProcessorConfig":{"Mode":"INLINE"},"StartAt":"Apply","States":{
   "Apply":{"Type":"Task","Resource":"${ApplyFunctionArn}","End":true}}},
  "Next":"Done"},
 "Done":{"Type":"Pass","End":true}}}`
	var mu sync.Mutex
	broken := true
	calls := map[string]int{}
	plan := lambda.NewHandler(func(ctx context.Context, in map[string]any) (map[string]any, error) {
		mu.Lock()
		defer mu.Unlock()
		calls["plan"]++
		return map[string]any{"items": []string{"a", "b", "c"}}, nil
	})
	apply := lambda.NewHandler(func(ctx context.Context, item string) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		calls[item]++
		if item == "b" && broken {
			return "", errs.Retryable(errors.New("database b is down"))
		}
		return item + " applied", nil
	})
	m, err := localsfn.Parse("maps", []byte(def), nil)
	if err != nil {
		t.Fatal(err)
	}
	e := sfnemu.New(sfnemu.Machine{ARN: sfnemu.ARN("maps"), Definition: m, Options: localsfn.Options{
		Handlers: map[string]lambda.Handler{"PlanFunctionArn": plan, "ApplyFunctionArn": apply}}})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	t.Cleanup(e.Close)
	c := sfnemu.NewClient(srv.URL)
	execArn, x := runToy(t, e, c, sfnemu.ARN("maps"), "three")
	if x.Status != "FAILED" || x.Error != "RetryableError" {
		t.Fatalf("first attempt: %s %s", x.Status, x.Error)
	}
	mu.Lock()
	broken = false
	if calls["a"] != 1 || calls["b"] != 1 {
		t.Errorf("first attempt's calls %v, want a 1, b 1", calls)
	}
	cBefore := calls["c"]
	mu.Unlock()
	x = redrive(t, e, c, execArn)
	if x.Status != "SUCCEEDED" {
		t.Fatalf("after the redrive: %s %s %s", x.Status, x.Error, x.Cause)
	}
	mu.Lock()
	defer mu.Unlock()
	if calls["plan"] != 1 || calls["a"] != 1 || calls["b"] != 2 || calls["c"] != cBefore+1 {
		t.Errorf("calls %v (c before the redrive: %d); want plan 1 and a 1 (not rerun), b 2, c once more", calls, cBefore)
	}
	var out struct {
		Who     string   `json:"who"`
		Results []string `json:"results"`
	}
	if err := json.Unmarshal([]byte(x.Output), &out); err != nil || out.Who != "jane" || strings.Join(out.Results, ",") != "a applied,b applied,c applied" {
		t.Errorf("output %s: want the input with the three results in order", x.Output)
	}
	if v := x.Local.Visited(); v[0] != "Each" || v[len(v)-1] != "Done" {
		t.Errorf("the redrive visited %v: want it to start at the Map and end at Done", v)
	}
}

// A state machine being deleted starts nothing more, and none of its executions can be redriven.
func TestNothingOfADeletingStateMachineIsRedriven(t *testing.T) {
	y := &toy{broken: true, calls: map[string]int{}}
	e, c, arn := startToy(t, toyDefinition(false), y, nil)
	execArn, x := runToy(t, e, c, arn, "doomed")
	if x.Status != "FAILED" {
		t.Fatalf("first attempt: %s", x.Status)
	}
	ctx := context.Background()
	if _, err := c.DeleteStateMachine(ctx, &sfn.DeleteStateMachineInput{StateMachineArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(execArn)})
	if err != nil || d.RedriveStatus != types.ExecutionRedriveStatusNotRedrivable || !strings.Contains(aws.ToString(d.RedriveStatusReason), "deleted") {
		t.Errorf("describe: %v %q %v, want NOT_REDRIVABLE because the state machine is being deleted", d.RedriveStatus, aws.ToString(d.RedriveStatusReason), err)
	}
	var notRedrivable *types.ExecutionNotRedrivable
	if _, err := c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: aws.String(execArn)}); !errors.As(err, &notRedrivable) {
		t.Errorf("redrive: %v, want ExecutionNotRedrivable", err)
	}
	var deleting *types.StateMachineDeleting
	if _, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("late")}); !errors.As(err, &deleting) {
		t.Errorf("start: %v, want StateMachineDeleting", err)
	}
}
