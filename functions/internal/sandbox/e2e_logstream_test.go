package sandbox_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
)

// logStreamEvent is an Okta System Log event as Okta's EventBridge log stream delivers it on
// the partner bus: the log event is the detail, whole.
func logStreamEvent(t *testing.T, eventType, uuid, userID, login, groupID, group string) json.RawMessage {
	t.Helper()
	detail := map[string]any{
		"uuid": uuid, "published": "2026-11-20T10:01:12.345Z", "eventType": eventType, "version": "0",
		"severity": "INFO", "outcome": map[string]any{"result": "SUCCESS"},
		"actor": map[string]any{"id": "00uadmin0000000000x7", "type": "User", "alternateId": "it-admin@example.com"},
		"target": []any{
			map[string]any{"id": userID, "type": "User", "alternateId": login, "displayName": login},
			map[string]any{"id": groupID, "type": "UserGroup", "alternateId": "unknown", "displayName": group},
		},
	}
	b, err := json.Marshal(map[string]any{
		"version": "0", "id": "ls-" + uuid, "detail-type": "SystemLog",
		"source": "aws.partner/okta.com/example-org/ssoflow", "account": "111122223333",
		"time": "2026-11-20T10:01:13Z", "region": "us-east-1", "resources": []string{}, "detail": detail,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The second source: membership events from Okta's EventBridge log stream start the same
// provision state machine with no hook at all, and converge the same way.
func TestOktaLogStreamEventsProvision(t *testing.T) {
	ctx := context.Background()
	w := newOktaWorld(t)
	sb := w.sb
	jane, group := "jane@example.com", "AWS_Developers"
	if err := sb.Okta.AddMember(w.groups[group], w.users[jane]); err != nil {
		t.Fatal(err)
	}
	exe, err := sb.RunProvision(ctx, logStreamEvent(t, "group.user_membership.add", "ls-1", w.users[jane], jane, w.groups[group], group), "ls-add")
	if err != nil {
		t.Fatal(err)
	}
	if exe.Status != "SUCCEEDED" || !slices.Equal(w.scimMembers(group), []string{jane}) {
		t.Fatalf("after the add: %s %s, Identity Center %s = %v", exe.Status, exe.Error, group, w.scimMembers(group))
	}
	// Other System Log events on the same bus (sign-ins, …) start nothing harmful.
	other := logStreamEvent(t, "user.session.start", "ls-2", w.users[jane], jane, w.groups[group], group)
	exe, err = sb.RunProvision(ctx, other, "ls-other")
	if err != nil {
		t.Fatal(err)
	}
	if exe.Status != "SUCCEEDED" || !slices.Contains(exe.Visited(), "NothingToDo") {
		t.Errorf("a session event: %s, visited %v; want NothingToDo", exe.Status, exe.Visited())
	}
	if err := sb.Okta.RemoveMember(w.groups[group], w.users[jane]); err != nil {
		t.Fatal(err)
	}
	exe, err = sb.RunProvision(ctx, logStreamEvent(t, "group.user_membership.remove", "ls-3", w.users[jane], jane, w.groups[group], group), "ls-remove")
	if err != nil {
		t.Fatal(err)
	}
	if exe.Status != "SUCCEEDED" || len(w.scimMembers(group)) != 0 {
		t.Errorf("after the remove: %s, Identity Center %s = %v", exe.Status, group, w.scimMembers(group))
	}
}
