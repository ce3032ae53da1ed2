package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// IdentityCenterRulesProps say where Identity Center changes go.
type IdentityCenterRulesProps struct {
	Target awsevents.IRuleTarget
}

// CloudTrail event sources of Identity Center's identity store.
const (
	EventSourceConsole = "sso-directory.amazonaws.com"      // the console (and the sso-directory API)
	EventSourceAPI     = "identitystore.amazonaws.com"      // the identity store API
	EventSourceSCIM    = "identitystore-scim.amazonaws.com" // SCIM provisioning from the IdP
)

// IdentityCenterEvents are the CloudTrail events, by event source, that can change who is in an
// Identity Center group or who a user is: exactly the calls functions/internal/ctevent turns into
// a change (its rules.go), so no event the parser handles is filtered out before it.
var IdentityCenterEvents = map[string][]string{
	EventSourceConsole: {"AddMemberToGroup", "RemoveMemberFromGroup", "DeleteUser", "DeleteGroup", "UpdateUser"},
	EventSourceAPI:     {"CreateGroupMembership", "DeleteGroupMembership", "DeleteUser", "DeleteGroup", "UpdateUser"},
	EventSourceSCIM:    {"PatchGroup", "PutGroup", "DeleteGroup", "DeleteUser", "PatchUser", "PutUser"},
}

// cloudTrailDetailType is the detail-type of CloudTrail API call events on EventBridge ("AWS
// service events delivered via AWS CloudTrail" —
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html).
const cloudTrailDetailType = "AWS API Call via CloudTrail"

// NewIdentityCenterRules adds one rule per event source on the default bus (CloudTrail events
// arrive there, in the Identity Center home region only). A rule matches detail.eventSource and
// detail.eventName and not the event's source: AWS documents no source value for sso-directory
// and identitystore-scim events (DESIGN.md, "Identity store / CloudTrail → EventBridge"), and the
// event source names the service exactly. Failed API calls (detail.errorCode present) are
// filtered out by the pattern, so they never start an execution.
func NewIdentityCenterRules(scope constructs.Construct, id string, p IdentityCenterRulesProps) constructs.Construct {
	c := constructs.NewConstruct(scope, jsii.String(id))
	ids := map[string]string{EventSourceConsole: "Console", EventSourceAPI: "IdentityStoreApi", EventSourceSCIM: "Scim"}
	for _, src := range []string{EventSourceConsole, EventSourceAPI, EventSourceSCIM} {
		awsevents.NewRule(c, jsii.String(ids[src]), &awsevents.RuleProps{
			Description: jsii.String("ssoflow: Identity Center membership and user changes from " + src),
			EventPattern: &awsevents.EventPattern{
				DetailType: jsii.Strings(cloudTrailDetailType),
				Detail: &map[string]any{
					"eventSource": []string{src},
					"eventName":   IdentityCenterEvents[src],
					"errorCode":   []any{map[string]any{"exists": false}},
				},
			},
			Targets: &[]awsevents.IRuleTarget{p.Target},
		})
	}
	return c
}
