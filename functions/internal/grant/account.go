package grant

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/ssoflow/ssoflow/functions/internal/errs"
)

// OrganizationsAPI is the part of the AWS Organizations client Validate uses.
type OrganizationsAPI interface {
	DescribeAccount(context.Context, *organizations.DescribeAccountInput, ...func(*organizations.Options)) (*organizations.DescribeAccountOutput, error)
}

// checkAccount makes sure the account exists in the organization and is active, so that a
// grant for an unknown, suspended or closing account fails in Validate, before anything is
// created. Without Organizations read access (ssoflow in a delegated administrator account
// whose role may not call DescribeAccount, or Organizations not in use) the check is skipped:
// a warning is logged once per process, and Identity Center's own status of the assignment
// (FAILED for an account outside the organization) remains the check.
func (s *Service) checkAccount(ctx context.Context, id string) error {
	if s.Orgs == nil {
		return &errs.ConfigError{Err: fmt.Errorf("the grant service has no Organizations client to check account %s with", id)}
	}
	out, err := s.Orgs.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String(id)})
	if err != nil {
		return s.orgsError(ctx, id, err)
	}
	if out.Account == nil {
		return fmt.Errorf("organizations DescribeAccount %s: the answer has no account", id)
	}
	if state := accountState(out.Account); state != string(orgtypes.AccountStateActive) {
		name := id
		if n := aws.ToString(out.Account.Name); n != "" {
			name += " (" + n + ")"
		}
		return errs.Invalid("account %s is %s in the organization, not ACTIVE: no access can be granted to it", name, state)
	}
	return nil
}

// accountState is the account's lifecycle state. Organizations retired Account.Status in favour
// of Account.State (September 2026); Status is read only when State is absent.
func accountState(a *orgtypes.Account) string {
	if a.State != "" {
		return string(a.State)
	}
	if a.Status != "" {
		return string(a.Status)
	}
	return "in an unknown state"
}

// orgsError classifies a DescribeAccount error. A denial returns nil: the check is skipped.
func (s *Service) orgsError(ctx context.Context, id string, err error) error {
	var nf *orgtypes.AccountNotFoundException
	var denied *orgtypes.AccessDeniedException
	var notInUse *orgtypes.AWSOrganizationsNotInUseException
	var tooMany *orgtypes.TooManyRequestsException
	var svcErr *orgtypes.ServiceException
	var invalid *orgtypes.InvalidInputException
	wrapped := fmt.Errorf("organizations DescribeAccount %s: %w", id, err)
	switch {
	case errors.As(err, &nf):
		return &errs.InvalidInputError{Err: fmt.Errorf("account %s is not in the organization: %w", id, err)}
	case errors.As(err, &invalid):
		return &errs.InvalidInputError{Err: wrapped}
	case errors.As(err, &denied), errors.As(err, &notInUse):
		s.orgsWarning.Do(func() {
			s.Log.WarnContext(ctx, "cannot read AWS Organizations: accounts are not checked before a grant; "+
				"Identity Center's assignment status still fails a grant for an account outside the organization "+
				"(allow organizations:DescribeAccount, or register this account as a delegated administrator for Organizations)",
				"account", id, "error", err)
		})
		return nil
	case errors.As(err, &tooMany), errors.As(err, &svcErr):
		return errs.Retryable(wrapped)
	}
	return wrapped
}
