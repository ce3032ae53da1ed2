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
)

// Failure is what the state machines' Notify state passes: the state input at the Catch (the
// source event, with the plan when Resolve got that far and the caught error), and the
// execution's identity from the context object.
type Failure struct {
	Input           json.RawMessage `json:"input"`
	ExecutionArn    string          `json:"executionArn"`
	ExecutionName   string          `json:"executionName"`
	StateMachineArn string          `json:"stateMachineArn"`
}

// Message is one notification.
type Message struct {
	Subject string
	Body    string
}

// input is the part of the state input the message needs.
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
	Error struct {
		Error string `json:"Error"`
		Cause string `json:"Cause"`
	} `json:"error"`
}

// SubjectLimit is SNS's: subjects must be shorter than 100 ASCII characters.
const SubjectLimit = 99

// Compose writes the message for f.
func Compose(f Failure) (Message, error) {
	var in input
	if err := json.Unmarshal(f.Input, &in); err != nil {
		return Message{}, fmt.Errorf("decode failed execution input: %w", err)
	}
	what := describe(in)
	subject := Subject("ssoflow: could not " + what)
	region := regionOf(f.ExecutionArn, in.Region)

	var b strings.Builder
	fmt.Fprintf(&b, "ssoflow could not %s.\n\n", what)
	fmt.Fprintf(&b, "Error\n  %s: %s\n\n", orUnknown(in.Error.Error), orUnknown(cause(in.Error.Cause)))
	fmt.Fprintf(&b, "What to do\n  %s\n\n", advice(in.Error.Error))
	fmt.Fprintf(&b, "Replay (after fixing the cause; it redrives the execution from the step that failed)\n  ssoflow replay --state-machine %s --execution %s\n\n", f.StateMachineArn, f.ExecutionName)
	fmt.Fprintf(&b, "Execution\n  %s\n  %s\n\n", f.ExecutionArn, consoleLink(region, f.ExecutionArn))
	fmt.Fprintf(&b, "Source event\n%s\n", indent(sourceEvent(f.Input)))
	return Message{Subject: subject, Body: b.String()}, nil
}

// describe says what the execution was doing, for whom, from the most specific thing known.
func describe(in input) string {
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
	if in.ID != "" {
		return "process event " + in.ID
	}
	return "process an event"
}

func advice(errorName string) string {
	switch errorName {
	case "NotProvisionedError":
		return "The user is not in IAM Identity Center yet, and ssoflow waited for it. Check that Okta's\n  AWS IAM Identity Center app assigns and pushes this user, then replay."
	case "RetryableError", "States.Timeout", "Lambda.TooManyRequestsException", "Lambda.ServiceException":
		return "A service kept failing or throttling through every retry. Check the service's health and\n  ssoflow's logs for this execution, then replay."
	case "InvalidInputError":
		return "The change can never succeed as it is (for example a user name that is not a safe\n  database identifier, or a malformed event). Fix the source, then replay."
	case "ReconcileRefused":
		return "The reconcile refused to remove more than its configured share of a group's members\n  (an outage that returns empty groups must not empty Identity Center). Check the groups it\n  names in Okta; if the removals are right, run `ssoflow reconcile --force`, or replay."
	case "ReconcileFailed":
		return "Some groups could not be reconciled (the message names them); the others were. Check\n  ssoflow's logs for this execution, then replay, or wait for the next scheduled run."
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
	delete(m, "error")
	delete(m, "plan")
	delete(m, "result")
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
