// Package identitystore reads (and, for just-in-time access, writes) IAM Identity Center's
// identity store for the pipeline. It talks to the service through small interfaces that
// *identitystore.Client from the AWS SDK satisfies, retries ThrottlingException honouring the
// service's RetryAfterSeconds and ConflictException CONCURRENT_MODIFICATION (nothing was done),
// and turns ResourceNotFoundException into ErrNotFound: a user deleted between the event and the
// read is a normal case, not a failure.
package identitystore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	sdk "github.com/aws/aws-sdk-go-v2/service/identitystore"
	"github.com/aws/aws-sdk-go-v2/service/identitystore/types"
)

// ErrNotFound means the user, group or membership does not exist (any more).
var ErrNotFound = errors.New("not found in the identity store")

// User is an identity store user as the pipeline needs it.
type User struct {
	ID          string `json:"id"`
	UserName    string `json:"userName"`
	Email       string `json:"email,omitempty"` // the primary e-mail, else the first one
	DisplayName string `json:"displayName,omitempty"`
}

// Group is an identity store group.
type Group struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
}

// ReadAPI is the part of the identity store API the Reader uses.
type ReadAPI interface {
	DescribeUser(context.Context, *sdk.DescribeUserInput, ...func(*sdk.Options)) (*sdk.DescribeUserOutput, error)
	DescribeGroup(context.Context, *sdk.DescribeGroupInput, ...func(*sdk.Options)) (*sdk.DescribeGroupOutput, error)
	GetGroupId(context.Context, *sdk.GetGroupIdInput, ...func(*sdk.Options)) (*sdk.GetGroupIdOutput, error)
	GetUserId(context.Context, *sdk.GetUserIdInput, ...func(*sdk.Options)) (*sdk.GetUserIdOutput, error)
	ListGroupMemberships(context.Context, *sdk.ListGroupMembershipsInput, ...func(*sdk.Options)) (*sdk.ListGroupMembershipsOutput, error)
	IsMemberInGroups(context.Context, *sdk.IsMemberInGroupsInput, ...func(*sdk.Options)) (*sdk.IsMemberInGroupsOutput, error)
}

// WriteAPI is the part of the identity store API the Writer uses.
type WriteAPI interface {
	GetGroupMembershipId(context.Context, *sdk.GetGroupMembershipIdInput, ...func(*sdk.Options)) (*sdk.GetGroupMembershipIdOutput, error)
	CreateGroupMembership(context.Context, *sdk.CreateGroupMembershipInput, ...func(*sdk.Options)) (*sdk.CreateGroupMembershipOutput, error)
	DeleteGroupMembership(context.Context, *sdk.DeleteGroupMembershipInput, ...func(*sdk.Options)) (*sdk.DeleteGroupMembershipOutput, error)
}

// Options tune retries and concurrency. The zero value gives the defaults.
type Options struct {
	// MaxAttempts bounds the attempts of one call that is throttled (default 5).
	MaxAttempts int
	// MaxWait caps one wait between throttled attempts (default 20s), whatever
	// RetryAfterSeconds asks for.
	MaxWait time.Duration
	// Concurrency bounds the parallel DescribeUser calls of GroupMembers (default 4).
	Concurrency int
	// Sleep waits d or until ctx ends; nil means a real timer. Tests record the waits.
	Sleep func(ctx context.Context, d time.Duration) error
}

func (o Options) withDefaults() Options {
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	if o.MaxWait <= 0 {
		o.MaxWait = 20 * time.Second
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	return o
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

// Reader reads one identity store.
type Reader struct {
	api     ReadAPI
	storeID string
	opts    Options
}

// NewReader returns a Reader of identity store storeID (d-xxxxxxxxxx) through api.
func NewReader(api ReadAPI, storeID string, opts Options) *Reader {
	return &Reader{api: api, storeID: storeID, opts: opts.withDefaults()}
}

// Writer changes group memberships of one identity store.
type Writer struct {
	api     WriteAPI
	storeID string
	opts    Options
}

// NewWriter returns a Writer of identity store storeID through api.
func NewWriter(api WriteAPI, storeID string, opts Options) *Writer {
	return &Writer{api: api, storeID: storeID, opts: opts.withDefaults()}
}

// WithoutThrottleRetries is an SDK client option that leaves ThrottlingException to this
// package, which honours RetryAfterSeconds, instead of the SDK's standard retryer, which would
// retry it on its own backoff first (multiplying the attempts). Other transient errors keep the
// SDK's retries. Use it with identitystore.NewFromConfig.
func WithoutThrottleRetries(o *sdk.Options) {
	o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
		notThrottle := retry.IsErrorRetryableFunc(func(err error) aws.Ternary {
			var te *types.ThrottlingException
			if errors.As(err, &te) {
				return aws.FalseTernary
			}
			return aws.UnknownTernary
		})
		so.Retryables = append([]retry.IsErrorRetryable{notThrottle}, so.Retryables...)
	})
}

// TemporaryError is a failure worth retrying later: throttling that outlasted the retries, or
// a server error. errs.Classify turns it into a RetryableError.
type TemporaryError struct {
	Op  string
	Err error
}

func (e *TemporaryError) Error() string {
	return fmt.Sprintf("identity store %s: temporary failure: %v", e.Op, e.Err)
}
func (e *TemporaryError) Unwrap() error   { return e.Err }
func (e *TemporaryError) Temporary() bool { return true }
