package notify

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ssoflow/ssoflow/functions"
	"github.com/ssoflow/ssoflow/functions/internal/errs"
	"github.com/ssoflow/ssoflow/functions/internal/execution"
)

// statusChange is the detail of a "Step Functions Execution Status Change" event. Only the ARN
// is used: the event is a trigger, and the execution is read from Step Functions.
type statusChange struct {
	ExecutionArn string `json:"executionArn"`
	Status       string `json:"status"`
}

// HandleEvent is the notify function's handler: EventBridge delivers the status change of an
// ssoflow execution; a failed, timed out or aborted one is read and published. An execution
// that ssoflow revoke stopped is no failure, and is only logged.
func (n *Notifier) HandleEvent(ctx context.Context, ev events.CloudWatchEvent) (Result, error) {
	var d statusChange
	if err := json.Unmarshal(ev.Detail, &d); err != nil || d.ExecutionArn == "" {
		return Result{}, errs.Invalid("a %q event without an executionArn", ev.DetailType)
	}
	if !slices.Contains(ssoflow.FailedStatuses, d.Status) {
		n.Log.InfoContext(ctx, "not a failure", "execution", d.ExecutionArn, "status", d.Status)
		return Result{}, nil
	}
	f, err := execution.Read(ctx, n.SFN, d.ExecutionArn)
	if err != nil {
		return Result{}, err
	}
	if f.Status == "ABORTED" && f.Error == ssoflow.ErrorRevoked {
		n.Log.InfoContext(ctx, "stopped by ssoflow revoke: not a failure", "execution", d.ExecutionArn)
		return Result{}, nil
	}
	if !slices.Contains(ssoflow.FailedStatuses, f.Status) { // redriven or replayed meanwhile
		n.Log.InfoContext(ctx, "no longer failed", "execution", d.ExecutionArn, "status", f.Status)
		return Result{}, nil
	}
	return n.Handle(ctx, f)
}
