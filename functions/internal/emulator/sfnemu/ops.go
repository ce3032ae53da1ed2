package sfnemu

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"time"

	"github.com/ssoflow/ssoflow/functions/internal/localsfn"
)

func (e *Emulator) startExecution(body []byte) (any, *apiError) {
	var in struct {
		StateMachineArn string  `json:"stateMachineArn"`
		Name            string  `json:"name"`
		Input           *string `json:"input"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	input := "{}"
	if in.Input != nil {
		input = *in.Input
	}
	if !json.Valid([]byte(input)) {
		return nil, fail("InvalidExecutionInput", "Invalid State Machine Execution Input: the input is not JSON")
	}
	if in.Name == "" {
		in.Name = newName()
	}
	if !reName.MatchString(in.Name) {
		return nil, fail("InvalidName", "Invalid Name: '%s' (1-80 letters, digits, - and _)", in.Name)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	m, ok := e.machines[in.StateMachineArn]
	if !ok {
		return nil, fail("StateMachineDoesNotExist", "State Machine Does Not Exist: '%s'", in.StateMachineArn)
	}
	if e.deleting[m.ARN] {
		return nil, fail("StateMachineDeleting", "State Machine is being deleted: '%s'", m.ARN)
	}
	arn := ExecutionARN(m.ARN, in.Name)
	if x, ok := e.executions[arn]; ok {
		// AWS: the same name and input while the execution is open answers the original
		// execution; a closed execution or a different input is ExecutionAlreadyExists.
		if x.Status == "RUNNING" && sameJSON(x.Input, input) {
			return map[string]any{"executionArn": arn, "startDate": epoch(x.Start)}, nil
		}
		return nil, fail("ExecutionAlreadyExists", "Execution Already Exists: '%s'", arn)
	}
	if e.closed {
		return nil, fail("ServiceUnavailable", "the emulator is closed")
	}
	x := &execution{Execution: Execution{ARN: arn, Name: in.Name, StateMachineARN: m.ARN, Input: input}}
	e.executions[arn] = x
	e.order = append(e.order, arn)
	def, raw := m.Definition, json.RawMessage(input)
	e.run(m, x, func(ctx context.Context, opts localsfn.Options) (*localsfn.Execution, error) {
		return def.Run(ctx, raw, opts)
	})
	return map[string]any{"executionArn": arn, "startDate": epoch(x.Start)}, nil
}

// run starts an attempt of x (its start, or a redrive) in a goroutine. Callers hold e.mu.
func (e *Emulator) run(m Machine, x *execution, r runner) {
	ctx, cancel := context.WithCancel(context.Background())
	x.cancel, x.done = cancel, make(chan struct{})
	now := e.now()
	if len(x.attempts) == 0 {
		x.Start = now
	} else {
		x.RedriveCount++
		x.RedriveDate = now
	}
	x.Status, x.Stop = "RUNNING", time.Time{}
	x.Output, x.Error, x.Cause, x.Local = "", "", "", nil
	x.attempts = append(x.attempts, attempt{start: now})
	ai := len(x.attempts) - 1
	opts := m.Options
	if m.ForExecution != nil {
		opts.Handlers = maps.Clone(opts.Handlers)
		opts.Waits = maps.Clone(opts.Waits)
		m.ForExecution(x.Name, &opts)
	}
	opts.ExecutionName = x.Name
	opts.StartTime = x.Start
	done := x.done
	if m.Timeout > 0 { // a redrive starts the timeout anew ("Redriving executions")
		timer := time.AfterFunc(m.Timeout, func() {
			e.mu.Lock()
			defer e.mu.Unlock()
			if x.Status == "RUNNING" && x.done == done {
				x.Status, x.Stop, x.Error, x.Cause = "TIMED_OUT", e.now(), "States.Timeout", fmt.Sprintf("the execution ran longer than %s", m.Timeout)
				cancel()
			}
		})
		go func() { <-done; timer.Stop() }()
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		defer cancel()
		e.statusChanged(x)
		res, err := r(ctx, opts)
		e.mu.Lock()
		if res != nil {
			x.attempts[ai].events = res.Events
		}
		if x.Status == "RUNNING" { // else stopped or timed out meanwhile: that is the end
			x.Stop = e.now()
			if err != nil {
				x.Status, x.Error, x.Cause = "FAILED", "States.Runtime", "local runner: "+err.Error()
			} else {
				x.Local = res
				x.Status, x.Output, x.Error, x.Cause = res.Status, string(res.Output), res.Error, res.Cause
			}
		}
		a := &x.attempts[ai]
		a.stop, a.status, a.output, a.error, a.cause = x.Stop, x.Status, x.Output, x.Error, x.Cause
		e.mu.Unlock()
		e.statusChanged(x)
		close(done)
	}()
}

func (e *Emulator) find(arn string) (*execution, *apiError) {
	x, ok := e.executions[arn]
	if !ok {
		return nil, fail("ExecutionDoesNotExist", "Execution Does Not Exist: '%s'", arn)
	}
	return x, nil
}

func (e *Emulator) describeExecution(body []byte) (any, *apiError) {
	var in struct {
		ExecutionArn string `json:"executionArn"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	x, err := e.find(in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	return e.described(x, epoch), nil
}

// described is x as DescribeExecution describes it, dates written by date (DescribeExecution
// answers epoch seconds, the status change event epoch milliseconds). Callers hold e.mu.
func (e *Emulator) described(x *execution, date func(time.Time) any) map[string]any {
	out := map[string]any{
		"executionArn": x.ARN, "stateMachineArn": x.StateMachineARN, "name": x.Name, "status": x.Status,
		"startDate": date(x.Start), "input": x.Input, "redriveCount": x.RedriveCount,
		"inputDetails": map[string]any{"included": true},
	}
	if !x.Stop.IsZero() {
		out["stopDate"] = date(x.Stop)
	}
	if x.Status == "SUCCEEDED" {
		out["output"] = x.Output
		out["outputDetails"] = map[string]any{"included": true}
	}
	if x.Error != "" || x.Cause != "" {
		out["error"], out["cause"] = x.Error, x.Cause
	}
	if x.RedriveCount > 0 {
		out["redriveDate"] = date(x.RedriveDate)
	}
	if reason := e.notRedrivable(x); reason != "" {
		out["redriveStatus"], out["redriveStatusReason"] = "NOT_REDRIVABLE", reason
	} else {
		out["redriveStatus"] = "REDRIVABLE"
	}
	return out
}

func (e *Emulator) listExecutions(body []byte) (any, *apiError) {
	var in struct {
		StateMachineArn string `json:"stateMachineArn"`
		StatusFilter    string `json:"statusFilter"`
		MaxResults      int    `json:"maxResults"`
		NextToken       string `json:"nextToken"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.machines[in.StateMachineArn]; !ok {
		return nil, fail("StateMachineDoesNotExist", "State Machine Does Not Exist: '%s'", in.StateMachineArn)
	}
	// Newest first, as AWS lists them.
	var items []map[string]any
	for i := len(e.order) - 1; i >= 0; i-- {
		x := e.executions[e.order[i]]
		if x.StateMachineARN != in.StateMachineArn || (in.StatusFilter != "" && x.Status != in.StatusFilter) {
			continue
		}
		item := map[string]any{"executionArn": x.ARN, "stateMachineArn": x.StateMachineARN, "name": x.Name,
			"status": x.Status, "startDate": epoch(x.Start), "redriveCount": x.RedriveCount}
		if !x.Stop.IsZero() {
			item["stopDate"] = epoch(x.Stop)
		}
		items = append(items, item)
	}
	max := in.MaxResults
	if max <= 0 || max > 1000 {
		max = 100
	}
	from := 0
	if in.NextToken != "" {
		if _, err := fmt.Sscanf(in.NextToken, "page-%d", &from); err != nil || from < 0 || from > len(items) {
			return nil, fail("InvalidToken", "Invalid Token: '%s'", in.NextToken)
		}
	}
	end := min(from+max, len(items))
	out := map[string]any{"executions": append([]map[string]any{}, items[from:end]...)}
	if end < len(items) {
		out["nextToken"] = fmt.Sprintf("page-%d", end)
	}
	return out, nil
}

func (e *Emulator) stopExecution(body []byte) (any, *apiError) {
	var in struct {
		ExecutionArn string `json:"executionArn"`
		Error        string `json:"error"`
		Cause        string `json:"cause"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	x, err := e.find(in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	if x.Status == "RUNNING" {
		x.Status, x.Stop, x.Error, x.Cause = "ABORTED", e.now(), in.Error, in.Cause
		x.cancel()
	}
	return map[string]any{"stopDate": epoch(x.Stop)}, nil
}

func (e *Emulator) redriveExecution(body []byte) (any, *apiError) {
	var in struct {
		ExecutionArn string `json:"executionArn"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	x, err := e.find(in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	if reason := e.notRedrivable(x); reason != "" {
		return nil, fail("ExecutionNotRedrivable", "%s: '%s'", reason, x.ARN)
	}
	if e.closed {
		return nil, fail("ServiceUnavailable", "the emulator is closed")
	}
	m := e.machines[x.StateMachineARN]
	r, perr := planRedrive(m, x)
	if perr != nil {
		// Not an AWS error: the emulator refuses to redrive what it cannot redrive as AWS does.
		return nil, fail("EmulatorCannotRedrive", "sfnemu cannot redrive %s as AWS would: %v", x.ARN, perr)
	}
	e.run(m, x, r)
	return map[string]any{"redriveDate": epoch(x.RedriveDate)}, nil
}

// notRedrivable says why x cannot be redriven now, or "" when it can (RedriveExecution:
// only FAILED, TIMED_OUT or ABORTED executions, within 14 days of their stop date). Callers
// hold e.mu. AWS documents no wording for the reason; these are the emulator's.
func (e *Emulator) notRedrivable(x *execution) string {
	switch x.Status {
	case "FAILED", "ABORTED", "TIMED_OUT":
	default:
		return fmt.Sprintf("Execution is %s, only FAILED, ABORTED or TIMED_OUT executions can be redriven", x.Status)
	}
	if e.now().Sub(x.Stop) > RedrivableDays*24*time.Hour {
		return fmt.Sprintf("Execution stopped more than %d days ago", RedrivableDays)
	}
	if e.deleting[x.StateMachineARN] {
		return "State machine is being deleted"
	}
	return ""
}

// deleteStateMachine sets the state machine DELETING ("DeleteStateMachine", API Reference,
// https://docs.aws.amazon.com/step-functions/latest/apireference/API_DeleteStateMachine.html):
// it starts no execution any more (StateMachineDeleting) and none of its executions can be
// redriven. The emulator keeps it, and its executions, for the test to read.
func (e *Emulator) deleteStateMachine(body []byte) (any, *apiError) {
	var in struct {
		StateMachineArn string `json:"stateMachineArn"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.machines[in.StateMachineArn]; ok {
		if e.deleting == nil {
			e.deleting = map[string]bool{}
		}
		e.deleting[in.StateMachineArn] = true
	}
	return map[string]any{}, nil // deleting a state machine that does not exist succeeds too
}

func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return a == b
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return string(ja) == string(jb)
}

func newName() string {
	return fmt.Sprintf("exec-%d", time.Now().UnixNano())
}
