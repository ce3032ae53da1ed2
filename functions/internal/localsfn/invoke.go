package localsfn

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// LambdaInvoke is the optimized Lambda integration's Resource. Its Parameters name the function
// (FunctionName, often dynamic: "FunctionName.$") and its Payload; the state's result is
// Lambda's Invoke response, the function's output under "Payload". With a Credentials field the
// call is made after assuming Credentials.RoleArn (Step Functions task credentials), which is
// how ssoflow reaches a provisioner in another account.
const LambdaInvoke = "arn:aws:states:::lambda:invoke"

// Invocation is one lambda:invoke call as the local runner answered it.
type Invocation struct {
	State        string          // the Task state's name
	FunctionName string          // what FunctionName resolved to
	RoleArn      string          // Credentials.RoleArn as resolved, "" without Credentials
	Payload      json.RawMessage // what the function received
	Error        string          // the error name Step Functions saw, "" on success
}

// invokeRequest is what run.mjs posts for a lambda:invoke state: the state's effective
// Parameters, with the state's Credentials (evaluated by the library like a Parameters entry)
// under credentialsKey.
type invokeRequest struct {
	FunctionName string          `json:"FunctionName"`
	Payload      json.RawMessage `json:"Payload"`
	Credentials  *struct {
		RoleArn string `json:"RoleArn"`
	} `json:"__ssoflowCredentials"`
}

// invokeResponse is Lambda's Invoke response as Step Functions returns it for lambda:invoke.
type invokeResponse struct {
	ExecutedVersion     string          `json:"ExecutedVersion"`
	Payload             json.RawMessage `json:"Payload"`
	SdkHTTPMetadata     map[string]any  `json:"SdkHttpMetadata"`
	SdkResponseMetadata map[string]any  `json:"SdkResponseMetadata"`
	StatusCode          int             `json:"StatusCode"`
}

var reRoleArn = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]+$`)

// taskError is an error with the name Step Functions reports for it.
type taskError struct{ name, msg string }

func (e *taskError) Error() string { return e.msg }

// invoke answers one lambda:invoke call with the handler registered for its function ARN.
// Errors are named as Step Functions names them: the function's errorType for a function
// error, Lambda.ResourceNotFoundException for an unknown function. A RoleArn that is not a role
// ARN is refused (States.TaskFailed) without calling the function, as Step Functions cannot
// assume it; whether the role's trust and policy allow the call is for the template tests.
func (t *taskServer) invoke(ctx context.Context, state string, body []byte, requestID string) (json.RawMessage, error) {
	var req invokeRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, &taskError{"States.Runtime", fmt.Sprintf("state %s: lambda:invoke parameters: %v", state, err)}
	}
	inv := Invocation{State: state, FunctionName: req.FunctionName, Payload: req.Payload}
	if req.Credentials != nil {
		inv.RoleArn = req.Credentials.RoleArn
	}
	result, err := t.call(ctx, inv, req, requestID)
	if err != nil {
		inv.Error = ErrorType(err)
	}
	t.mu.Lock()
	t.invocations = append(t.invocations, inv)
	t.mu.Unlock()
	return result, err
}

func (t *taskServer) call(ctx context.Context, inv Invocation, req invokeRequest, requestID string) (json.RawMessage, error) {
	if req.Credentials != nil && !reRoleArn.MatchString(inv.RoleArn) {
		return nil, &taskError{"States.TaskFailed", fmt.Sprintf("state %s: Credentials.RoleArn %q is not an IAM role ARN", inv.State, inv.RoleArn)}
	}
	h, ok := t.functions[inv.FunctionName]
	if !ok {
		return nil, &taskError{"Lambda.ResourceNotFoundException", fmt.Sprintf("Function not found: %s (no local handler for this function ARN)", inv.FunctionName)}
	}
	payload := req.Payload
	if len(payload) == 0 {
		payload = json.RawMessage("null")
	}
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: requestID, InvokedFunctionArn: inv.FunctionName})
	out, err := h.Invoke(ctx, payload)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		out = []byte("null")
	}
	return json.Marshal(invokeResponse{
		ExecutedVersion:     "$LATEST",
		Payload:             out,
		SdkHTTPMetadata:     map[string]any{"HttpStatusCode": 200},
		SdkResponseMetadata: map[string]any{"RequestId": requestID},
		StatusCode:          200,
	})
}

// Invocations returns the lambda:invoke calls answered so far.
func (t *taskServer) Invocations() []Invocation {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Invocation(nil), t.invocations...)
}
