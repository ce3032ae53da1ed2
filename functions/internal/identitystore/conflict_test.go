package identitystore_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/ssoflow/ssoflow/functions/internal/emulator/idstoreemu"
	"github.com/ssoflow/ssoflow/functions/internal/errs"
	"github.com/ssoflow/ssoflow/functions/internal/identitystore"
)

// Issue 13, finding 3: a ConflictException with reason CONCURRENT_MODIFICATION means nothing
// was done. AddMembership retries it and reports the membership it then created; it never
// takes it for "already a member".
func TestAddMembershipRetriesConcurrentModification(t *testing.T) {
	e := newEnv(t)
	gid, uid := e.group(t, "jit-admins"), e.user(t, "alice")
	w := identitystore.NewWriter(e.client, storeID, e.opts)
	e.emu.ConflictNext(1, idstoreemu.ReasonConcurrentModification)

	added, err := w.AddMembership(context.Background(), gid, uid)
	if err != nil || !added {
		t.Fatalf("AddMembership = %v, %v; want true, nil", added, err)
	}
	if got := e.emu.Members(gid); !slices.Equal(got, []string{uid}) {
		t.Errorf("members = %v, want [%s]: the grant would be announced without the membership", got, uid)
	}
	if n, waits := e.emu.Requests("CreateGroupMembership"), e.sleeps.got(); n != 2 || len(waits) != 1 {
		t.Errorf("%d CreateGroupMembership requests and waits %v, want 2 requests and 1 wait", n, waits)
	}
}

// When the concurrent modifications outlast the attempts, the error is temporary (the state
// machine retries it) and nothing is claimed.
func TestConcurrentModificationThatPersistsIsRetryable(t *testing.T) {
	e := newEnv(t)
	gid, uid := e.group(t, "jit-admins"), e.user(t, "alice")
	e.opts.MaxAttempts = 3
	w := identitystore.NewWriter(e.client, storeID, e.opts)
	e.emu.ConflictNext(3, idstoreemu.ReasonConcurrentModification)

	added, err := w.AddMembership(context.Background(), gid, uid)
	var te *identitystore.TemporaryError
	var r *errs.RetryableError
	if added || !errors.As(err, &te) || !errors.As(errs.Classify(err), &r) {
		t.Fatalf("AddMembership = %v, %v; want false and a TemporaryError (RetryableError at the boundary)", added, err)
	}
	if m := e.emu.Members(gid); len(m) != 0 {
		t.Errorf("members = %v, want none", m)
	}
}

// RemoveMembership retries a concurrent modification of the delete the same way.
func TestRemoveMembershipRetriesConcurrentModification(t *testing.T) {
	e := newEnv(t)
	gid := e.group(t, "jit-admins")
	uid := e.user(t, "alice", gid)
	w := identitystore.NewWriter(e.client, storeID, e.opts)
	e.emu.ConflictNext(1, idstoreemu.ReasonConcurrentModification)

	removed, err := w.RemoveMembership(context.Background(), gid, uid)
	if err != nil || !removed {
		t.Fatalf("RemoveMembership = %v, %v; want true, nil", removed, err)
	}
	if m := e.emu.Members(gid); len(m) != 0 {
		t.Errorf("members = %v, want none", m)
	}
	if n := e.emu.Requests("DeleteGroupMembership"); n != 2 {
		t.Errorf("DeleteGroupMembership requests = %d, want 2", n)
	}
}

// A ConflictException without a reason proves nothing: AddMembership looks the membership up
// and reports it already there only if it is.
func TestConflictWithoutReasonIsChecked(t *testing.T) {
	e := newEnv(t)
	gid, uid := e.group(t, "jit-admins"), e.user(t, "alice")
	w := identitystore.NewWriter(e.client, storeID, e.opts)
	ctx := context.Background()

	e.emu.ConflictNext(1, "")
	added, err := w.AddMembership(ctx, gid, uid)
	var te *identitystore.TemporaryError
	if added || !errors.As(err, &te) {
		t.Errorf("conflict without reason, no membership: %v, %v; want a TemporaryError", added, err)
	}
	if _, err := e.emu.AddMember(gid, uid); err != nil {
		t.Fatal(err)
	}
	e.emu.ConflictNext(1, "")
	if added, err := w.AddMembership(ctx, gid, uid); err != nil || added {
		t.Errorf("conflict without reason, membership there: %v, %v; want false, nil", added, err)
	}
}
