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

// IdentityCenterEvents are the CloudTrail events, by event source, that can change who is in an
// Identity Center group: console changes, identity store API calls, and SCIM pushes from the IdP.
var IdentityCenterEvents = map[string][]string{
	"sso-directory.amazonaws.com":      {"AddMemberToGroup", "RemoveMemberFromGroup", "DeleteUser"},
	"identitystore.amazonaws.com":      {"CreateGroupMembership", "DeleteGroupMembership", "DeleteUser"},
	"identitystore-scim.amazonaws.com": {"PatchGroup", "DeleteUser"},
}

// NewIdentityCenterRules adds one rule per event source on the default bus (CloudTrail events
// arrive there, in the Identity Center home region only). Failed API calls (detail.errorCode
// present) are filtered out by the pattern, so they never start an execution.
func NewIdentityCenterRules(scope constructs.Construct, id string, p IdentityCenterRulesProps) constructs.Construct {
	c := constructs.NewConstruct(scope, jsii.String(id))
	ids := map[string]string{
		"sso-directory.amazonaws.com":      "Console",
		"identitystore.amazonaws.com":      "IdentityStoreApi",
		"identitystore-scim.amazonaws.com": "Scim",
	}
	for _, src := range []string{"sso-directory.amazonaws.com", "identitystore.amazonaws.com", "identitystore-scim.amazonaws.com"} {
		awsevents.NewRule(c, jsii.String(ids[src]), &awsevents.RuleProps{
			Description: jsii.String("ssoflow: Identity Center membership changes from " + src),
			EventPattern: &awsevents.EventPattern{
				Source:     jsii.Strings("aws." + src[:len(src)-len(".amazonaws.com")]),
				DetailType: jsii.Strings("AWS API Call via CloudTrail"),
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
