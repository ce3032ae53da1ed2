// Package replay brings failed executions of a state machine back: it lists the executions that
// failed (and, when asked, timed out or were aborted) since a time, and decides for each from
// its own history (execution.ReplayOf): a redrive (RedriveExecution resumes it at the step that
// failed, AWS reruns nothing that succeeded), or a new start with the same input under a new
// name derived from the old one, where a redrive cannot help: the execution ended in a Fail
// state (a redrive re-enters it and fails again), its input was invalid (a redrive would reuse
// the plan; a new start re-reads the source), it closed more than 14 days ago, or Step Functions
// answers ExecutionNotRedrivable. ssoflow's state machines re-read the source, so a replay
// converges to today's truth, never to the event's. With Wait it waits for each replay to end.
package replay

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/ssoflow/ssoflow/functions/internal/execution"
)

// RedriveWindow is how long after it closed an execution can be redriven.
const RedriveWindow = 14 * 24 * time.Hour

// MaxNameLength is Step Functions' limit on execution names.
const MaxNameLength = 80

// API is the part of the Step Functions client a replay uses (*sfn.Client).
type API interface {
	ListExecutions(context.Context, *sfn.ListExecutionsInput, ...func(*sfn.Options)) (*sfn.ListExecutionsOutput, error)
	DescribeExecution(context.Context, *sfn.DescribeExecutionInput, ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error)
	RedriveExecution(context.Context, *sfn.RedriveExecutionInput, ...func(*sfn.Options)) (*sfn.RedriveExecutionOutput, error)
	GetExecutionHistory(context.Context, *sfn.GetExecutionHistoryInput, ...func(*sfn.Options)) (*sfn.GetExecutionHistoryOutput, error)
	StartExecution(context.Context, *sfn.StartExecutionInput, ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
}

// Action is what a replay does (or would do) with one execution.
type Action string

// The actions.
const (
	Redrive Action = "redrive"
	Restart Action = "restart"
	Skip    Action = "skip"
)

// Options select the executions and how to replay them.
type Options struct {
	StateMachineArn string
	// Since: executions that closed at or after it (ignored for named Executions).
	Since time.Time
	// Executions, by name or ARN: only these, whatever their close time.
	Executions []string
	// IncludeAborted adds TIMED_OUT and ABORTED executions to the FAILED ones.
	IncludeAborted bool
	// Anew starts every execution anew with its input instead of redriving it: the whole
	// state machine runs again from the first step (e.g. to plan a change again).
	Anew   bool
	DryRun bool
	// Wait waits for every replayed execution to end (at most WaitTimeout, default 30 minutes,
	// polling every PollInterval, default 5 s) and reports how each ended.
	Wait         bool
	WaitTimeout  time.Duration
	PollInterval time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Progress receives human-readable progress lines (the CLI prints them on stderr).
	Progress func(format string, args ...any)
}

// Item is one execution's outcome.
type Item struct {
	Name     string    `json:"name"`
	ARN      string    `json:"executionArn"`
	Status   string    `json:"status"`
	Stopped  time.Time `json:"stopDate,omitzero"`
	Action   Action    `json:"action"`
	Why      string    `json:"why,omitempty"`             // why restart or skip
	NewARN   string    `json:"newExecutionArn,omitempty"` // the restarted execution
	Error    string    `json:"error,omitempty"`
	Executed bool      `json:"executed"` // false in a dry run
	// Ended is how the replayed execution ended (with Wait): SUCCEEDED, FAILED, TIMED_OUT,
	// ABORTED, or "" when it was still running at the deadline.
	Ended string `json:"ended,omitempty"`
}

// Summary is a whole replay.
type Summary struct {
	Items                                []Item
	Redriven, Restarted, Skipped, Failed int // Failed: the replay could not be started
	Waited                               bool
	Succeeded, FailedAgain, StillRunning int // with Wait: how the replays ended
}

// String is the summary line: what was started, e.g. "2 replays started (1 redriven, 1
// started anew), 0 could not be started", then with Wait how they ended, e.g. "; then 1
// SUCCEEDED, 1 did not succeed, 0 still running". Without Wait nothing is said to have
// succeeded: a started replay has only started.
func (s Summary) String() string {
	started := "replays"
	if s.Redriven+s.Restarted == 1 {
		started = "replay"
	}
	line := fmt.Sprintf("%d %s started (%d redriven, %d started anew), %d could not be started",
		s.Redriven+s.Restarted, started, s.Redriven, s.Restarted, s.Failed)
	if s.Skipped > 0 {
		line += fmt.Sprintf(", %d skipped", s.Skipped)
	}
	if s.Waited {
		line += fmt.Sprintf("; then %d SUCCEEDED, %d did not succeed, %d still running", s.Succeeded, s.FailedAgain, s.StillRunning)
	}
	return line
}

// Err is non-nil when some replay could not be started or, with Wait, did not succeed.
func (s Summary) Err() error {
	switch {
	case s.Failed > 0:
		return fmt.Errorf("%d of %d replays could not be started", s.Failed, len(s.Items))
	case s.FailedAgain > 0 || s.StillRunning > 0:
		return fmt.Errorf("%d of %d replays did not succeed (%d still running)", s.FailedAgain+s.StillRunning, len(s.Items), s.StillRunning)
	}
	return nil
}

// Run replays. An error is returned when the executions cannot be listed; failures of single
// replays are in the summary (Failed, Item.Error) and the others proceed.
func Run(ctx context.Context, api API, o Options) (Summary, error) {
	if o.StateMachineArn == "" {
		return Summary{}, errors.New("replay: no state machine ARN")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	progress := o.Progress
	if progress == nil {
		progress = func(string, ...any) {}
	}
	targets, err := find(ctx, api, o, progress)
	if err != nil {
		return Summary{}, err
	}
	var s Summary
	for _, t := range targets {
		it := replayOne(ctx, api, o, t)
		switch {
		case it.Error != "":
			s.Failed++
			progress("%s: %s failed: %s", it.Name, it.Action, it.Error)
		case it.Action == Redrive:
			s.Redriven++
		case it.Action == Restart:
			s.Restarted++
		default:
			s.Skipped++
		}
		if it.Error == "" {
			progress("%s: %s%s", it.Name, verb(it, o.DryRun), because(it.Why))
		}
		s.Items = append(s.Items, it)
	}
	if o.Wait && !o.DryRun {
		waitAll(ctx, api, o, &s, progress)
	}
	return s, nil
}

func verb(it Item, dry bool) string {
	prefix := ""
	if dry && it.Action != Skip {
		prefix = "would "
	}
	switch it.Action {
	case Redrive:
		return prefix + "redrive"
	case Restart:
		if it.NewARN != "" {
			return prefix + "restart as " + it.NewARN[strings.LastIndex(it.NewARN, ":")+1:]
		}
		return prefix + "restart"
	}
	return "skipped"
}

func because(why string) string {
	if why == "" {
		return ""
	}
	return " (" + why + ")"
}

// find lists the executions to replay: the named ones, or those of the wanted statuses that
// closed since o.Since, oldest first.
func find(ctx context.Context, api API, o Options, progress func(string, ...any)) ([]types.ExecutionListItem, error) {
	if len(o.Executions) > 0 {
		var out []types.ExecutionListItem
		for _, e := range o.Executions {
			arn := e
			if !strings.Contains(e, ":execution:") {
				arn = strings.Replace(o.StateMachineArn, ":stateMachine:", ":execution:", 1) + ":" + e
			}
			d, err := api.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
			if err != nil {
				return nil, fmt.Errorf("read execution %s: %w", e, err)
			}
			out = append(out, types.ExecutionListItem{ExecutionArn: d.ExecutionArn, Name: d.Name, Status: d.Status,
				StartDate: d.StartDate, StopDate: d.StopDate, StateMachineArn: d.StateMachineArn})
		}
		return out, nil
	}
	statuses := []types.ExecutionStatus{types.ExecutionStatusFailed}
	if o.IncludeAborted {
		statuses = append(statuses, types.ExecutionStatusTimedOut, types.ExecutionStatusAborted)
	}
	var out []types.ExecutionListItem
	for _, st := range statuses {
		p := sfn.NewListExecutionsPaginator(api, &sfn.ListExecutionsInput{StateMachineArn: aws.String(o.StateMachineArn), StatusFilter: st, MaxResults: 100})
		n := 0
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("list %s executions of %s: %w", st, o.StateMachineArn, err)
			}
			for _, x := range page.Executions {
				if x.StopDate != nil && !x.StopDate.Before(o.Since) {
					out = append(out, x)
					n++
				}
			}
		}
		progress("%d %s executions closed since %s", n, st, o.Since.UTC().Format(time.RFC3339))
	}
	slices.SortFunc(out, func(a, b types.ExecutionListItem) int { return aws.ToTime(a.StopDate).Compare(aws.ToTime(b.StopDate)) })
	return out, nil
}

func replayable(st types.ExecutionStatus) bool {
	return st == types.ExecutionStatusFailed || st == types.ExecutionStatusTimedOut || st == types.ExecutionStatusAborted
}

// replayOne redrives x, or restarts it where a redrive is no longer possible.
func replayOne(ctx context.Context, api API, o Options, x types.ExecutionListItem) Item {
	it := Item{Name: aws.ToString(x.Name), ARN: aws.ToString(x.ExecutionArn), Status: string(x.Status), Stopped: aws.ToTime(x.StopDate), Executed: !o.DryRun}
	if !replayable(x.Status) {
		it.Action, it.Why = Skip, "it is "+string(x.Status)+"; only FAILED, TIMED_OUT and ABORTED executions are replayed"
		return it
	}
	it.Action = Redrive
	if age := o.Now().Sub(it.Stopped); !it.Stopped.IsZero() && age > RedriveWindow {
		it.Action, it.Why = Restart, fmt.Sprintf("closed %d days ago, beyond the 14-day redrive window", int(age.Hours()/24))
	} else if o.Anew {
		it.Action, it.Why = Restart, "asked to start anew"
	} else if why, err := redriveCannotHelp(ctx, api, aws.ToString(x.ExecutionArn)); err != nil {
		it.Error = err.Error()
		return it
	} else if why != "" {
		it.Action, it.Why = Restart, why
	}
	if o.DryRun {
		if it.Action == Redrive {
			// The service knows best whether it still can (e.g. a definition that changed).
			d, err := api.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: x.ExecutionArn})
			if err != nil {
				it.Error = fmt.Sprintf("read execution: %v", err)
			} else if d.RedriveStatus == types.ExecutionRedriveStatusNotRedrivable {
				it.Action, it.Why = Restart, "not redrivable: "+aws.ToString(d.RedriveStatusReason)
			}
		}
		return it
	}
	if it.Action == Redrive {
		_, err := api.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: x.ExecutionArn})
		var nr *types.ExecutionNotRedrivable
		switch {
		case err == nil:
			return it
		case errors.As(err, &nr):
			it.Action, it.Why = Restart, "not redrivable: "+nr.ErrorMessage()
		default:
			it.Error = fmt.Sprintf("redrive: %v", err)
			return it
		}
	}
	arn, err := restart(ctx, api, o, x)
	if err != nil {
		it.Error = err.Error()
	}
	it.NewARN = arn
	return it
}

// redriveCannotHelp reads the execution's history and says why a redrive cannot make it
// succeed, or "" when it can.
func redriveCannotHelp(ctx context.Context, api API, arn string) (string, error) {
	f, err := execution.Read(ctx, api, arn)
	if err != nil {
		return "", fmt.Errorf("read execution: %w", err)
	}
	switch execution.ReplayOf(f) {
	case execution.ReplayAnew:
		if f.StateType != "Fail" {
			return fmt.Sprintf("its step %s failed with %s: a redrive would fail the same way, a new start plans again", f.State, f.Error), nil
		}
		return fmt.Sprintf("it ended in the Fail state %s, which a redrive would re-enter and fail again", f.State), nil
	case execution.ReplayNone:
		return fmt.Sprintf("its step %s found the input invalid; a redrive would reuse it, a new start re-reads the source", f.State), nil
	}
	return "", nil
}

// restart starts x anew with its input, under NewName(x's name).
func restart(ctx context.Context, api API, o Options, x types.ExecutionListItem) (string, error) {
	d, err := api.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: x.ExecutionArn})
	if err != nil {
		return "", fmt.Errorf("read the input of %s: %w", aws.ToString(x.Name), err)
	}
	smArn := aws.ToString(d.StateMachineArn)
	if smArn == "" {
		smArn = o.StateMachineArn
	}
	for attempt := 0; ; attempt++ {
		name := NewName(aws.ToString(x.Name), o.Now(), attempt)
		out, err := api.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(smArn), Name: aws.String(name), Input: d.Input})
		var exists *types.ExecutionAlreadyExists
		if errors.As(err, &exists) && attempt < 5 {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("start %s anew as %s: %w", aws.ToString(x.Name), name, err)
		}
		return aws.ToString(out.ExecutionArn), nil
	}
}

var reReplaySuffix = regexp.MustCompile(`-replay-\d{12}(-\d+)?$`)

// NewName derives the name of a restarted execution from the old one: the old name without
// an earlier replay suffix, then "-replay-YYMMDDhhmmss" (and "-<attempt>" after a clash),
// cut so the whole fits in 80 characters.
func NewName(old string, now time.Time, attempt int) string {
	base := reReplaySuffix.ReplaceAllString(old, "")
	suffix := "-replay-" + now.UTC().Format("060102150405")
	if attempt > 0 {
		suffix += fmt.Sprintf("-%d", attempt)
	}
	if len(base)+len(suffix) > MaxNameLength {
		base = base[:MaxNameLength-len(suffix)]
	}
	return base + suffix
}
