// Package notify turns a failed execution into a message a person can act on: a subject that
// says what failed for whom, and a body with the error, what to do about it, the execution, a
// console link, the exact replay command and the source event.
package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"unicode"

	"github.com/ssoflow/ssoflow/functions/internal/execution"
)

// Message is one notification.
type Message struct {
	Subject string
	Body    string
}

// input is the part of the failed step's input the message needs.
type input struct {
	ID         string          `json:"id"`
	Source     string          `json:"source"`
	DetailType string          `json:"detail-type"`
	Region     string          `json:"region"`
	Detail     json.RawMessage `json:"detail"`
	Plan       *struct {
		Kind string `json:"kind"`
		Push *struct {
			UserName    string `json:"userName"`
			TargetGroup string `json:"targetGroup"`
			Member      bool   `json:"member"`
		} `json:"push"`
		Summary string `json:"summary"`
	} `json:"plan"`
	grantInput
}

// SubjectLimit is SNS's: subjects must be shorter than 100 ASCII characters.
const SubjectLimit = 99

// Compose writes the message for f.
func Compose(f execution.Failure) (Message, error) {
	var in input
	if len(f.Input) > 0 {
		if err := json.Unmarshal(f.Input, &in); err != nil {
			return Message{}, fmt.Errorf("decode the failed step's input: %w", err)
		}
	}
	what := describe(in, f.StateMachineArn)
	subject := Subject("ssoflow: could not " + what)
	region := regionOf(f.ExecutionArn, in.Region)

	var b strings.Builder
	fmt.Fprintf(&b, "ssoflow could not %s.\n\n", what)
	switch f.Status {
	case "TIMED_OUT":
		fmt.Fprintf(&b, "Error\n  the execution timed out%s\n\n", at(f.State))
	case "ABORTED":
		fmt.Fprintf(&b, "Error\n  the execution was stopped%s%s\n\n", at(f.State), by(f))
	default:
		fmt.Fprintf(&b, "Error\n  %s: %s\n\n", orUnknown(f.Error), orUnknown(cause(f.Cause)))
		if f.State != "" {
			fmt.Fprintf(&b, "Step\n  %s\n\n", f.State)
		}
	}
	fmt.Fprintf(&b, "What to do\n  %s\n\n", advice(f, in))
	if in.GrantID != "" {
		b.WriteString(in.grantInput.request())
	}
	replay := fmt.Sprintf("ssoflow replay --state-machine %s --execution %s", f.StateMachineArn, f.ExecutionName)
	switch execution.ReplayOf(f) {
	case execution.ReplayNone:
		b.WriteString("Replay\n  Replaying cannot fix this: the change itself is invalid. Once the source is fixed, the next\n  event or the scheduled reconcile applies it.\n\n")
	case execution.ReplayAnew:
		fmt.Fprintf(&b, "Replay (after fixing the cause; it starts the execution anew with its input, because a\nredrive would end at the same %s step again)\n  %s\n\n", f.State, replay)
	default:
		fmt.Fprintf(&b, "Replay (after fixing the cause; it redrives the execution from the step that failed)\n  %s\n\n", replay)
	}
	fmt.Fprintf(&b, "Execution\n  %s\n  %s\n\n", f.ExecutionArn, consoleLink(region, f.ExecutionArn))
	if len(f.Input) > 0 {
		fmt.Fprintf(&b, "Source event\n%s\n", indent(sourceEvent(f.Input)))
	}
	return Message{Subject: subject, Body: b.String()}, nil
}

func at(state string) string {
	if state == "" {
		return ""
	}
	return " at step " + state
}

func by(f execution.Failure) string {
	if f.Cause == "" {
		return ""
	}
	return " (" + f.Cause + ")"
}

// describe says what the execution was doing, for whom, from the most specific thing known.
func describe(in input, stateMachineArn string) string {
	if g := in.grantInput; g.GrantID != "" && g.User != "" {
		return g.describe()
	}
	if in.Plan != nil && in.Plan.Push != nil && in.Plan.Push.UserName != "" {
		if in.Plan.Push.Member {
			return fmt.Sprintf("add %s to %s", in.Plan.Push.UserName, in.Plan.Push.TargetGroup)
		}
		return fmt.Sprintf("remove %s from %s", in.Plan.Push.UserName, in.Plan.Push.TargetGroup)
	}
	if in.Plan != nil && in.Plan.Kind == "database" && in.Plan.Summary != "" {
		return "update database users for " + in.Plan.Summary
	}
	switch {
	case in.Source == "ssoflow.reconcile" && in.DetailType == "Reconcile Databases":
		return "reconcile the databases with Identity Center"
	case in.Source == "ssoflow.reconcile":
		return "reconcile Identity Center with Okta"
	case in.Source == "ssoflow.okta" || strings.HasPrefix(in.Source, "aws.partner/okta.com"):
		var d struct {
			EventType string `json:"eventType"`
			UserLogin string `json:"userLogin"`
			UserID    string `json:"userId"`
			GroupName string `json:"groupName"`
			GroupID   string `json:"groupId"`
		}
		_ = json.Unmarshal(in.Detail, &d)
		user, group := first(d.UserLogin, d.UserID, "a user"), first(d.GroupName, d.GroupID, "a group")
		if strings.HasSuffix(d.EventType, ".remove") {
			return fmt.Sprintf("apply Okta's removal of %s from %s", user, group)
		}
		return fmt.Sprintf("apply Okta's addition of %s to %s", user, group)
	case in.DetailType == "AWS API Call via CloudTrail":
		var d struct {
			EventName         string `json:"eventName"`
			RequestParameters struct {
				GroupID  string `json:"groupId"`
				ID       string `json:"id"`
				MemberID struct {
					UserID string `json:"userId"`
				} `json:"memberId"`
				Member struct {
					MemberID string `json:"memberId"`
				} `json:"member"`
				UserID string `json:"userId"`
			} `json:"requestParameters"`
		}
		_ = json.Unmarshal(in.Detail, &d)
		rp := d.RequestParameters
		parts := []string{}
		if u := first(rp.Member.MemberID, rp.MemberID.UserID, rp.UserID); u != "" {
			parts = append(parts, "user "+u)
		}
		if g := first(rp.GroupID, rp.ID); g != "" {
			parts = append(parts, "group "+g)
		}
		if len(parts) == 0 {
			return fmt.Sprintf("apply Identity Center change %s", d.EventName)
		}
		return fmt.Sprintf("apply Identity Center change %s (%s)", d.EventName, strings.Join(parts, ", "))
	}
	if strings.HasSuffix(stateMachineArn, "-reconcile") {
		return "reconcile Identity Center with Okta"
	}
	if in.ID != "" {
		return "process event " + in.ID
	}
	return "process an event"
}

func advice(f execution.Failure, in input) string {
	switch f.Status {
	case "TIMED_OUT":
		return "The execution ran past its time limit. Check ssoflow's logs for the step that was running, then replay."
	case "ABORTED":
		return "Someone or something stopped the execution. If that was not intended, replay it."
	}
	if a := in.grantInput.advice(f.Error); a != "" {
		return a
	}
	switch f.Error {
	case "NotProvisionedError":
		return "The user is not in IAM Identity Center yet, and ssoflow waited for it. Check that Okta's\n  AWS IAM Identity Center app assigns and pushes this user, then replay."
	case "RetryableError", "States.Timeout", "Lambda.TooManyRequestsException", "Lambda.ServiceException":
		return "A service kept failing or throttling through every retry. Check the service's health and\n  ssoflow's logs for this execution, then replay."
	case "InvalidInputError":
		return "The change can never succeed as it is (for example a user name that is not a safe\n  database identifier, or a malformed event). Fix it at the source (Okta or Identity Center)."
	case "ReconcileRefused":
		return "The reconcile refused to remove more than its configured share of a group's members\n  (an outage that returns empty groups must not empty Identity Center). Check the groups it\n  names in Okta; if the removals are right, run `ssoflow reconcile --force`."
	case "ReconcileFailed":
		return "Some groups could not be reconciled (the message names them); the others were. Check\n  ssoflow's logs for this execution, then replay, or wait for the next scheduled run."
	case "States.DataLimitExceeded":
		return "A step's data grew past Step Functions' 256 KiB limit. Check that the plan bucket is deployed\n  (it takes large plans by reference), then replay."
	case "ConfigError":
		return "ssoflow's configuration or one of its secrets is wrong or missing (the message names it).\n  Fix cdk.json or the secret, deploy, then replay."
	}
	return "Read the error and ssoflow's logs for this execution, fix the cause, then replay."
}

// Subject makes s a valid SNS subject: ASCII printable only, shorter than 100 characters.
func Subject(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case r > unicode.MaxASCII || !unicode.IsPrint(r):
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
	}
	out := b.String()
	if len(out) > SubjectLimit {
		out = out[:SubjectLimit-3] + "..."
	}
	return out
}

func consoleLink(region, executionArn string) string {
	if region == "" {
		region = "us-east-1"
	}
	return fmt.Sprintf("https://%s.console.aws.amazon.com/states/home?region=%s#/v2/executions/details/%s", region, region, url.PathEscape(executionArn))
}

// regionOf reads the region from an execution ARN, else from the event.
func regionOf(arn, fallback string) string {
	if parts := strings.Split(arn, ":"); len(parts) > 3 && parts[3] != "" {
		return parts[3]
	}
	return fallback
}

// sourceEvent is the state input without the caught error and internal fields, pretty-printed.
func sourceEvent(raw json.RawMessage) string {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return string(raw)
	}
	for _, k := range []string{"error", "plan", "result", "outcome", "op", "others", "grant"} {
		delete(m, k)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return string(raw)
	}
	return strings.TrimRight(buf.String(), "\n")
}

// cause unwraps a Lambda error cause ({"errorMessage":…,"errorType":…}) to its message.
func cause(c string) string {
	var le struct {
		ErrorMessage string `json:"errorMessage"`
	}
	if json.Unmarshal([]byte(c), &le) == nil && le.ErrorMessage != "" {
		return le.ErrorMessage
	}
	return c
}

func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}
