package sfnemu

import (
	"fmt"
	"strings"

	"github.com/ssoflow/ssoflow/functions/internal/localsfn"
)

// GetExecutionHistory, from the local runner's events: every attempt of the execution in order
// (ExecutionStarted, then ExecutionRedriven for each redrive), each state's
// <Type>StateEntered/<Type>StateExited with its name, input and output, a failed Task as
// LambdaFunctionFailed (a Lambda function ARN as Resource) or TaskFailed (an integration such
// as lambda:invoke) — or the TimedOut variants for States.Timeout —, Map iterations, and the
// attempt's end. Sources: "GetExecutionHistory" and "HistoryEvent", AWS Step Functions API
// Reference, https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html
// and https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html
// (event types, their *EventDetails fields, maxResults ≤ 1000 with nextToken pages,
// reverseOrder). Not reproduced: scheduled/started events of tasks, retries' own events, and
// timestamps of the synthesized events (the attempt's start).

func (e *Emulator) getExecutionHistory(body []byte) (any, *apiError) {
	var in struct {
		ExecutionArn         string `json:"executionArn"`
		MaxResults           int    `json:"maxResults"`
		NextToken            string `json:"nextToken"`
		ReverseOrder         bool   `json:"reverseOrder"`
		IncludeExecutionData *bool  `json:"includeExecutionData"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.MaxResults < 0 || in.MaxResults > 1000 {
		return nil, fail("ValidationException", "1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000", in.MaxResults)
	}
	e.mu.Lock()
	x, apiErr := e.find(in.ExecutionArn)
	if apiErr != nil {
		e.mu.Unlock()
		return nil, apiErr
	}
	m := e.machines[x.StateMachineARN]
	events := historyOf(m.Definition, x, in.IncludeExecutionData == nil || *in.IncludeExecutionData)
	e.mu.Unlock()

	if in.ReverseOrder {
		for i, j := 0, len(events)-1; i < j; i, j = i+1, j-1 {
			events[i], events[j] = events[j], events[i]
		}
	}
	max := in.MaxResults
	if max == 0 {
		max = 100
	}
	from := 0
	if in.NextToken != "" {
		if _, err := fmt.Sscanf(in.NextToken, "history-%d", &from); err != nil || from < 0 || from > len(events) {
			return nil, fail("InvalidToken", "Invalid Token: '%s'", in.NextToken)
		}
	}
	end := min(from+max, len(events))
	out := map[string]any{"events": events[from:end]}
	if end < len(events) {
		out["nextToken"] = fmt.Sprintf("history-%d", end)
	}
	return out, nil
}

// historyOf converts x's attempts into history events, oldest first. Callers hold e.mu.
func historyOf(def *localsfn.Machine, x *execution, data bool) []map[string]any {
	var out []map[string]any
	add := func(ts any, typ string, detailsKey string, details map[string]any) {
		ev := map[string]any{"id": len(out) + 1, "type": typ, "timestamp": ts}
		if len(out) > 0 {
			ev["previousEventId"] = len(out)
		}
		if detailsKey != "" {
			ev[detailsKey] = details
		}
		out = append(out, ev)
	}
	payload := func(b []byte) any {
		if !data {
			return nil
		}
		return string(b)
	}
	for i, a := range x.attempts {
		start := epoch(a.start)
		if i == 0 {
			add(start, "ExecutionStarted", "executionStartedEventDetails", map[string]any{"input": payload([]byte(x.Input)), "inputDetails": map[string]any{"truncated": false}})
		} else {
			add(start, "ExecutionRedriven", "executionRedrivenEventDetails", map[string]any{"redriveCount": i})
		}
		for _, ev := range a.events {
			ts := any(float64(ev.Timestamp) / 1000)
			if ev.Timestamp == 0 {
				ts = start
			}
			switch ev.Type {
			case "StateEntered":
				add(ts, ev.State.Type+"StateEntered", "stateEnteredEventDetails", map[string]any{"name": ev.State.Name, "input": payload(ev.State.Input)})
			case "StateExited":
				add(ts, ev.State.Type+"StateExited", "stateExitedEventDetails", map[string]any{"name": ev.State.Name, "output": payload(ev.State.Output)})
			case "StateFailed":
				if ev.State.Type != "Task" {
					continue // other states' failures show in the execution's end
				}
				typ, key := "TaskFailed", "taskFailedEventDetails"
				if def != nil && def.DirectLambda(ev.State.Name) {
					typ, key = "LambdaFunctionFailed", "lambdaFunctionFailedEventDetails"
				}
				if ev.Error == "States.Timeout" {
					typ, key = strings.Replace(typ, "Failed", "TimedOut", 1), strings.Replace(key, "Failed", "TimedOut", 1)
				}
				add(ts, typ, key, map[string]any{"error": ev.Error, "cause": ev.Cause})
			case "MapIterationStarted", "MapIterationSucceeded", "MapIterationFailed", "MapIterationAborted":
				name := ""
				if ev.ParentState != nil {
					name = ev.ParentState.Name
				}
				idx := 0
				if ev.Index != nil {
					idx = *ev.Index
				}
				key := "mapIteration" + strings.TrimPrefix(ev.Type, "MapIteration") + "EventDetails"
				add(ts, ev.Type, key, map[string]any{"name": name, "index": idx})
			}
		}
		stop := epoch(a.stop)
		switch a.status {
		case "SUCCEEDED":
			add(stop, "ExecutionSucceeded", "executionSucceededEventDetails", map[string]any{"output": payload([]byte(a.output)), "outputDetails": map[string]any{"truncated": false}})
		case "FAILED":
			add(stop, "ExecutionFailed", "executionFailedEventDetails", map[string]any{"error": a.error, "cause": a.cause})
		case "ABORTED":
			add(stop, "ExecutionAborted", "executionAbortedEventDetails", map[string]any{"error": a.error, "cause": a.cause})
		case "TIMED_OUT":
			add(stop, "ExecutionTimedOut", "executionTimedOutEventDetails", map[string]any{"error": a.error, "cause": a.cause})
		}
	}
	return out
}
