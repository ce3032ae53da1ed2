package sandbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/ssoflow/ssoflow/functions/internal/emulator/idstoreemu"
	"github.com/ssoflow/ssoflow/functions/internal/sandbox"
)

const (
	console = "sso-directory.amazonaws.com"
	api     = "identitystore.amazonaws.com"
	scimSrc = "identitystore-scim.amazonaws.com"
)

type dbWorld struct {
	t      *testing.T
	sb     *sandbox.Sandbox
	users  map[string]string // db user name → identity store user id
	groups map[string]string // group name → id
	n      int
}

// newDBWorld starts a sandbox with the database; opts adjust its options (e.g. to pass every
// plan by reference).
func newDBWorld(t *testing.T, opts ...func(*sandbox.Options)) *dbWorld {
	t.Helper()
	o := sandbox.Options{Grants: map[string][]string{"AWS_DBA": {"dba"}, "AWS_Developers": {"app_read"}}}
	for _, f := range opts {
		f(&o)
	}
	sb, err := sandbox.Start(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	w := &dbWorld{t: t, sb: sb, users: map[string]string{}, groups: map[string]string{}}
	for _, u := range []struct{ login, email, db string }{
		{"jane@example.com", "Jane.Doe@example.com", "jane.doe"},
		{"sam@example.com", "sam.lee@example.com", "sam.lee"},
		{"ana@example.com", "ana.garcia@example.com", "ana.garcia"},
		{"omar@example.com", "omar.haddad@example.com", "omar.haddad"},
	} {
		id, err := sb.Identity.AddUser(idstoreemu.UserSpec{UserName: u.login, DisplayName: u.login, Email: u.email})
		if err != nil {
			t.Fatal(err)
		}
		w.users[u.db] = id
	}
	for _, g := range []string{"AWS_DBA", "AWS_Developers", "Marketing"} {
		id, err := sb.Identity.AddGroup(g)
		if err != nil {
			t.Fatal(err)
		}
		w.groups[g] = id
	}
	return w
}

func (w *dbWorld) add(user, group string) string {
	w.t.Helper()
	m, err := w.sb.Identity.AddMember(w.groups[group], w.users[user])
	if err != nil {
		w.t.Fatal(err)
	}
	return m
}

// run sends the event through the real provision ASL and returns the states it visited.
func (w *dbWorld) run(event json.RawMessage) []string {
	w.t.Helper()
	w.n++
	exe, err := w.sb.RunProvision(context.Background(), event, fmt.Sprintf("db-%d", w.n))
	if err != nil {
		w.t.Fatal(err)
	}
	if exe.Status != "SUCCEEDED" {
		w.t.Fatalf("execution %d: %s %s: %s", w.n, exe.Status, exe.Error, exe.Cause)
	}
	return exe.Visited()
}

// canLogIn tells whether the database user logs in with its own IAM token.
func (w *dbWorld) canLogIn(user string) bool {
	return w.sb.DB.Login(context.Background(), user) == nil
}

func (w *dbWorld) expectLogins(step string, want map[string]bool) {
	w.t.Helper()
	for user, ok := range want {
		if got := w.canLogIn(user); got != ok {
			w.t.Errorf("after %s: %s logs in = %v, want %v", step, user, got, ok)
		}
	}
}

// Issue 4, must show 4: each Identity Center event kind, through the real provision ASL with
// the identity store emulator, into a database that checks real IAM tokens at login.
func TestIdentityCenterEventsProvisionDatabaseUsers(t *testing.T) {
	w := newDBWorld(t)
	id := func(u string) string { return w.users[u] }

	// Console: AddMemberToGroup names the user and the group.
	w.add("jane.doe", "AWS_DBA")
	w.run(sandbox.CloudTrailEvent(console, "AddMemberToGroup", map[string]any{"identityStoreId": sandbox.IdentityStoreID, "groupId": w.groups["AWS_DBA"], "member": map[string]any{"memberId": id("jane.doe")}}, ""))
	w.expectLogins("console AddMemberToGroup", map[string]bool{"jane.doe": true, "sam.lee": false})

	// API: CreateGroupMembership names both too.
	samDev := w.add("sam.lee", "AWS_Developers")
	w.run(sandbox.CloudTrailEvent(api, "CreateGroupMembership", map[string]any{"identityStoreId": sandbox.IdentityStoreID, "groupId": w.groups["AWS_Developers"], "memberId": map[string]any{"userId": id("sam.lee")}}, ""))
	w.expectLogins("API CreateGroupMembership", map[string]bool{"sam.lee": true})

	// SCIM from the IdP: PatchGroup has its operations masked, so the whole group is re-read.
	w.add("ana.garcia", "AWS_Developers")
	w.add("omar.haddad", "AWS_Developers")
	w.add("jane.doe", "AWS_Developers")
	w.run(sandbox.CloudTrailEvent(scimSrc, "PatchGroup", map[string]any{"tenantId": "9f8e7d6c-5b4a", "id": w.groups["AWS_Developers"], "operations": "HIDDEN_DUE_TO_SECURITY_REASONS"}, ""))
	w.expectLogins("SCIM PatchGroup", map[string]bool{"ana.garcia": true, "omar.haddad": true, "jane.doe": true})

	// Console RemoveMemberFromGroup: jane leaves AWS_DBA but keeps access through AWS_Developers.
	w.sb.Identity.RemoveMember(w.groups["AWS_DBA"], id("jane.doe"))
	w.run(sandbox.CloudTrailEvent(console, "RemoveMemberFromGroup", map[string]any{"identityStoreId": sandbox.IdentityStoreID, "groupId": w.groups["AWS_DBA"], "member": map[string]any{"memberId": id("jane.doe")}}, ""))
	w.expectLogins("RemoveMemberFromGroup of one of two groups", map[string]bool{"jane.doe": true})

	// API DeleteGroupMembership carries only the membership id: every mapped group is re-read,
	// and sam, no longer in any, is dropped.
	w.sb.Identity.RemoveMember(w.groups["AWS_Developers"], id("sam.lee"))
	w.run(sandbox.CloudTrailEvent(api, "DeleteGroupMembership", map[string]any{"identityStoreId": sandbox.IdentityStoreID, "membershipId": samDev}, ""))
	w.expectLogins("API DeleteGroupMembership", map[string]bool{"sam.lee": false, "ana.garcia": true, "jane.doe": true})

	// DeleteUser from each source.
	w.sb.Identity.RemoveUser(id("omar.haddad"))
	w.run(sandbox.CloudTrailEvent(console, "DeleteUser", map[string]any{"identityStoreId": sandbox.IdentityStoreID, "userId": id("omar.haddad")}, ""))
	w.expectLogins("console DeleteUser", map[string]bool{"omar.haddad": false})
	w.sb.Identity.RemoveUser(id("ana.garcia"))
	w.run(sandbox.CloudTrailEvent(api, "DeleteUser", map[string]any{"identityStoreId": sandbox.IdentityStoreID, "userId": id("ana.garcia")}, ""))
	w.expectLogins("API DeleteUser", map[string]bool{"ana.garcia": false})
	w.sb.Identity.RemoveUser(id("jane.doe"))
	w.run(sandbox.CloudTrailEvent(scimSrc, "DeleteUser", map[string]any{"tenantId": "9f8e7d6c-5b4a", "id": id("jane.doe")}, ""))
	w.expectLogins("SCIM DeleteUser", map[string]bool{"jane.doe": false})

	if msgs := w.sb.SNS.Messages(); len(msgs) != 0 {
		t.Errorf("nothing failed, yet notifications were sent: %+v", msgs)
	}
}

// Failed calls (errorCode) and groups that are not mapped start no database work.
func TestFailedCallsAndUnmappedGroupsDoNothing(t *testing.T) {
	w := newDBWorld(t)
	w.add("jane.doe", "AWS_DBA")
	visited := w.run(sandbox.CloudTrailEvent(console, "AddMemberToGroup", map[string]any{"identityStoreId": sandbox.IdentityStoreID, "groupId": w.groups["AWS_DBA"], "member": map[string]any{"memberId": w.users["jane.doe"]}}, "AccessDeniedException"))
	if !slices.Contains(visited, "NothingToDo") || w.canLogIn("jane.doe") {
		t.Errorf("a failed API call was acted on: visited %v", visited)
	}
	w.add("sam.lee", "Marketing")
	visited = w.run(sandbox.CloudTrailEvent(console, "AddMemberToGroup", map[string]any{"identityStoreId": sandbox.IdentityStoreID, "groupId": w.groups["Marketing"], "member": map[string]any{"memberId": w.users["sam.lee"]}}, ""))
	if !slices.Contains(visited, "NothingToDo") || w.canLogIn("sam.lee") {
		t.Errorf("membership of an unmapped group gave database access: visited %v", visited)
	}
}
