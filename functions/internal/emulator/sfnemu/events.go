package sfnemu

import (
	"encoding/json"
	"fmt"
)

// The "Step Functions Execution Status Change" event EventBridge receives from Step Functions
// for every status change of a Standard workflow's execution: source "aws.states", the execution
// ARN in resources, and in detail the execution as DescribeExecution describes it, with input
// and output as strings and dates in epoch milliseconds. Source: "Step Functions events in
// EventBridge" (Execution status change), AWS Step Functions Developer Guide,
// https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html

// StatusChangeDetailType is the event's detail-type.
const StatusChangeDetailType = "Step Functions Execution Status Change"

// statusChanged hands the event for x's current status to OnStatusChange.
func (e *Emulator) statusChanged(x *execution) {
	e.mu.Lock()
	hook := e.OnStatusChange
	if hook == nil {
		e.mu.Unlock()
		return
	}
	ev := e.statusEvent(x)
	e.mu.Unlock()
	hook(ev)
}

// statusEvent builds the event for x. Callers hold e.mu.
func (e *Emulator) statusEvent(x *execution) []byte {
	e.seq++
	ms := func(t interface{ UnixMilli() int64 }) any { return t.UnixMilli() }
	detail := map[string]any{
		"executionArn": x.ARN, "stateMachineArn": x.StateMachineARN, "name": x.Name, "status": x.Status,
		"startDate": ms(x.Start), "stopDate": nil, "input": x.Input, "output": nil,
		"inputDetails": map[string]any{"included": true}, "outputDetails": nil,
		"error": nil, "cause": nil, "redriveCount": x.RedriveCount, "redriveDate": nil,
		"redriveStatus": "REDRIVABLE", "redriveStatusReason": nil,
	}
	if !x.Stop.IsZero() {
		detail["stopDate"] = ms(x.Stop)
	}
	if x.Status == "SUCCEEDED" {
		detail["output"], detail["outputDetails"] = x.Output, map[string]any{"included": true}
	}
	if x.Error != "" || x.Cause != "" {
		detail["error"], detail["cause"] = x.Error, x.Cause
	}
	if x.RedriveCount > 0 {
		detail["redriveDate"] = ms(x.RedriveDate)
	}
	if reason := e.notRedrivable(x); reason != "" {
		detail["redriveStatus"], detail["redriveStatusReason"] = "NOT_REDRIVABLE", reason
	}
	account, region := e.Account, e.Region
	if account == "" {
		account = "000000000000"
	}
	if region == "" {
		region = "us-east-1"
	}
	b, _ := json.Marshal(map[string]any{
		"version": "0", "id": fmt.Sprintf("sfnemu-%08d", e.seq), "detail-type": StatusChangeDetailType,
		"source": "aws.states", "account": account, "time": e.now().Format("2006-01-02T15:04:05Z"),
		"region": region, "resources": []string{x.ARN}, "detail": detail,
	})
	return b
}
