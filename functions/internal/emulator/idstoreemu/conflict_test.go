package idstoreemu_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/identitystore"
	"github.com/aws/aws-sdk-go-v2/service/identitystore/types"

	"github.com/ssoflow/ssoflow/functions/internal/emulator/idstoreemu"
)

// ConflictNext refuses the next mutating requests with a ConflictException whose Reason the
// SDK's types.ConflictException reads; the refused request changes nothing, and reads are not
// refused.
func TestConflictNextCarriesItsReason(t *testing.T) {
	emu, c := setup(t)
	ctx := context.Background()
	uid, gid := mustUser(t, emu, "erin"), mustGroup(t, emu, "ops")
	create := &identitystore.CreateGroupMembershipInput{
		IdentityStoreId: aws.String(storeID), GroupId: aws.String(gid), MemberId: &types.MemberIdMemberUserId{Value: uid},
	}
	for _, reason := range []string{idstoreemu.ReasonConcurrentModification, idstoreemu.ReasonUniqueness, ""} {
		emu.ConflictNext(1, reason)
		if _, err := c.DescribeGroup(ctx, &identitystore.DescribeGroupInput{IdentityStoreId: aws.String(storeID), GroupId: aws.String(gid)}); err != nil {
			t.Fatalf("a read while a conflict is pending: %v", err)
		}
		_, err := c.CreateGroupMembership(ctx, create)
		var ce *types.ConflictException
		if !errors.As(err, &ce) || string(ce.Reason) != reason {
			t.Errorf("CreateGroupMembership: %v (reason %q), want ConflictException with reason %q", err, reasonOf(ce), reason)
		}
		if m := emu.Members(gid); len(m) != 0 {
			t.Errorf("a refused CreateGroupMembership added %v", m)
		}
	}
	out, err := c.CreateGroupMembership(ctx, create)
	if err != nil {
		t.Fatalf("after the conflicts: %v", err)
	}
	emu.ConflictNext(1, idstoreemu.ReasonConcurrentModification)
	del := &identitystore.DeleteGroupMembershipInput{IdentityStoreId: aws.String(storeID), MembershipId: out.MembershipId}
	var ce *types.ConflictException
	if _, err := c.DeleteGroupMembership(ctx, del); !errors.As(err, &ce) || ce.Reason != types.ConflictExceptionReasonConcurrentModification {
		t.Errorf("DeleteGroupMembership: %v, want ConflictException CONCURRENT_MODIFICATION", err)
	}
	if m := emu.Members(gid); len(m) != 1 {
		t.Errorf("a refused DeleteGroupMembership changed the members: %v", m)
	}
	if n := emu.Requests("CreateGroupMembership"); n != 4 {
		t.Errorf("CreateGroupMembership requests = %d, want 4 (refused ones counted)", n)
	}
}

func reasonOf(ce *types.ConflictException) string {
	if ce == nil {
		return ""
	}
	return string(ce.Reason)
}
