package eventroutes_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/ssoflow/ssoflow/functions/internal/ctevent"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/ebemu"
)

// Base events, one per CloudTrail event source of the identity store (the shared fixtures).
const (
	consoleBase = "cloudtrail-sso-directory-add-member.json"
	apiBase     = "cloudtrail-identitystore-create-membership.json"
	scimBase    = "cloudtrail-identitystore-scim-patch-group.json"
)

// Identifiers of the fixtures.
const (
	storeID  = "d-93670a1b2c"
	groupID  = "a4b8c1d2-e3f4-7081-92a3-b4c5d6e7f801"
	userID   = "c1d2e3f4-a5b6-7081-92a3-b4c5d6e7f802"
	tenantID = "9f8e7d6c-5b4a-3f2e-1d0c-b9a8f7e6d5c4"
	masked   = "HIDDEN_DUE_TO_SECURITY_REASONS"
)

// change describes how a variant differs from its base event.
type change struct {
	eventName string
	params    map[string]any // requestParameters; nil keeps the base's
	errorCode string
	source    string // the envelope's source; "" keeps the base's
	typ       string // the detail-type; "" keeps the base's
}

// variant builds a CloudTrail event in the documented shape from a base fixture.
func variant(t *testing.T, base string, c change) json.RawMessage {
	t.Helper()
	var env map[string]any
	if err := json.Unmarshal(readTestdata(t, base), &env); err != nil {
		t.Fatal(err)
	}
	d := env["detail"].(map[string]any)
	if c.eventName != "" {
		d["eventName"] = c.eventName
	}
	if c.params != nil {
		d["requestParameters"] = c.params
	}
	if c.errorCode != "" {
		d["errorCode"], d["errorMessage"] = c.errorCode, "the call failed"
	}
	if c.source != "" {
		env["source"] = c.source
	}
	if c.typ != "" {
		env["detail-type"] = c.typ
	}
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type ctCase struct {
	name  string
	event json.RawMessage
	want  []string
}

func fixture(t *testing.T, name string) json.RawMessage { return readTestdata(t, name) }

// identityCenterCases: every change to who is in a group, or who a user is, reaches the
// provision state machine, whichever of the three sources made it; reads, creations of what is
// in no group yet, failed calls (detail.errorCode) and other detail-types reach nothing.
func identityCenterCases(t *testing.T) []ctCase {
	to := []string{provision}
	user := map[string]any{"identityStoreId": storeID, "userId": userID}
	group := map[string]any{"identityStoreId": storeID, "groupId": groupID}
	scimUser := map[string]any{"tenantId": tenantID, "id": userID, "operations": masked}
	scimGroup := map[string]any{"tenantId": tenantID, "id": groupID}
	return []ctCase{
		// The console (sso-directory).
		{"console AddMemberToGroup", fixture(t, consoleBase), to},
		{"console RemoveMemberFromGroup", fixture(t, "cloudtrail-sso-directory-remove-member.json"), to},
		{"console DeleteUser", fixture(t, "cloudtrail-sso-directory-delete-user.json"), to},
		{"console DeleteGroup", fixture(t, "cloudtrail-sso-directory-delete-group.json"), to},
		{"console UpdateUser", variant(t, consoleBase, change{eventName: "UpdateUser", params: user}), to},
		{"console AddMemberToGroup denied", fixture(t, "cloudtrail-sso-directory-add-member-denied.json"), nil},
		{"console ListGroups", fixture(t, "cloudtrail-sso-directory-list-groups.json"), nil},
		{"console ListUsers", variant(t, consoleBase, change{eventName: "ListUsers", params: map[string]any{"identityStoreId": storeID}}), nil},
		{"console CreateUser", variant(t, consoleBase, change{eventName: "CreateUser", params: map[string]any{"identityStoreId": storeID}}), nil},
		{"console change, another detail-type", variant(t, consoleBase, change{typ: "AWS Service Event via CloudTrail"}), nil},
		// The identity store API.
		{"API CreateGroupMembership", fixture(t, apiBase), to},
		{"API DeleteGroupMembership", fixture(t, "cloudtrail-identitystore-delete-membership.json"), to},
		{"API DeleteUser", fixture(t, "cloudtrail-identitystore-delete-user.json"), to},
		{"API DeleteGroup", variant(t, apiBase, change{eventName: "DeleteGroup", params: group}), to},
		{"API UpdateUser", variant(t, apiBase, change{eventName: "UpdateUser", params: map[string]any{"identityStoreId": storeID, "userId": userID, "operations": masked}}), to},
		{"API CreateGroupMembership conflict", fixture(t, "cloudtrail-identitystore-create-membership-conflict.json"), nil},
		{"API DeleteUser failed", variant(t, "cloudtrail-identitystore-delete-user.json", change{errorCode: "ResourceNotFoundException"}), nil},
		{"API ListUsers", variant(t, apiBase, change{eventName: "ListUsers", params: map[string]any{"identityStoreId": storeID}}), nil},
		{"API console-only name", variant(t, apiBase, change{eventName: "AddMemberToGroup"}), nil},
		// SCIM from the IdP.
		{"SCIM PatchGroup", fixture(t, scimBase), to},
		{"SCIM PutGroup", variant(t, scimBase, change{eventName: "PutGroup", params: map[string]any{"tenantId": tenantID, "id": groupID, "body": masked}}), to},
		{"SCIM DeleteGroup", variant(t, scimBase, change{eventName: "DeleteGroup", params: scimGroup}), to},
		{"SCIM DeleteUser", fixture(t, "cloudtrail-identitystore-scim-delete-user.json"), to},
		{"SCIM PatchUser", variant(t, scimBase, change{eventName: "PatchUser", params: scimUser}), to},
		{"SCIM PutUser", variant(t, scimBase, change{eventName: "PutUser", params: map[string]any{"tenantId": tenantID, "id": userID, "body": masked}}), to},
		{"SCIM CreateUser", fixture(t, "cloudtrail-identitystore-scim-create-user.json"), nil},
		{"SCIM PatchGroup failed", variant(t, scimBase, change{errorCode: "ThrottlingException"}), nil},
		{"SCIM ListUsers", variant(t, scimBase, change{eventName: "ListUsers", params: map[string]any{"tenantId": tenantID}}), nil},
		{"SCIM change, another detail-type", variant(t, scimBase, change{typ: "AWS Service Event via CloudTrail"}), nil},
	}
}

// TestIdentityCenterEventsRouting pins where each Identity Center CloudTrail event goes on the
// default bus, and that the rules agree with the parser the provision state machine runs
// (ctevent): an event reaches provision exactly when ctevent finds something to re-read.
func TestIdentityCenterEventsRouting(t *testing.T) {
	for _, c := range identityCenterCases(t) {
		t.Run(c.name, func(t *testing.T) {
			e, _ := deployedBus(t)
			got := reached(t, e, ebemu.DefaultBus, c.event)
			if !slices.Equal(got, c.want) {
				t.Errorf("reached %s, want %s", describe(got), describe(c.want))
			}
			change, err := ctevent.Parse(c.event)
			if err != nil {
				t.Fatalf("ctevent.Parse: %v", err)
			}
			if handled := change.Kind != ctevent.KindIgnore; handled != (len(c.want) > 0) {
				t.Errorf("ctevent reads it as %q (%s) while the expected route is %s", change.Kind, change.Reason, describe(c.want))
			}
		})
	}
}

// TestIdentityCenterRulesIgnoreSource: the source of console and SCIM events is not documented
// (DESIGN.md: match on detail.eventSource and detail.eventName, never on source), so their
// routing must not depend on it.
func TestIdentityCenterRulesIgnoreSource(t *testing.T) {
	for _, c := range []ctCase{
		{"console AddMemberToGroup from aws.sso", variant(t, consoleBase, change{source: "aws.sso"}), []string{provision}},
		{"console AddMemberToGroup from aws.identitystore", variant(t, consoleBase, change{source: "aws.identitystore"}), []string{provision}},
		{"SCIM PatchGroup from aws.identitystore", variant(t, scimBase, change{source: "aws.identitystore"}), []string{provision}},
		{"SCIM PatchGroup from aws.sso-directory", variant(t, scimBase, change{source: "aws.sso-directory"}), []string{provision}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e, _ := deployedBus(t)
			if got := reached(t, e, ebemu.DefaultBus, c.event); !slices.Equal(got, c.want) {
				t.Errorf("reached %s, want %s", describe(got), describe(c.want))
			}
		})
	}
}

// TestCloudTrailEventsStayOnTheDefaultBus: CloudTrail delivers to the default bus only; the
// same event on the ssoflow or the partner bus reaches nothing.
func TestCloudTrailEventsStayOnTheDefaultBus(t *testing.T) {
	e, _ := deployedBus(t)
	for _, bus := range []string{ebemu.BusSSOFlow, ebemu.BusOktaPartner} {
		if got := reached(t, e, bus, fixture(t, consoleBase)); len(got) != 0 {
			t.Errorf("a console event on bus %s reached %s", bus, describe(got))
		}
	}
}
