// Package grant is just-in-time access: a time-bound permission-set assignment (user, account,
// permission set) or group membership, granted by statemachines/grant.asl.json and revoked by it
// when the grant ends. The running executions of that state machine are the record of active
// grants (no database): an execution's name is its grant id and its input the Request.
//
// Three failures of other tools are designed out: success is announced only after Identity
// Center reports the asynchronous assignment SUCCEEDED (FAILED ends the execution FAILED through
// the notification path); access is removed at the end of a grant only when no other active
// grant needs the same access and it did not exist before the grant; and `ssoflow revoke` stops
// the waiting execution before it removes the access, so no timer is left running.
//
// Validate refuses a request that can never succeed before anything is created: the end in the
// past or beyond the maximum, an unknown user, group or permission set, and an account that is
// not an ACTIVE member of the organization (AWS Organizations DescribeAccount: not found,
// SUSPENDED, PENDING_CLOSURE, ...). When ssoflow cannot read Organizations (AccessDenied, as in a
// delegated administrator account without Organizations read access, or Organizations not in
// use) the account check is skipped with a warning logged once, and the assignment's own status
// catches a bad account: Identity Center reports it FAILED, which fails the grant.
package grant

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Kinds of access.
const (
	KindAssignment = "assignment" // a permission set on an account
	KindMembership = "membership" // an identity store group membership
)

// Modes of an execution.
const (
	ModeGrant  = "grant"
	ModeRevoke = "revoke"
)

// RevokeSuffix is appended to a grant id to name the execution that revokes it early.
const RevokeSuffix = "-revoke"

// Request is the grant state machine's input, as `ssoflow grant` starts it.
type Request struct {
	GrantID       string `json:"grantId"`
	Kind          string `json:"kind"`
	User          string `json:"user"` // identity store user name
	AccountID     string `json:"accountId,omitempty"`
	PermissionSet string `json:"permissionSet,omitempty"` // permission set name
	Group         string `json:"group,omitempty"`         // identity store group display name
	End           string `json:"end"`                     // RFC 3339, UTC
	Reason        string `json:"reason"`
	RequestedBy   string `json:"requestedBy,omitempty"`
	// Mode is empty or "grant" for a grant, "revoke" for the execution ssoflow revoke starts.
	Mode string `json:"mode,omitempty"`
}

var (
	reAccount = regexp.MustCompile(`^\d{12}$`)
	reGrantID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,73}$`) // + "-revoke" ≤ 80, Step Functions' limit
)

// EndTime parses End.
func (r Request) EndTime() (time.Time, error) {
	t, err := time.Parse(time.RFC3339, r.End)
	if err != nil {
		return time.Time{}, fmt.Errorf("end %q is not an RFC 3339 time: %w", r.End, err)
	}
	return t.UTC(), nil
}

// Check validates the request's shape and, for a grant, its times: the end in the future and
// at most max after now. It needs no AWS call, so the CLI runs it before starting anything.
func (r Request) Check(now time.Time, max time.Duration) error {
	var problems []string
	if !reGrantID.MatchString(r.GrantID) {
		problems = append(problems, fmt.Sprintf("grant id %q must be 1-73 letters, digits, - or _", r.GrantID))
	}
	if strings.TrimSpace(r.User) == "" {
		problems = append(problems, "a user is required")
	}
	switch r.Kind {
	case KindAssignment:
		if !reAccount.MatchString(r.AccountID) {
			problems = append(problems, fmt.Sprintf("account %q must be a 12-digit AWS account id", r.AccountID))
		}
		if strings.TrimSpace(r.PermissionSet) == "" {
			problems = append(problems, "a permission set is required with an account")
		}
		if r.Group != "" {
			problems = append(problems, "give either a group or an account and permission set, not both")
		}
	case KindMembership:
		if strings.TrimSpace(r.Group) == "" {
			problems = append(problems, "a group is required")
		}
		if r.AccountID != "" || r.PermissionSet != "" {
			problems = append(problems, "give either a group or an account and permission set, not both")
		}
	default:
		problems = append(problems, fmt.Sprintf("kind %q must be %s or %s", r.Kind, KindAssignment, KindMembership))
	}
	if r.Mode != "" && r.Mode != ModeGrant && r.Mode != ModeRevoke {
		problems = append(problems, fmt.Sprintf("mode %q must be %s or %s", r.Mode, ModeGrant, ModeRevoke))
	}
	end, err := r.EndTime()
	if err != nil {
		problems = append(problems, err.Error())
	} else if r.Mode != ModeRevoke {
		if !end.After(now) {
			problems = append(problems, fmt.Sprintf("the grant ends at %s, which is not in the future", end.Format(time.RFC3339)))
		} else if d := end.Sub(now); d > max {
			problems = append(problems, fmt.Sprintf("the grant lasts %s, more than the maximum of %s", d.Round(time.Minute), max))
		}
	}
	if r.Mode != ModeRevoke && strings.TrimSpace(r.Reason) == "" {
		problems = append(problems, "a reason is required")
	}
	if len(problems) > 0 {
		return fmt.Errorf("invalid grant request: %s", strings.Join(problems, "; "))
	}
	return nil
}

// Access is the access the request is about, normalized, so two requests for the same access
// compare equal: the key "other active grants needing the same access" is computed on.
func (r Request) Access() string {
	user := strings.ToLower(strings.TrimSpace(r.User))
	if r.Kind == KindMembership {
		return "membership|" + user + "|" + strings.TrimSpace(r.Group)
	}
	return "assignment|" + user + "|" + r.AccountID + "|" + strings.TrimSpace(r.PermissionSet)
}

// What says what the access is, for people: "ReadOnly on 111122223333" or "group AWS_Admins".
func (r Request) What() string {
	if r.Kind == KindMembership {
		return "group " + r.Group
	}
	return r.PermissionSet + " on " + r.AccountID
}

// ID is the deterministic grant id of a request: the same user, access, end and reason give the
// same id, so a repeated request names the same execution and starts nothing twice.
func ID(r Request) string {
	r.GrantID, r.Mode, r.RequestedBy = "", "", ""
	h := sha256.Sum256([]byte(strings.Join([]string{r.Access(), r.End, r.Reason}, "\x00")))
	return "jit-" + hex.EncodeToString(h[:10])
}

// NewRequest builds the request `ssoflow grant` starts: the end is now+d rounded up to the
// minute (so a request repeated within the minute is identical), the id derived when not given.
func NewRequest(user, account, permissionSet, group string, d time.Duration, reason, requestedBy, id string, now time.Time) Request {
	r := Request{User: strings.TrimSpace(user), AccountID: account, PermissionSet: permissionSet, Group: group,
		Reason: reason, RequestedBy: requestedBy, Kind: KindAssignment}
	if group != "" {
		r.Kind = KindMembership
	}
	end := now.UTC().Add(d)
	if t := end.Truncate(time.Minute); !t.Equal(end) {
		end = t.Add(time.Minute)
	}
	r.End = end.Format(time.RFC3339)
	r.GrantID = id
	if r.GrantID == "" {
		r.GrantID = ID(r)
	}
	return r
}

// Revocation is the request of the execution that revokes grant r now.
func (r Request) Revocation(by string) Request {
	r.Mode = ModeRevoke
	if by != "" {
		r.RequestedBy = by
	}
	return r
}
