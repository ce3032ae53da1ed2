package grant_test

import (
	"testing"

	"github.com/ssoflow/ssoflow/functions/internal/emulator/idstoreemu"
)

// Issue 13, finding 3: the identity store answers the grant's CreateGroupMembership with a
// ConflictException whose reason is CONCURRENT_MODIFICATION: nothing was done. The grant tries
// again, is announced with the membership in place, and removes it at the end. (Taken for
// "already a member", the grant was announced on a membership that did not exist, and, held
// for preexisting, nothing was removed at the end.)
func TestGroupGrantRetriesAConcurrentModification(t *testing.T) {
	w := start(t)
	w.ids.ConflictNext(1, idstoreemu.ReasonConcurrentModification)
	w.cli(t, "grant", "--user", user, "--group", groupName, "--for", "30m", "--reason", "on call", "--id", "g-conflict")
	x := w.wait(t, "g-conflict")
	if x.Status != "SUCCEEDED" {
		t.Fatalf("execution %s: %s %s", x.Status, x.Error, x.Cause)
	}
	if c, d := w.ids.Requests("CreateGroupMembership"), w.ids.Requests("DeleteGroupMembership"); c != 2 || d != 1 {
		t.Errorf("CreateGroupMembership %d, DeleteGroupMembership %d; want 2 (the refused one, then the add) and 1", c, d)
	}
	if got := w.ids.Members(w.group); len(got) != 0 {
		t.Errorf("members of %s after the grant: %v, want none", groupName, got)
	}
	if !w.published("ssoflow: jane@example.com is in group AWS_Breakglass until ") ||
		!w.published("ssoflow: jane@example.com is no longer in group AWS_Breakglass (grant g-conflict ended)") {
		t.Errorf("announcements: %q", w.subjects())
	}
}
