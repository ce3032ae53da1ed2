package localsfn_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/ssoflow/ssoflow/functions/internal/errs"
	"github.com/ssoflow/ssoflow/functions/internal/localsfn"
)

func provisionASL(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "statemachines", "provision.asl.json")
}

// The real provision definition: Resolve fails twice with RetryableError and is retried, then the
// SCIM push fails with InvalidInputError, which is not retried: the execution FAILS at that step
// with the original error name (no Catch leads it elsewhere), so a redrive reruns that step; the
// notification comes from the execution's status change, not from a state.
func TestRetriedThenFailsAtTheStep(t *testing.T) {
	m, err := localsfn.Load(provisionASL(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	var resolveCalls, pushCalls atomic.Int32
	handlers := map[string]lambda.Handler{
		"ResolveFunctionArn": lambda.NewHandler(func(ctx context.Context, in json.RawMessage) (map[string]any, error) {
			if resolveCalls.Add(1) <= 2 {
				return nil, errs.Retryable(errors.New("okta answered 429"))
			}
			return map[string]any{"kind": "okta", "push": map[string]any{"userName": "jane@example.com", "targetGroup": "AWS_Admins", "member": true}}, nil
		}),
		"ScimPushFunctionArn": lambda.NewHandler(func(ctx context.Context, in struct {
			Push struct {
				UserName string `json:"userName"`
			} `json:"push"`
		}) (any, error) {
			pushCalls.Add(1)
			if in.Push.UserName != "jane@example.com" {
				t.Errorf("push got user %q, want the plan's user", in.Push.UserName)
			}
			return nil, errs.Invalid("user name %q is refused", in.Push.UserName)
		}),
		"DbUsersFunctionArn": lambda.NewHandler(func(ctx context.Context, in json.RawMessage) (any, error) {
			t.Error("the database step must not run for an Okta change")
			return nil, nil
		}),
	}
	exe, err := m.Run(context.Background(), map[string]any{"source": "ssoflow.okta", "detail": map[string]any{}}, localsfn.Options{Handlers: handlers, ExecutionName: "test-1"})
	if err != nil {
		t.Fatal(err)
	}
	if exe.Status != "FAILED" || exe.Error != "InvalidInputError" {
		t.Fatalf("execution: status %s error %q cause %q, want FAILED with InvalidInputError", exe.Status, exe.Error, exe.Cause)
	}
	if got := resolveCalls.Load(); got != 3 {
		t.Errorf("Resolve ran %d times, want 3 (two retried failures, then success)", got)
	}
	if got := exe.Count("StateRetried", "Resolve"); got != 2 {
		t.Errorf("StateRetried events for Resolve: %d, want 2", got)
	}
	if got := pushCalls.Load(); got != 1 {
		t.Errorf("PushToIdentityCenter ran %d times, want 1 (InvalidInputError is not retried)", got)
	}
	if got := exe.Count("StateCaught", ""); got != 0 {
		t.Errorf("StateCaught events: %d, want none", got)
	}
	want := []string{"Resolve", "Route", "PushToIdentityCenter"}
	if got := exe.Visited(); !slices.Equal(got, want) {
		t.Errorf("visited %v, want %v (the execution ends at the step that failed)", got, want)
	}
}

// Retries are bounded: a step that keeps failing with RetryableError is tried MaxAttempts+1
// times, then the execution fails there.
func TestRetriesAreBoundedByMaxAttempts(t *testing.T) {
	m, err := localsfn.Load(provisionASL(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	noop := lambda.NewHandler(func() error { return nil })
	exe, err := m.Run(context.Background(), map[string]any{}, localsfn.Options{Handlers: map[string]lambda.Handler{
		"ResolveFunctionArn": lambda.NewHandler(func() error {
			calls.Add(1)
			return errs.Retryable(errors.New("still throttled"))
		}),
		"ScimPushFunctionArn": noop, "DbUsersFunctionArn": noop,
	}})
	if err != nil {
		t.Fatal(err)
	}
	if exe.Status != "FAILED" || exe.Error != "RetryableError" {
		t.Fatalf("status %s error %s, want FAILED RetryableError", exe.Status, exe.Error)
	}
	if got := calls.Load(); got != 7 {
		t.Errorf("Resolve ran %d times, want 7 (1 + MaxAttempts 6)", got)
	}
}

func TestMissingHandlerIsAnError(t *testing.T) {
	m, err := localsfn.Load(provisionASL(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Run(context.Background(), map[string]any{}, localsfn.Options{})
	if err == nil {
		t.Fatal("run without handlers succeeded; want an error naming the task state")
	}
}

func TestErrorTypeMatchesLambdaRuntime(t *testing.T) {
	cases := map[string]error{
		"RetryableError":    errs.Retryable(errors.New("x")),
		"InvalidInputError": errs.Invalid("x"),
		"errorString":       errors.New("x"),
	}
	for want, err := range cases {
		if got := localsfn.ErrorType(err); got != want {
			t.Errorf("ErrorType(%T) = %q, want %q", err, got, want)
		}
	}
}

// Step Functions' 256 KiB state data quota holds locally too: a task result over it fails the
// execution with States.DataLimitExceeded, which no Catch handles, and a result under it passes.
func TestStateDataQuota(t *testing.T) {
	m, err := localsfn.Load(provisionASL(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	run := func(size int) *localsfn.Execution {
		t.Helper()
		pad := make([]byte, size)
		for i := range pad {
			pad[i] = 'x'
		}
		handlers := map[string]lambda.Handler{
			"ResolveFunctionArn": lambda.NewHandler(func(ctx context.Context, in json.RawMessage) (map[string]any, error) {
				return map[string]any{"kind": "ignore", "reason": string(pad)}, nil
			}),
			"ScimPushFunctionArn": lambda.NewHandler(func(ctx context.Context, in json.RawMessage) (any, error) { return nil, nil }),
			"DbUsersFunctionArn":  lambda.NewHandler(func(ctx context.Context, in json.RawMessage) (any, error) { return nil, nil }),
		}
		exe, err := m.Run(context.Background(), map[string]any{"id": "e-1"}, localsfn.Options{Handlers: handlers})
		if err != nil {
			t.Fatal(err)
		}
		return exe
	}
	if exe := run(200 * 1024); exe.Status != "SUCCEEDED" {
		t.Fatalf("200 KiB result: %s %s %s, want SUCCEEDED", exe.Status, exe.Error, exe.Cause)
	}
	exe := run(localsfn.DataLimit)
	if exe.Status != "FAILED" || exe.Error != localsfn.DataLimitExceeded || !strings.Contains(exe.Cause, "Resolve") {
		t.Fatalf("256 KiB result: %s %s %q, want FAILED %s naming Resolve", exe.Status, exe.Error, exe.Cause, localsfn.DataLimitExceeded)
	}
}
