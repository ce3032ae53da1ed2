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
// that already exists counts as done, and added reports whether this call created it.
//
// A ConflictException means "already a member" only with reason UNIQUENESS_CONSTRAINT_VIOLATION.
// CONCURRENT_MODIFICATION means nothing was done: it is retried, and when it persists the call
// fails with a TemporaryError, so a grant is never announced on a membership that does not
// exist. A conflict without a known reason proves nothing either way: the membership is looked
// up.
func (w *Writer) AddMembership(ctx context.Context, groupID, userID string) (added bool, err error) {
	what := fmt.Sprintf("CreateGroupMembership %s/%s", groupID, userID)
	_, err = call(ctx, w.opts, what, func(ctx context.Context) (*sdk.CreateGroupMembershipOutput, error) {
		out, err := w.api.CreateGroupMembership(ctx, &sdk.CreateGroupMembershipInput{
			IdentityStoreId: aws.String(w.storeID), GroupId: aws.String(groupID),
			MemberId: &types.MemberIdMemberUserId{Value: userID},
		})
		var ce *types.ConflictException
		switch {
		case !errors.As(err, &ce), ce.Reason == types.ConflictExceptionReasonConcurrentModification:
			return out, err // call retries a concurrent modification
		case ce.Reason == types.ConflictExceptionReasonUniquenessConstraintViolation:
			return nil, errAlreadyMember
		default:
			return nil, fmt.Errorf("%w: %w", errUnexplainedConflict, err)
		}
	})
	switch {
	case errors.Is(err, errAlreadyMember):
		return false, nil
	case errors.Is(err, errUnexplainedConflict):
		return w.confirmExisting(ctx, groupID, userID, err)
	case err != nil:
		return false, err
	}
	return true, nil
}

var (
	errAlreadyMember       = errors.New("already a member")
	errUnexplainedConflict = errors.New("conflict without a known reason")
)

// confirmExisting settles a conflict whose reason is unknown: the membership exists (added
// false, no error) or the conflict was something else and the add is to be retried.
func (w *Writer) confirmExisting(ctx context.Context, groupID, userID string, conflict error) (bool, error) {
	what := fmt.Sprintf("GetGroupMembershipId %s/%s", groupID, userID)
	_, err := call(ctx, w.opts, what, func(ctx context.Context) (*sdk.GetGroupMembershipIdOutput, error) {
		return w.api.GetGroupMembershipId(ctx, &sdk.GetGroupMembershipIdInput{
			IdentityStoreId: aws.String(w.storeID), GroupId: aws.String(groupID),
			MemberId: &types.MemberIdMemberUserId{Value: userID},
		})
	})
	switch {
	case err == nil:
		return false, nil
	case errors.Is(err, ErrNotFound):
		return false, &TemporaryError{Op: "CreateGroupMembership " + groupID + "/" + userID,
			Err: fmt.Errorf("refused with a conflict, yet no membership exists: %w", conflict)}
	default:
		return false, err
	}
}

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
