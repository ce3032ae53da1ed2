package identitystore

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/identitystore"
	"github.com/aws/aws-sdk-go-v2/service/identitystore/types"
)

// AddMembership makes user userID a member of group groupID. It is idempotent: a membership
// that already exists (ConflictException) counts as done, and added reports whether this call
// created it.
func (w *Writer) AddMembership(ctx context.Context, groupID, userID string) (added bool, err error) {
	what := fmt.Sprintf("CreateGroupMembership %s/%s", groupID, userID)
	_, err = call(ctx, w.opts, what, func(ctx context.Context) (*sdk.CreateGroupMembershipOutput, error) {
		out, err := w.api.CreateGroupMembership(ctx, &sdk.CreateGroupMembershipInput{
			IdentityStoreId: aws.String(w.storeID), GroupId: aws.String(groupID),
			MemberId: &types.MemberIdMemberUserId{Value: userID},
		})
		var ce *types.ConflictException
		if errors.As(err, &ce) {
			return nil, errAlreadyMember
		}
		return out, err
	})
	if errors.Is(err, errAlreadyMember) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, nil
}

var errAlreadyMember = errors.New("already a member")

// RemoveMembership removes user userID from group groupID. It is idempotent: a membership
// that does not exist (or disappears meanwhile) counts as done, and removed reports whether
// this call deleted it.
func (w *Writer) RemoveMembership(ctx context.Context, groupID, userID string) (removed bool, err error) {
	what := fmt.Sprintf("GetGroupMembershipId %s/%s", groupID, userID)
	id, err := call(ctx, w.opts, what, func(ctx context.Context) (*sdk.GetGroupMembershipIdOutput, error) {
		return w.api.GetGroupMembershipId(ctx, &sdk.GetGroupMembershipIdInput{
			IdentityStoreId: aws.String(w.storeID), GroupId: aws.String(groupID),
			MemberId: &types.MemberIdMemberUserId{Value: userID},
		})
	})
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	membershipID := aws.ToString(id.MembershipId)
	_, err = call(ctx, w.opts, "DeleteGroupMembership "+membershipID, func(ctx context.Context) (*sdk.DeleteGroupMembershipOutput, error) {
		return w.api.DeleteGroupMembership(ctx, &sdk.DeleteGroupMembershipInput{
			IdentityStoreId: aws.String(w.storeID), MembershipId: aws.String(membershipID),
		})
	})
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, nil
}
