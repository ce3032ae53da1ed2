package ctevent_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssoflow/ssoflow/functions/internal/ctevent"
	"github.com/ssoflow/ssoflow/functions/internal/errs"
)

const (
	group = "a4b8c1d2-e3f4-7081-92a3-b4c5d6e7f801"
	store = "d-93670a1b2c"
)

// fixtures lists what each file in testdata must parse to (Reason is checked for presence).
var fixtures = map[string]ctevent.Change{
	"cloudtrail-sso-directory-add-member.json": {Kind: ctevent.KindUserGroup, UserID: "c1d2e3f4-a5b6-7081-92a3-b4c5d6e7f802", GroupID: group,
		IdentityStoreID: store, EventSource: ctevent.SourceConsole, EventName: "AddMemberToGroup", EventID: "9a8b7c6d-5e4f-3a2b-1c0d-9e8f7a6b5c4d"},
	"cloudtrail-sso-directory-remove-member.json": {Kind: ctevent.KindUserGroup, UserID: "c1d2e3f4-a5b6-7081-92a3-b4c5d6e7f802", GroupID: group,
		IdentityStoreID: store, EventSource: ctevent.SourceConsole, EventName: "RemoveMemberFromGroup", EventID: "1a2b3c4d-0000-4000-8000-000000000001"},
	"cloudtrail-sso-directory-delete-user.json": {Kind: ctevent.KindUser, UserID: "c1d2e3f4-a5b6-7081-92a3-b4c5d6e7f802", Deleted: true,
		IdentityStoreID: store, EventSource: ctevent.SourceConsole, EventName: "DeleteUser", EventID: "1a2b3c4d-0000-4000-8000-000000000002"},
	"cloudtrail-sso-directory-delete-group.json": {Kind: ctevent.KindGroup, GroupID: group, Deleted: true,
		IdentityStoreID: store, EventSource: ctevent.SourceConsole, EventName: "DeleteGroup", EventID: "1a2b3c4d-0000-4000-8000-000000000003"},
	"cloudtrail-sso-directory-list-groups.json": {Kind: ctevent.KindIgnore,
		EventSource: ctevent.SourceConsole, EventName: "ListGroups", EventID: "1a2b3c4d-0000-4000-8000-000000000004"},
	"cloudtrail-sso-directory-add-member-denied.json": {Kind: ctevent.KindIgnore,
		EventSource: ctevent.SourceConsole, EventName: "AddMemberToGroup", EventID: "1a2b3c4d-0000-4000-8000-000000000005"},
	"cloudtrail-identitystore-create-membership.json": {Kind: ctevent.KindUserGroup, UserID: "c1d2e3f4-a5b6-7081-92a3-b4c5d6e7f803", GroupID: group,
		IdentityStoreID: store, EventSource: ctevent.SourceAPI, EventName: "CreateGroupMembership", EventID: "8b7c6d5e-4f3a-2b1c-0d9e-8f7a6b5c4d3e"},
	"cloudtrail-identitystore-create-membership-conflict.json": {Kind: ctevent.KindIgnore,
		EventSource: ctevent.SourceAPI, EventName: "CreateGroupMembership", EventID: "1a2b3c4d-0000-4000-8000-000000000008"},
	"cloudtrail-identitystore-delete-membership.json": {Kind: ctevent.KindAllGroups,
		IdentityStoreID: store, EventSource: ctevent.SourceAPI, EventName: "DeleteGroupMembership", EventID: "1a2b3c4d-0000-4000-8000-000000000006"},
	"cloudtrail-identitystore-delete-user.json": {Kind: ctevent.KindUser, UserID: "c1d2e3f4-a5b6-7081-92a3-b4c5d6e7f803", Deleted: true,
		IdentityStoreID: store, EventSource: ctevent.SourceAPI, EventName: "DeleteUser", EventID: "1a2b3c4d-0000-4000-8000-000000000007"},
	"cloudtrail-identitystore-scim-patch-group.json": {Kind: ctevent.KindGroup, GroupID: group,
		EventSource: ctevent.SourceSCIM, EventName: "PatchGroup", EventID: "7c6d5e4f-3a2b-1c0d-9e8f-7a6b5c4d3e2f"},
	"cloudtrail-identitystore-scim-delete-user.json": {Kind: ctevent.KindUser, UserID: "9067729b3d-07124c20-d960-4a47-93ff-460d76461f81", Deleted: true,
		EventSource: ctevent.SourceSCIM, EventName: "DeleteUser", EventID: "1a2b3c4d-0000-4000-8000-000000000009"},
	"cloudtrail-identitystore-scim-create-user.json": {Kind: ctevent.KindIgnore,
		EventSource: ctevent.SourceSCIM, EventName: "CreateUser", EventID: "1a2b3c4d-0000-4000-8000-00000000000a"},
	"eventbridge-okta-membership.json": {Kind: ctevent.KindIgnore},
}

func TestParseFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			want, ok := fixtures[name]
			if !ok {
				t.Fatalf("testdata/%s has no expectation in fixtures", name)
			}
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ctevent.Parse(data)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			needReason := want.Kind == ctevent.KindIgnore || want.Kind == ctevent.KindAllGroups
			if needReason && got.Reason == "" {
				t.Errorf("Kind %s without a Reason", got.Kind)
			}
			got.Reason = ""
			if got != want {
				t.Errorf("Parse =\n %+v\nwant\n %+v", got, want)
			}
		})
	}
}

// event builds a CloudTrail event around requestParameters.
func event(source, name, params string) []byte {
	return []byte(`{"version":"0","id":"ev-1","detail-type":"AWS API Call via CloudTrail","source":"aws.x",
		"detail":{"eventSource":"` + source + `","eventName":"` + name + `","eventID":"e-1","requestParameters":` + params + `}}`)
}

func TestParseNarrowsToWhatTheEventNames(t *testing.T) {
	cases := []struct {
		name       string
		data       []byte
		kind       string
		user, grp  string
		wantReason bool
	}{
		{"delete membership with a group id", event(ctevent.SourceAPI, "DeleteGroupMembership",
			`{"identityStoreId":"d-93670a1b2c","membershipId":"m-1","groupId":"g-1"}`), ctevent.KindGroup, "", "g-1", true},
		{"console add without member", event(ctevent.SourceConsole, "AddMemberToGroup",
			`{"identityStoreId":"d-93670a1b2c","groupId":"g-1"}`), ctevent.KindGroup, "", "g-1", true},
		{"api create without group", event(ctevent.SourceAPI, "CreateGroupMembership",
			`{"identityStoreId":"d-93670a1b2c","memberId":{"userId":"u-1"}}`), ctevent.KindUser, "u-1", "", true},
		{"scim patch without id", event(ctevent.SourceSCIM, "PatchGroup",
			`{"tenantId":"t","operations":"HIDDEN_DUE_TO_SECURITY_REASONS"}`), ctevent.KindAllGroups, "", "", true},
		{"delete user without id", event(ctevent.SourceConsole, "DeleteUser", `{}`), ctevent.KindAllGroups, "", "", true},
		{"null requestParameters", event(ctevent.SourceAPI, "DeleteGroupMembership", `null`), ctevent.KindAllGroups, "", "", true},
		{"update user", event(ctevent.SourceAPI, "UpdateUser",
			`{"identityStoreId":"d-93670a1b2c","userId":"u-2","operations":"HIDDEN"}`), ctevent.KindUser, "u-2", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ctevent.Parse(tc.data)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if c.Kind != tc.kind || c.UserID != tc.user || c.GroupID != tc.grp || (c.Reason != "") != tc.wantReason {
				t.Errorf("Parse = %+v; want kind %s user %q group %q reason %v", c, tc.kind, tc.user, tc.grp, tc.wantReason)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	cases := map[string][]byte{
		"malformed JSON":    []byte(`{"detail-type": "AWS API Call via CloudTrail", "detail": {`),
		"not an object":     []byte(`[1,2]`),
		"no detail":         []byte(`{"id":"x","detail-type":"AWS API Call via CloudTrail"}`),
		"id with a slash":   event(ctevent.SourceSCIM, "PatchGroup", `{"id":"../Users/x"}`),
		"params not object": event(ctevent.SourceAPI, "DeleteUser", `"u-1"`),
		"long id":           event(ctevent.SourceAPI, "DeleteUser", `{"userId":"`+strings.Repeat("a", 69)+`"}`),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			c, err := ctevent.Parse(data)
			var inv *errs.InvalidInputError
			if !errors.As(err, &inv) {
				t.Fatalf("Parse = %+v, %v; want an InvalidInputError", c, err)
			}
		})
	}
}
