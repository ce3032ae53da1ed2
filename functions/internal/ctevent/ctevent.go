// Package ctevent turns an IAM Identity Center CloudTrail record, as EventBridge delivers it
// (detail-type "AWS API Call via CloudTrail"), into a Change: which user and/or group must be
// re-read. The event is a trigger, not the truth: request bodies may be masked and some calls
// (DeleteGroupMembership) do not name the user or group at all, so a Change only says what to
// read; the planner reads the identity store's current state.
package ctevent

import (
	"encoding/json"
	"fmt"
	"regexp"

	"github.com/ssoflow/ssoflow/functions/internal/errs"
)

// DetailType is the EventBridge detail-type of CloudTrail API call events.
const DetailType = "AWS API Call via CloudTrail"

// CloudTrail event sources of Identity Center's identity store.
const (
	SourceConsole = "sso-directory.amazonaws.com"      // the console (and sso-directory API)
	SourceAPI     = "identitystore.amazonaws.com"      // the identity store API
	SourceSCIM    = "identitystore-scim.amazonaws.com" // the IdP's SCIM provisioning
)

// Change kinds.
const (
	KindUserGroup = "user-group" // one user's membership of one group changed
	KindGroup     = "group"      // a group's membership changed: re-read the whole group
	KindUser      = "user"       // a user changed or was deleted: re-read the user
	KindAllGroups = "all-groups" // something changed that the event does not identify
	KindIgnore    = "ignore"     // nothing to do; Reason says why
)

// Change is what one event asks the pipeline to re-read.
type Change struct {
	Kind            string `json:"kind"`
	UserID          string `json:"userId,omitempty"`
	GroupID         string `json:"groupId,omitempty"`
	Deleted         bool   `json:"deleted,omitempty"` // the user (Kind user) or group (Kind group) was deleted
	IdentityStoreID string `json:"identityStoreId,omitempty"`
	EventSource     string `json:"eventSource,omitempty"`
	EventName       string `json:"eventName,omitempty"`
	EventID         string `json:"eventId,omitempty"` // CloudTrail's eventID, for deduplication
	Reason          string `json:"reason,omitempty"`
}

// envelope is the part of the EventBridge event this package reads.
type envelope struct {
	ID         string  `json:"id"`
	DetailType string  `json:"detail-type"`
	Detail     *detail `json:"detail"`
}

type detail struct {
	EventSource       string          `json:"eventSource"`
	EventName         string          `json:"eventName"`
	EventID           string          `json:"eventID"`
	ErrorCode         string          `json:"errorCode"`
	ErrorMessage      string          `json:"errorMessage"`
	RequestParameters json.RawMessage `json:"requestParameters"`
}

// params holds the identifiers the three sources put in requestParameters. Masked values
// ("HIDDEN_DUE_TO_SECURITY_REASONS") and bodies are never read.
type params struct {
	IdentityStoreID string `json:"identityStoreId"`
	GroupID         string `json:"groupId"`
	UserID          string `json:"userId"`
	MembershipID    string `json:"membershipId"`
	ID              string `json:"id"` // SCIM: the resource id of the request path
	// Console: "member": {"memberId": "<user id>"}; API: "memberId": {"userId": "<user id>"}.
	Member *struct {
		MemberID string `json:"memberId"`
	} `json:"member"`
	MemberID json.RawMessage `json:"memberId"`
}

// idPattern accepts identity store resource ids (uuids, optionally prefixed by 10 hex digits)
// and store ids (d-xxxxxxxxxx) while rejecting anything that could not be one.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,67}$`)

// Parse reads one EventBridge event. Events that are not Identity Center membership or user
// changes, and failed calls (detail.errorCode), give a Change of Kind KindIgnore with a
// Reason. Malformed JSON and identifiers that cannot be ids give an *errs.InvalidInputError.
func Parse(data []byte) (Change, error) {
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return Change{}, errs.Invalid("cloudtrail event: malformed JSON: %v", err)
	}
	if env.DetailType != DetailType {
		return ignore(Change{}, fmt.Sprintf("detail-type %q is not %q", env.DetailType, DetailType)), nil
	}
	if env.Detail == nil {
		return Change{}, errs.Invalid("cloudtrail event %s: no detail", env.ID)
	}
	d := env.Detail
	c := Change{EventSource: d.EventSource, EventName: d.EventName, EventID: d.EventID}
	if c.EventID == "" {
		c.EventID = env.ID
	}
	if d.ErrorCode != "" {
		return ignore(c, fmt.Sprintf("the call failed (%s)", d.ErrorCode)), nil
	}
	rule, ok := rules[d.EventSource+" "+d.EventName]
	if !ok {
		return ignore(c, fmt.Sprintf("%s %s does not change group membership", d.EventSource, d.EventName)), nil
	}
	p, err := readParams(d.RequestParameters)
	if err != nil {
		return Change{}, errs.Invalid("cloudtrail event %s (%s): requestParameters: %v", c.EventID, d.EventName, err)
	}
	c.IdentityStoreID = p.IdentityStoreID
	c = rule(c, p)
	for _, id := range []string{c.UserID, c.GroupID, c.IdentityStoreID} {
		if id != "" && !idPattern.MatchString(id) {
			return Change{}, errs.Invalid("cloudtrail event %s (%s): %q is not an identity store id", c.EventID, d.EventName, id)
		}
	}
	return c, nil
}

func readParams(raw json.RawMessage) (params, error) {
	var p params
	if len(raw) == 0 || string(raw) == "null" {
		return p, nil
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return p, err
	}
	return p, nil
}

// apiMemberUserID reads the API's memberId union ({"userId": "…"}); it ignores other shapes.
func (p params) apiMemberUserID() string {
	var m struct {
		UserID string `json:"userId"`
	}
	if len(p.MemberID) == 0 || json.Unmarshal(p.MemberID, &m) != nil {
		return ""
	}
	return m.UserID
}

func ignore(c Change, reason string) Change {
	c.Kind, c.Reason = KindIgnore, reason
	c.UserID, c.GroupID, c.Deleted = "", "", false
	return c
}
