package sfnemu

import (
	"encoding/json"
	"fmt"
	"time"
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
	detail := e.described(x, func(t time.Time) any { return t.UnixMilli() })
	for _, k := range []string{"stopDate", "output", "outputDetails", "error", "cause", "redriveDate", "redriveStatusReason"} {
		if _, ok := detail[k]; !ok {
			detail[k] = nil // the event names every field, null where DescribeExecution leaves it out
		}
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
