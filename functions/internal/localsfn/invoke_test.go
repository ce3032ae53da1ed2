package localsfn_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/ssoflow/ssoflow/functions/internal/errs"
	"github.com/ssoflow/ssoflow/functions/internal/localsfn"
)

const (
	remoteFn   = "arn:aws:lambda:eu-west-1:222222222222:function:ssoflow-test-dbusers-eu-west-1"
	remoteRole = "arn:aws:iam::222222222222:role/ssoflow-test-dbusers-invoke-eu-west-1"
)

type work struct {
	Database    string `json:"database"`
	FunctionArn string `json:"functionArn,omitempty"`
	RoleArn     string `json:"roleArn,omitempty"`
}

// databaseHandlers answer the provision machine for a plan of one local and one remote
// database; remote is the provisioner registered for remoteFn.
func databaseHandlers(t *testing.T, remote lambda.Handler) (map[string]lambda.Handler, map[string]lambda.Handler) {
	return map[string]lambda.Handler{
			"ResolveFunctionArn": lambda.NewHandler(func(context.Context, json.RawMessage) (any, error) {
				return map[string]any{"kind": "database", "databases": []work{
					{Database: "orders"},
					{Database: "ledger", FunctionArn: remoteFn, RoleArn: remoteRole},
				}}, nil
			}),
			"ScimPushFunctionArn": lambda.NewHandler(func(context.Context, json.RawMessage) (any, error) {
				t.Error("no SCIM push for a database plan")
				return nil, nil
			}),
			"DbUsersFunctionArn": lambda.NewHandler(func(_ context.Context, w work) (any, error) {
				if w.Database != "orders" || w.RoleArn != "" {
					t.Errorf("the pipeline's own provisioner got %+v, want orders only", w)
				}
				return map[string]any{"database": w.Database, "report": map[string]any{"counts": map[string]int{"created": 1}}}, nil
			}),
		}, map[string]lambda.Handler{
			remoteFn: remote,
		}
}

// Issue 8, must show 2 (runner side): a lambda:invoke Task with a dynamic FunctionName and
// Credentials is answered by the handler registered for that function ARN with the Payload
// only, the role it was invoked with is recorded, and the state's output is the function's
// result (OutputPath $.Payload), the same shape as the pipeline's own provisioner's.
func TestLambdaInvokeWithCredentialsReachesTheRemoteHandler(t *testing.T) {
	m, err := localsfn.Load(provisionASL(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []json.RawMessage
	remote := lambda.NewHandler(func(_ context.Context, in json.RawMessage) (any, error) {
		got = append(got, in)
		var w work
		if err := json.Unmarshal(in, &w); err != nil {
			return nil, err
		}
		return map[string]any{"database": w.Database, "report": map[string]any{"counts": map[string]int{"created": 2}}}, nil
	})
	handlers, functions := databaseHandlers(t, remote)
	exe, err := m.Run(context.Background(), map[string]any{"detail": map[string]any{}}, localsfn.Options{Handlers: handlers, Functions: functions, ExecutionName: "remote-1"})
	if err != nil {
		t.Fatal(err)
	}
	if exe.Status != "SUCCEEDED" {
		t.Fatalf("execution %s %s: %s", exe.Status, exe.Error, exe.Cause)
	}
	if len(exe.Invocations) != 1 {
		t.Fatalf("invocations %+v, want one (ledger)", exe.Invocations)
	}
	inv := exe.Invocations[0]
	if inv.State != "ProvisionRemoteDatabase" || inv.FunctionName != remoteFn || inv.RoleArn != remoteRole || inv.Error != "" {
		t.Errorf("invocation %+v, want ProvisionRemoteDatabase → %s with role %s", inv, remoteFn, remoteRole)
	}
	var payload work
	if err := json.Unmarshal(inv.Payload, &payload); err != nil || payload.Database != "ledger" || len(got) != 1 {
		t.Errorf("the remote function got %s (%v), want the ledger work item", inv.Payload, err)
	}
	var out struct {
		Result []map[string]any `json:"result"`
	}
	if err := json.Unmarshal(exe.Output, &out); err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{
		{"database": "orders", "report": map[string]any{"counts": map[string]any{"created": float64(1)}}},
		{"database": "ledger", "report": map[string]any{"counts": map[string]any{"created": float64(2)}}},
	}
	if !reflect.DeepEqual(out.Result, want) {
		t.Errorf("Map result %v, want %v (the remote result unwrapped, as the local one)", out.Result, want)
	}
	if n := exe.Count("StateEntered", "ProvisionDatabase"); n != 1 {
		t.Errorf("ProvisionDatabase entered %d times, want 1", n)
	}
}

// A failure in the far account takes the same path as a local one: retried when retryable,
// then the Map fails and the execution ends FAILED at that step with the function's error.
func TestRemoteFailureIsRetriedThenFailsTheExecution(t *testing.T) {
	m, err := localsfn.Load(provisionASL(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	remote := lambda.NewHandler(func(context.Context, json.RawMessage) (any, error) {
		calls.Add(1)
		return nil, errs.Retryable(errors.New("database ledger refused the connection"))
	})
	handlers, functions := databaseHandlers(t, remote)
	exe, err := m.Run(context.Background(), map[string]any{}, localsfn.Options{Handlers: handlers, Functions: functions, ExecutionName: "remote-2"})
	if err != nil {
		t.Fatal(err)
	}
	if exe.Status != "FAILED" || exe.Error != "RetryableError" {
		t.Fatalf("execution %s %s, want FAILED with RetryableError", exe.Status, exe.Error)
	}
	if got := calls.Load(); got != 6 {
		t.Errorf("remote provisioner ran %d times, want 6 (MaxAttempts 5 + 1)", got)
	}
	for _, inv := range exe.Invocations {
		if inv.RoleArn != remoteRole || inv.Error != "RetryableError" {
			t.Errorf("invocation %+v, want role %s and RetryableError", inv, remoteRole)
		}
	}
	if v := exe.Visited(); v[len(v)-1] != "ProvisionRemoteDatabase" {
		t.Errorf("visited %v: want the execution to end at the remote provisioner's step", v)
	}
}

// A function ARN nobody registered fails as Lambda does (ResourceNotFoundException) and is not
// retried.
func TestUnknownFunctionIsResourceNotFound(t *testing.T) {
	m, err := localsfn.Load(provisionASL(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	handlers, _ := databaseHandlers(t, nil)
	exe, err := m.Run(context.Background(), map[string]any{}, localsfn.Options{Handlers: handlers, ExecutionName: "remote-3"})
	if err != nil {
		t.Fatal(err)
	}
	if exe.Status != "FAILED" || exe.Error != "Lambda.ResourceNotFoundException" {
		t.Fatalf("execution %s %s: %s, want FAILED with Lambda.ResourceNotFoundException", exe.Status, exe.Error, exe.Cause)
	}
	if len(exe.Invocations) != 1 || exe.Invocations[0].RoleArn != remoteRole {
		t.Errorf("invocations %+v, want one attempt with role %s", exe.Invocations, remoteRole)
	}
}
