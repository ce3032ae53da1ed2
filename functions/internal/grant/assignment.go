package grant

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin/types"

	"github.com/ssoflow/ssoflow/functions/internal/errs"
)

// SSOAdminAPI is the part of the sso-admin client the grant steps use.
type SSOAdminAPI interface {
	CreateAccountAssignment(context.Context, *ssoadmin.CreateAccountAssignmentInput, ...func(*ssoadmin.Options)) (*ssoadmin.CreateAccountAssignmentOutput, error)
	DeleteAccountAssignment(context.Context, *ssoadmin.DeleteAccountAssignmentInput, ...func(*ssoadmin.Options)) (*ssoadmin.DeleteAccountAssignmentOutput, error)
	DescribeAccountAssignmentCreationStatus(context.Context, *ssoadmin.DescribeAccountAssignmentCreationStatusInput, ...func(*ssoadmin.Options)) (*ssoadmin.DescribeAccountAssignmentCreationStatusOutput, error)
	DescribeAccountAssignmentDeletionStatus(context.Context, *ssoadmin.DescribeAccountAssignmentDeletionStatusInput, ...func(*ssoadmin.Options)) (*ssoadmin.DescribeAccountAssignmentDeletionStatusOutput, error)
	ListAccountAssignments(context.Context, *ssoadmin.ListAccountAssignmentsInput, ...func(*ssoadmin.Options)) (*ssoadmin.ListAccountAssignmentsOutput, error)
	DescribePermissionSet(context.Context, *ssoadmin.DescribePermissionSetInput, ...func(*ssoadmin.Options)) (*ssoadmin.DescribePermissionSetOutput, error)
	ListPermissionSets(context.Context, *ssoadmin.ListPermissionSetsInput, ...func(*ssoadmin.Options)) (*ssoadmin.ListPermissionSetsOutput, error)
}

// ssoError wraps an sso-admin error with what was being done and classifies it: conflicts
// (another operation on the assignment in progress), throttling and server errors are retried.
func ssoError(what string, err error) error {
	var ce *types.ConflictException
	var te *types.ThrottlingException
	var ie *types.InternalServerException
	var ve *types.ValidationException
	var ad *types.AccessDeniedException
	wrapped := fmt.Errorf("sso-admin %s: %w", what, err)
	switch {
	case errors.As(err, &ce), errors.As(err, &te), errors.As(err, &ie):
		return errs.Retryable(wrapped)
	case errors.As(err, &ve):
		return &errs.InvalidInputError{Err: wrapped}
	case errors.As(err, &ad):
		return &errs.ConfigError{Err: fmt.Errorf("%w (check identityCenter.instanceArn and the grant function's permissions)", wrapped)}
	}
	return wrapped
}

// permissionSetArn finds the permission set named name.
func (s *Service) permissionSetArn(ctx context.Context, name string) (string, error) {
	var token *string
	for {
		page, err := s.SSO.ListPermissionSets(ctx, &ssoadmin.ListPermissionSetsInput{InstanceArn: aws.String(s.InstanceArn), MaxResults: aws.Int32(100), NextToken: token})
		if err != nil {
			return "", ssoError("ListPermissionSets", err)
		}
		for _, arn := range page.PermissionSets {
			d, err := s.SSO.DescribePermissionSet(ctx, &ssoadmin.DescribePermissionSetInput{InstanceArn: aws.String(s.InstanceArn), PermissionSetArn: aws.String(arn)})
			if err != nil {
				return "", ssoError("DescribePermissionSet "+arn, err)
			}
			if d.PermissionSet != nil && aws.ToString(d.PermissionSet.Name) == name {
				return arn, nil
			}
		}
		if page.NextToken == nil {
			return "", errs.Invalid("no permission set named %q in %s", name, s.InstanceArn)
		}
		token = page.NextToken
	}
}

func (s *Service) assigned(ctx context.Context, g *Resolved) (bool, error) {
	var token *string
	for {
		page, err := s.SSO.ListAccountAssignments(ctx, &ssoadmin.ListAccountAssignmentsInput{
			InstanceArn: aws.String(s.InstanceArn), AccountId: aws.String(g.AccountID), PermissionSetArn: aws.String(g.PermissionSetArn),
			MaxResults: aws.Int32(100), NextToken: token,
		})
		if err != nil {
			return false, ssoError("ListAccountAssignments "+g.AccountID, err)
		}
		for _, a := range page.AccountAssignments {
			if a.PrincipalType == types.PrincipalTypeUser && aws.ToString(a.PrincipalId) == g.UserID {
				return true, nil
			}
		}
		if page.NextToken == nil {
			return false, nil
		}
		token = page.NextToken
	}
}

// Create starts CreateAccountAssignment. An assignment already in place is not created again:
// it is SUCCEEDED at once, and preexisting when no other running grant holds it.
func (s *Service) Create(ctx context.Context, ev Event) (*Op, error) {
	g := ev.State.Grant
	ok, err := s.assigned(ctx, g)
	if err != nil {
		return nil, err
	}
	if ok {
		pre, err := s.preexisting(ctx, ev)
		if err != nil {
			return nil, err
		}
		s.Log.InfoContext(ctx, "assignment already in place", "grant", ev.State.GrantID, "preexisting", pre)
		return &Op{Status: "SUCCEEDED", Preexisting: pre}, nil
	}
	out, err := s.SSO.CreateAccountAssignment(ctx, &ssoadmin.CreateAccountAssignmentInput{
		InstanceArn: aws.String(s.InstanceArn), PermissionSetArn: aws.String(g.PermissionSetArn),
		PrincipalId: aws.String(g.UserID), PrincipalType: types.PrincipalTypeUser,
		TargetId: aws.String(g.AccountID), TargetType: types.TargetTypeAwsAccount,
	})
	if err != nil {
		return nil, ssoError(fmt.Sprintf("CreateAccountAssignment %s %s for %s", g.AccountID, g.PermissionSetName, g.UserName), err)
	}
	op := fromStatus(out.AccountAssignmentCreationStatus, 0)
	op.Changed = true
	s.Log.InfoContext(ctx, "assignment creation started", "grant", ev.State.GrantID, "requestId", op.RequestID, "status", op.Status)
	return op, nil
}

// PollCreation reads the creation's status once.
func (s *Service) PollCreation(ctx context.Context, ev Event) (*Op, error) {
	prev := ev.State.Op
	out, err := s.SSO.DescribeAccountAssignmentCreationStatus(ctx, &ssoadmin.DescribeAccountAssignmentCreationStatusInput{
		InstanceArn: aws.String(s.InstanceArn), AccountAssignmentCreationRequestId: aws.String(prev.RequestID),
	})
	if err != nil {
		return nil, ssoError("DescribeAccountAssignmentCreationStatus "+prev.RequestID, err)
	}
	op := fromStatus(out.AccountAssignmentCreationStatus, prev.Polls+1)
	op.Changed = prev.Changed
	return op, nil
}

// Delete starts DeleteAccountAssignment; an assignment already gone is done at once.
func (s *Service) Delete(ctx context.Context, ev Event) (*Op, error) {
	g := ev.State.Grant
	ok, err := s.assigned(ctx, g)
	if err != nil {
		return nil, err
	}
	if !ok {
		return &Op{Status: "SUCCEEDED"}, nil
	}
	out, err := s.SSO.DeleteAccountAssignment(ctx, &ssoadmin.DeleteAccountAssignmentInput{
		InstanceArn: aws.String(s.InstanceArn), PermissionSetArn: aws.String(g.PermissionSetArn),
		PrincipalId: aws.String(g.UserID), PrincipalType: types.PrincipalTypeUser,
		TargetId: aws.String(g.AccountID), TargetType: types.TargetTypeAwsAccount,
	})
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) {
		return &Op{Status: "SUCCEEDED"}, nil // removed meanwhile
	}
	if err != nil {
		return nil, ssoError(fmt.Sprintf("DeleteAccountAssignment %s %s for %s", g.AccountID, g.PermissionSetName, g.UserName), err)
	}
	op := fromStatus(out.AccountAssignmentDeletionStatus, 0)
	op.Changed = true
	return op, nil
}

// PollDeletion reads the deletion's status once.
func (s *Service) PollDeletion(ctx context.Context, ev Event) (*Op, error) {
	prev := ev.State.Op
	out, err := s.SSO.DescribeAccountAssignmentDeletionStatus(ctx, &ssoadmin.DescribeAccountAssignmentDeletionStatusInput{
		InstanceArn: aws.String(s.InstanceArn), AccountAssignmentDeletionRequestId: aws.String(prev.RequestID),
	})
	if err != nil {
		return nil, ssoError("DescribeAccountAssignmentDeletionStatus "+prev.RequestID, err)
	}
	op := fromStatus(out.AccountAssignmentDeletionStatus, prev.Polls+1)
	op.Changed = prev.Changed
	return op, nil
}

func fromStatus(st *types.AccountAssignmentOperationStatus, polls int) *Op {
	if st == nil {
		return &Op{Status: "FAILED", FailureReason: "Identity Center returned no operation status", Polls: polls}
	}
	op := &Op{RequestID: aws.ToString(st.RequestId), Status: string(st.Status), FailureReason: aws.ToString(st.FailureReason), Polls: polls}
	if op.Status == "FAILED" && op.FailureReason == "" {
		op.FailureReason = "Identity Center reported FAILED without a reason"
	}
	return op
}
