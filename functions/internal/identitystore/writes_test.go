package identitystore_test

import (
	"context"
	"slices"
	"testing"

	"github.com/ssoflow/ssoflow/functions/internal/identitystore"
)

func TestAddMembershipIsIdempotent(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	gid := e.group(t, "jit-admins")
	uid := e.user(t, "alice")
	w := identitystore.NewWriter(e.client, storeID, e.opts)

	added, err := w.AddMembership(ctx, gid, uid)
	if err != nil || !added {
		t.Fatalf("first AddMembership = %v, %v; want true", added, err)
	}
	added, err = w.AddMembership(ctx, gid, uid)
	if err != nil || added {
		t.Fatalf("second AddMembership = %v, %v; want false, nil", added, err)
	}
	if got := e.emu.Members(gid); !slices.Equal(got, []string{uid}) {
		t.Errorf("members = %v, want [%s]", got, uid)
	}
}

func TestRemoveMembershipIsIdempotent(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	gid := e.group(t, "jit-admins")
	uid := e.user(t, "alice", gid)
	stays := e.user(t, "bob", gid)
	w := identitystore.NewWriter(e.client, storeID, e.opts)

	removed, err := w.RemoveMembership(ctx, gid, uid)
	if err != nil || !removed {
		t.Fatalf("first RemoveMembership = %v, %v; want true", removed, err)
	}
	removed, err = w.RemoveMembership(ctx, gid, uid)
	if err != nil || removed {
		t.Fatalf("second RemoveMembership = %v, %v; want false, nil", removed, err)
	}
	if got := e.emu.Members(gid); !slices.Equal(got, []string{stays}) {
		t.Errorf("members = %v, want only %s", got, stays)
	}
}

func TestWritesRetryThrottling(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	gid := e.group(t, "g")
	uid := e.user(t, "alice")
	w := identitystore.NewWriter(e.client, storeID, e.opts)
	e.emu.FailNext(1)
	if added, err := w.AddMembership(ctx, gid, uid); err != nil || !added {
		t.Fatalf("AddMembership after throttling = %v, %v", added, err)
	}
	e.emu.FailNext(2)
	if removed, err := w.RemoveMembership(ctx, gid, uid); err != nil || !removed {
		t.Fatalf("RemoveMembership after throttling = %v, %v", removed, err)
	}
	if n := e.emu.Throttled(); n != 3 {
		t.Errorf("throttled answers = %d, want 3", n)
	}
}
