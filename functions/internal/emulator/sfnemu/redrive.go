package sfnemu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/ssoflow/ssoflow/functions/internal/localsfn"
)

// Redrive, as AWS documents it. Sources:
//   - "Redriving executions", AWS Step Functions Developer Guide,
//     https://docs.aws.amazon.com/step-functions/latest/dg/redrive-executions.html
//   - "RedriveExecution", AWS Step Functions API Reference,
//     https://docs.aws.amazon.com/step-functions/latest/apireference/API_RedriveExecution.html
//
// The rules this file implements, each from those pages:
//   - A redrive "continues the failed execution from the unsuccessful step and uses the same
//     input"; the results of the successful steps are preserved and those steps are not rerun
//     (RedriveExecution). The unsuccessful step is the state with an Entered event and no Exited
//     event (the guide, "Redriving Map Runs": "if there's no <stateType>Exited event
//     corresponding to the <stateType>Entered event"). It is rerun with the input it was entered
//     with, and the execution goes on from there with the same definition and execution ARN.
//   - "For workflows that include an Inline Map or Parallel state, RedriveExecution reschedules
//     and redrives only the iterations and branches that failed or aborted" (RedriveExecution):
//     iterations that succeeded keep their output and are not rerun; those that failed, were
//     aborted or never started run with their item.
//   - A Fail state is re-entered and fails again (the guide, "Redrive behavior of individual
//     states"): nothing special is needed, rerunning it does exactly that.
//   - A Wait state whose timestamp has passed continues at once (the same section); the local
//     runner waits for a negative difference by not waiting.
//   - Only FAILED, TIMED_OUT and ABORTED executions can be redriven, within 14 days of their stop
//     date (RedriveExecution: ExecutionNotRedrivable); redriveCount counts the redrives and
//     redriveDate is the last one's start (DescribeExecution). A redrive resets the state
//     machine's TimeoutSeconds (the guide): the emulator's Timeout timer restarts.
//
// Knowingly not reproduced (see FIDELITY.md): a failed iteration of an inline Map that itself
// contains an inline Map reruns whole (its inner Map's successful iterations run again), because
// the local runner's event log does not say which outer iteration an inner iteration belongs to;
// a Map or Parallel state with Retry or Catch, a Map with ItemSelector whose unfinished
// iterations never started, and Parallel states are refused rather than redriven approximately.

// RedrivableDays is how long after it stopped an execution can be redriven.
const RedrivableDays = 14

// runner runs one attempt of an execution.
type runner func(ctx context.Context, opts localsfn.Options) (*localsfn.Execution, error)

// resumePoint is where the last attempt left off.
type resumePoint struct {
	state string          // "" when no state was entered: the redrive starts the execution over
	input json.RawMessage // the input that state was entered with
}

// findResume reads the last attempt's events: the top-level state entered and not exited.
func findResume(events []localsfn.Event) resumePoint {
	var p resumePoint
	for _, ev := range events {
		if ev.State == nil || ev.Index != nil {
			continue // not a top-level state event
		}
		switch ev.Type {
		case "StateEntered":
			p = resumePoint{state: ev.State.Name, input: ev.State.Input}
		case "StateExited":
			if p.state == ev.State.Name {
				p = resumePoint{}
			}
		}
	}
	return p
}

// planRedrive decides how to redrive x from its attempts so far. Callers hold e.mu.
func planRedrive(m Machine, x *execution) (runner, error) {
	if len(x.attempts) == 0 {
		return nil, errors.New("no attempt to redrive")
	}
	last := x.attempts[len(x.attempts)-1]
	p := findResume(last.events)
	def := m.Definition
	execInput := json.RawMessage(x.Input)
	if p.state == "" {
		return func(ctx context.Context, opts localsfn.Options) (*localsfn.Execution, error) {
			return def.Run(ctx, execInput, opts)
		}, nil
	}
	s, _ := def.StateDef(p.state)
	switch s["Type"] {
	case "Parallel":
		return nil, fmt.Errorf("state %s is a Parallel state, whose redrive the emulator does not reproduce", p.state)
	case "Map":
		done := succeededIterations(x.attempts, p.state)
		return func(ctx context.Context, opts localsfn.Options) (*localsfn.Execution, error) {
			return redriveMap(ctx, def, p, s, done, execInput, opts)
		}, nil
	}
	from, err := def.From(p.state)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, opts localsfn.Options) (*localsfn.Execution, error) {
		opts.ExecutionInput = execInput
		return from.Run(ctx, p.input, opts)
	}, nil
}

// succeededIterations are the outputs of the iterations of Map state name that succeeded in
// any attempt, by index.
func succeededIterations(attempts []attempt, name string) map[int]json.RawMessage {
	done := map[int]json.RawMessage{}
	for _, a := range attempts {
		for _, ev := range a.events {
			if ev.Type == "MapIterationSucceeded" && ev.Index != nil && ev.ParentState != nil && ev.ParentState.Name == name {
				done[*ev.Index] = ev.Output
			}
		}
	}
	return done
}

// redriveMap reruns the iterations of Map state p.state that did not succeed, puts the results
// together with the preserved ones, and goes on from the Map's Next.
func redriveMap(ctx context.Context, def *localsfn.Machine, p resumePoint, s map[string]any, done map[int]json.RawMessage, execInput json.RawMessage, opts localsfn.Options) (*localsfn.Execution, error) {
	for _, k := range []string{"Retry", "Catch", "ResultSelector", "ItemSelector", "Parameters", "ItemReader", "ResultWriter"} {
		if _, ok := s[k]; ok {
			return nil, fmt.Errorf("Map state %s has %s, whose redrive the emulator does not reproduce", p.state, k)
		}
	}
	if ip, ok := s["InputPath"]; ok && ip != "$" {
		return nil, fmt.Errorf("Map state %s: InputPath %v is not reproduced on redrive", p.state, ip)
	}
	var input any
	if err := json.Unmarshal(p.input, &input); err != nil {
		return nil, fmt.Errorf("Map state %s input: %w", p.state, err)
	}
	itemsPath, _ := s["ItemsPath"].(string)
	if itemsPath == "" {
		itemsPath = "$"
	}
	v, err := getPath(input, itemsPath)
	if err != nil {
		return nil, fmt.Errorf("Map state %s: %w", p.state, err)
	}
	items, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("Map state %s: ItemsPath %s is not an array", p.state, itemsPath)
	}
	iteration, err := def.Iteration(p.state)
	if err != nil {
		return nil, err
	}
	opts.ExecutionInput = execInput

	exe := &localsfn.Execution{}
	exe.Events = append(exe.Events, stateEvent("StateEntered", p.state, "Map", p.input, nil))
	results := make([]json.RawMessage, len(items))
	var todo []int
	for i := range items {
		if out, ok := done[i]; ok {
			results[i] = out
		} else {
			todo = append(todo, i)
		}
	}
	limit, _ := s["MaxConcurrency"].(float64)
	runs := runIterations(ctx, iteration, p.state, items, todo, int(limit), opts)
	failed := -1
	for _, i := range todo {
		r := runs[i]
		exe.Events = append(exe.Events, r.events...)
		exe.Invocations = append(exe.Invocations, r.invocations...)
		if r.err != nil {
			return exe, r.err
		}
		if r.status != "SUCCEEDED" {
			if failed < 0 {
				failed = i
			}
			continue
		}
		results[i] = r.output
	}
	if failed >= 0 {
		r := runs[failed]
		exe.Status, exe.Error, exe.Cause = "FAILED", r.error, r.cause
		return exe, nil
	}
	output, err := mapOutput(p, s, input, results)
	if err != nil {
		exe.Status, exe.Error, exe.Cause = "FAILED", "States.Runtime", err.Error()
		return exe, nil
	}
	exe.Events = append(exe.Events, stateEvent("StateExited", p.state, "Map", p.input, output))
	if end, _ := s["End"].(bool); end {
		exe.Status, exe.Output = "SUCCEEDED", output
		return exe, nil
	}
	next, _ := s["Next"].(string)
	from, err := def.From(next)
	if err != nil {
		return exe, err
	}
	rest, err := from.Run(ctx, output, opts)
	if rest != nil {
		exe.Events = append(exe.Events, rest.Events...)
		exe.Invocations = append(exe.Invocations, rest.Invocations...)
		exe.Status, exe.Output, exe.Error, exe.Cause, exe.ARN = rest.Status, rest.Output, rest.Error, rest.Cause, rest.ARN
	}
	return exe, err
}

// mapOutput applies the Map's ResultPath and OutputPath to the gathered results.
func mapOutput(p resumePoint, s map[string]any, input any, results []json.RawMessage) (json.RawMessage, error) {
	var arr []any
	for _, r := range results {
		var v any
		if err := json.Unmarshal(r, &v); err != nil {
			return nil, fmt.Errorf("iteration output: %w", err)
		}
		arr = append(arr, v)
	}
	if arr == nil {
		arr = []any{}
	}
	out := input
	rp, present := s["ResultPath"]
	switch {
	case !present:
		out = arr
	case rp == nil: // ResultPath null: the result is discarded
	default:
		path, _ := rp.(string)
		var err error
		if out, err = setPath(input, path, arr); err != nil {
			return nil, err
		}
	}
	if op, ok := s["OutputPath"].(string); ok {
		var err error
		if out, err = getPath(out, op); err != nil {
			return nil, fmt.Errorf("Map state %s: %w", p.state, err)
		}
	}
	return json.Marshal(out)
}

// iterationRun is one rerun iteration.
type iterationRun struct {
	events               []localsfn.Event
	invocations          []localsfn.Invocation
	status, error, cause string
	output               json.RawMessage
	err                  error // the runner itself failed
}

// runIterations runs the iterations todo, at most limit at once (0: no limit), and returns them
// by index with their events shaped as the runner's Map events are: MapIterationStarted, the
// iteration's state events with its index, then MapIterationSucceeded or MapIterationFailed.
func runIterations(ctx context.Context, iteration *localsfn.Machine, mapState string, items []any, todo []int, limit int, opts localsfn.Options) map[int]*iterationRun {
	if limit <= 0 {
		limit = len(todo) + 1
	}
	sem := make(chan struct{}, limit)
	var mu sync.Mutex
	var wg sync.WaitGroup
	out := map[int]*iterationRun{}
	for _, i := range todo {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			r := runIteration(ctx, iteration, mapState, i, items[i], opts)
			mu.Lock()
			out[i] = r
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	return out
}

func runIteration(ctx context.Context, iteration *localsfn.Machine, mapState string, index int, item any, opts localsfn.Options) *iterationRun {
	in, err := json.Marshal(item)
	if err != nil {
		return &iterationRun{err: err}
	}
	parent := &struct {
		Name string `json:"name"`
	}{mapState}
	idx := index
	r := &iterationRun{events: []localsfn.Event{{Type: "MapIterationStarted", Index: &idx, ParentState: parent}}}
	res, err := iteration.Run(ctx, json.RawMessage(in), opts)
	if res != nil {
		for _, ev := range res.Events {
			ev.Index = &idx
			r.events = append(r.events, ev)
		}
		r.invocations = res.Invocations
	}
	if err != nil {
		r.err = err
		return r
	}
	r.status, r.output, r.error, r.cause = res.Status, res.Output, res.Error, res.Cause
	end := localsfn.Event{Type: "MapIterationSucceeded", Index: &idx, ParentState: parent, Output: res.Output}
	if res.Status != "SUCCEEDED" {
		end = localsfn.Event{Type: "MapIterationFailed", Index: &idx, ParentState: parent, Error: res.Error, Cause: res.Cause}
	}
	r.events = append(r.events, end)
	return r
}

func stateEvent(typ, name, stateType string, input, output json.RawMessage) localsfn.Event {
	ev := localsfn.Event{Type: typ}
	ev.State = &struct {
		Name   string          `json:"name"`
		Type   string          `json:"type"`
		Input  json.RawMessage `json:"input,omitempty"`
		Output json.RawMessage `json:"output,omitempty"`
	}{Name: name, Type: stateType, Input: input, Output: output}
	return ev
}
