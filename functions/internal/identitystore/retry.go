package identitystore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/identitystore/types"

	"github.com/ssoflow/ssoflow/functions/internal/errs"
)

// fallbackWait is the first wait when a ThrottlingException carries no RetryAfterSeconds; it
// doubles with each attempt.
const fallbackWait = 200 * time.Millisecond

// call runs fn, retrying ThrottlingException up to opts.MaxAttempts times, waiting what the
// service asks (RetryAfterSeconds, capped by opts.MaxWait). It gives up early, with a
// TemporaryError, when the wait would outlast ctx's deadline. what names the call and its
// subject for error messages ("DescribeUser 1234…").
func call[T any](ctx context.Context, opts Options, what string, fn func(context.Context) (T, error)) (T, error) {
	var zero T
	for attempt := 1; ; attempt++ {
		out, err := fn(ctx)
		if err == nil {
			return out, nil
		}
		var te *types.ThrottlingException
		if !errors.As(err, &te) {
			return zero, classify(what, err)
		}
		if attempt >= opts.MaxAttempts {
			return zero, &TemporaryError{Op: what, Err: fmt.Errorf("throttled %d times: %w", attempt, err)}
		}
		wait := time.Duration(te.RetryAfterSeconds) * time.Second
		if wait <= 0 {
			wait = fallbackWait << (attempt - 1)
		}
		wait = min(wait, opts.MaxWait)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return zero, &TemporaryError{Op: what, Err: fmt.Errorf("throttled, retry after %s exceeds the deadline: %w", wait, err)}
		}
		if serr := opts.Sleep(ctx, wait); serr != nil {
			return zero, &TemporaryError{Op: what, Err: fmt.Errorf("waiting after throttling: %w", serr)}
		}
	}
}

// classify wraps an SDK error with context and says what kind of failure it is.
func classify(what string, err error) error {
	var nf *types.ResourceNotFoundException
	var ad *types.AccessDeniedException
	var ve *types.ValidationException
	var ise *types.InternalServerException
	switch {
	case errors.As(err, &nf) && nf.ResourceType == types.ResourceTypeIdentityStore:
		// The configured identity store does not exist: never "the user was deleted".
		return &errs.ConfigError{Err: fmt.Errorf("identity store %s: wrong identity store id: %w", what, err)}
	case errors.As(err, &nf):
		return fmt.Errorf("identity store %s: %w: %w", what, ErrNotFound, err)
	case errors.As(err, &ad):
		return &errs.ConfigError{Err: fmt.Errorf("identity store %s: access denied (check the function's role): %w", what, err)}
	case errors.As(err, &ve):
		return &errs.InvalidInputError{Err: fmt.Errorf("identity store %s: rejected: %w", what, err)}
	case errors.As(err, &ise):
		return &TemporaryError{Op: what, Err: err}
	default:
		return fmt.Errorf("identity store %s: %w", what, err)
	}
}
