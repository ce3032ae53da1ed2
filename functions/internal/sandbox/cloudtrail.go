package sandbox

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"time"
)

var ctSeq atomic.Int64

// CloudTrailEvent returns the EventBridge event for an Identity Center API call recorded by
// CloudTrail, shaped like shared/fixtures: eventSource such as "sso-directory.amazonaws.com",
// the call's requestParameters, and errorCode for a call that failed ("" for success).
func CloudTrailEvent(eventSource, eventName string, params map[string]any, errorCode string) json.RawMessage {
	n := ctSeq.Add(1)
	now := time.Now().UTC().Format(time.RFC3339)
	detail := map[string]any{
		"eventVersion": "1.08", "eventTime": now, "eventSource": eventSource, "eventName": eventName,
		"awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.10", "userAgent": "ssoflow-sandbox",
		"userIdentity":      map[string]any{"type": "AssumedRole", "principalId": "AROAEXAMPLEID:it-admin", "accountId": Account},
		"requestParameters": params, "responseElements": nil,
		"requestID": fmt.Sprintf("req-%d", n), "eventID": fmt.Sprintf("ct-%06d", n),
		"readOnly": false, "eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": Account,
	}
	if errorCode != "" {
		detail["errorCode"], detail["errorMessage"] = errorCode, "the call failed"
	}
	b, _ := json.Marshal(map[string]any{
		"version": "0", "id": fmt.Sprintf("ev-%06d", n), "detail-type": "AWS API Call via CloudTrail",
		"source": "aws." + strings.TrimSuffix(eventSource, ".amazonaws.com"), "account": Account, "time": now,
		"region": "us-east-1", "resources": []string{}, "detail": detail,
	})
	return b
}
