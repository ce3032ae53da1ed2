// Package execution reads what a Step Functions execution's own record says about its failure:
// DescribeExecution for its status, error and input, GetExecutionHistory for the step that
// failed and that step's input. The notify function words it for a person; ssoflow replay
// decides from it whether a redrive can help (ReplayOf), so both decide alike.
package execution

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/ssoflow/ssoflow/functions/internal/errs"
)

// Failure is a failed execution as the notify function read it from Step Functions: the step
// that failed, the error, and the input of the top-level step it failed in (the source event,
// with the plan when Resolve got that far).
type Failure struct {
	ExecutionArn    string          `json:"executionArn"`
	ExecutionName   string          `json:"executionName"`
	StateMachineArn string          `json:"stateMachineArn"`
	Status          string          `json:"status"`    // FAILED, TIMED_OUT or ABORTED
	State           string          `json:"state"`     // the step that failed ("" when none was entered)
	StateType       string          `json:"stateType"` // its type: a Fail state is an outcome the definition chose
	Error           string          `json:"error"`
	Cause           string          `json:"cause"`
	Input           json.RawMessage `json:"input"`
}

// Replay is what `ssoflow replay` does for a failure.
type Replay string

const (
	ReplayRedrive Replay = "redrive" // rerun from the step that failed (RedriveExecution)
	ReplayAnew    Replay = "anew"    // a redrive would re-enter the same Fail state: start anew with the input
	ReplayNone    Replay = "none"    // no replay can fix it: the input itself is wrong
)

// ReplayOf says how a failure is replayed.
func ReplayOf(f Failure) Replay {
	switch {
	case f.Error == "InvalidInputError":
		return ReplayNone
	case f.StateType == "Fail", f.Error == "PlanGoneError":
		return ReplayAnew
	}
	return ReplayRedrive
}

// Executions is the part of the Step Functions client the notifier reads failed executions with.
type Executions interface {
	DescribeExecution(context.Context, *sfn.DescribeExecutionInput, ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error)
	GetExecutionHistory(context.Context, *sfn.GetExecutionHistoryInput, ...func(*sfn.Options)) (*sfn.GetExecutionHistoryOutput, error)
}

// maxHistoryPages bounds the history read: newest first, the failure is within the first page
// for every ssoflow state machine; a long grant's polls could need a few more.
const maxHistoryPages = 10

// Read reads the failed execution an event names: its status, error and input from
// DescribeExecution, and from its history the step that failed and that step's input.
func Read(ctx context.Context, api Executions, executionArn string) (Failure, error) {
	d, err := api.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(executionArn)})
	if err != nil {
		return Failure{}, classify(fmt.Errorf("describe execution %s: %w", executionArn, err))
	}
	f := Failure{
		ExecutionArn: executionArn, ExecutionName: aws.ToString(d.Name), StateMachineArn: aws.ToString(d.StateMachineArn),
		Status: string(d.Status), Error: aws.ToString(d.Error), Cause: aws.ToString(d.Cause), Input: json.RawMessage(aws.ToString(d.Input)),
	}
	var newestFirst []types.HistoryEvent
	var token *string
	for page := 0; page < maxHistoryPages; page++ {
		h, err := api.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(executionArn), ReverseOrder: true, MaxResults: 1000, NextToken: token})
		if err != nil {
			return Failure{}, classify(fmt.Errorf("read the history of %s: %w", executionArn, err))
		}
		newestFirst = append(newestFirst, h.Events...)
		if token = h.NextToken; token == nil || attemptStart(newestFirst) >= 0 {
			break
		}
	}
	p := failurePoint(newestFirst)
	f.State, f.StateType = p.state, p.stateType
	if len(p.input) > 0 && json.Valid(p.input) {
		f.Input = p.input
	}
	if f.Error == "" && p.error != "" { // DescribeExecution leaves them out for some ends
		f.Error, f.Cause = p.error, p.cause
	}
	return f, nil
}

// attemptStart is the index, in a newest-first history, of the start of the last attempt
// (ExecutionStarted or ExecutionRedriven), or -1 when it is not there yet.
func attemptStart(newestFirst []types.HistoryEvent) int {
	return slices.IndexFunc(newestFirst, func(e types.HistoryEvent) bool {
		return e.Type == types.HistoryEventTypeExecutionStarted || e.Type == types.HistoryEventTypeExecutionRedriven
	})
}

// point is where the last attempt failed.
type point struct {
	state, stateType string          // the innermost step that failed, or the last still open
	input            json.RawMessage // the input of the outermost step still open: the top-level step
	error, cause     string
}

// failurePoint reads the last attempt, oldest event first: the states entered and never exited
// are the ones that failed; the outermost is the top-level step (its input has the source event
// and the plan), the last one entered is where it failed.
func failurePoint(newestFirst []types.HistoryEvent) point {
	end := attemptStart(newestFirst)
	if end < 0 {
		end = len(newestFirst) - 1
	}
	type open struct {
		name, typ string
		input     string
	}
	var stack []open
	var p point
	for i := end; i >= 0; i-- {
		e := newestFirst[i]
		switch {
		case e.StateEnteredEventDetails != nil:
			d := e.StateEnteredEventDetails
			stack = append(stack, open{aws.ToString(d.Name), strings.TrimSuffix(string(e.Type), "StateEntered"), aws.ToString(d.Input)})
		case e.StateExitedEventDetails != nil:
			name := aws.ToString(e.StateExitedEventDetails.Name)
			if k := slices.IndexFunc(stack, func(o open) bool { return o.name == name }); k >= 0 {
				stack = append(stack[:k], stack[k+1:]...)
			}
		case e.LambdaFunctionFailedEventDetails != nil:
			p.error, p.cause = aws.ToString(e.LambdaFunctionFailedEventDetails.Error), aws.ToString(e.LambdaFunctionFailedEventDetails.Cause)
		case e.TaskFailedEventDetails != nil:
			p.error, p.cause = aws.ToString(e.TaskFailedEventDetails.Error), aws.ToString(e.TaskFailedEventDetails.Cause)
		}
	}
	if len(stack) == 0 {
		return p
	}
	last := stack[len(stack)-1]
	p.state, p.stateType, p.input = last.name, last.typ, json.RawMessage(stack[0].input)
	return p
}

// classify makes what the SDK would retry (throttling, 5xx, timeouts) a RetryableError, so the
// rule's retry policy delivers the event again; access denied or a missing execution is not.
func classify(err error) error {
	if retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary {
		return errs.Retryable(err)
	}
	return errs.Classify(err)
}
