// Package ssoflow holds the domain types that travel between ssoflow's functions and through
// its state machines. The packages for outside systems (okta, scim, identitystore, dbuser, …)
// do not know about each other; they meet here.
package ssoflow

import "time"

// Event bus contract of the Okta hook: what it puts on the ssoflow bus, one entry per
// membership event, and what the EventBridge rule matches.
const (
	EventSourceOkta          = "ssoflow.okta"
	DetailTypeOktaMembership = "Okta Group Membership Changed"
)

// The scheduled database reconcile: the rule puts this constant event into the provision state
// machine, which re-reads every mapped group and converges every database to it.
const (
	EventSourceReconcile         = "ssoflow.reconcile"
	DetailTypeReconcileDatabases = "Reconcile Databases"
)

// Okta membership event types.
const (
	OktaMembershipAdd    = "group.user_membership.add"
	OktaMembershipRemove = "group.user_membership.remove"
)

// OktaMembershipEvent is the detail of one Okta membership event on the ssoflow bus. It is a
// trigger, not the truth: the resolve step reads Okta's current state for the pair.
type OktaMembershipEvent struct {
	EventID   string    `json:"eventId"`   // Okta's data.events[].uuid, for deduplication
	EventType string    `json:"eventType"` // OktaMembershipAdd or OktaMembershipRemove
	Published time.Time `json:"published"`
	UserID    string    `json:"userId"`
	UserLogin string    `json:"userLogin,omitempty"`
	GroupID   string    `json:"groupId"`
	GroupName string    `json:"groupName,omitempty"`
}

// GroupPush is the resolved Okta → Identity Center work for one (user, group) pair: the
// membership Okta has now, and the Identity Center group it maps to.
type GroupPush struct {
	OktaUserID   string `json:"oktaUserId"`
	UserName     string `json:"userName"` // the Okta login, which is the Identity Center userName
	OktaGroupID  string `json:"oktaGroupId"`
	OktaGroup    string `json:"oktaGroup"`
	TargetGroup  string `json:"targetGroup"`             // Identity Center group displayName
	TargetID     string `json:"targetGroupId,omitempty"` // Identity Center group id, when mapped explicitly
	Member       bool   `json:"member"`                  // true: must be a member; false: must not be
	ObservedFrom string `json:"observedFrom,omitempty"`  // the event id that triggered the read
}

// PushResult says what the SCIM step did.
type PushResult struct {
	GroupPush
	Action string `json:"action"` // "added", "removed" or "unchanged"
}

// Step Functions' contract with the failure notifications: the detail-type of the status change
// events EventBridge delivers to the notify function, the statuses that are failures, and the
// error ssoflow revoke stops a grant's execution with (an ABORTED execution that is no failure).
const (
	DetailTypeExecutionStatusChange = "Step Functions Execution Status Change"
	EventSourceStepFunctions        = "aws.states"
	ErrorRevoked                    = "ssoflow.Revoked"
)

// FailedStatuses are the execution statuses a person is told about.
var FailedStatuses = []string{"FAILED", "TIMED_OUT", "ABORTED"}
