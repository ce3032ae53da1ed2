package identitystore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/identitystore/types"

	"github.com/ssoflow/ssoflow/functions/internal/errs"
)

// fallbackWait is the first wait when the service does not say how long (a ThrottlingException
// without RetryAfterSeconds, a concurrent modification); it doubles with each attempt.
const fallbackWait = 200 * time.Millisecond

// call runs fn, retrying what the service says is worth retrying up to opts.MaxAttempts times:
// ThrottlingException, waiting what it asks (RetryAfterSeconds, capped by opts.MaxWait), and
// ConflictException with reason CONCURRENT_MODIFICATION ("the requested resource was being
// concurrently modified by another request": nothing was done). It gives up with a
// TemporaryError when the attempts are spent or the wait would outlast ctx's deadline. what
// names the call and its subject for error messages ("DescribeUser 1234…").
func call[T any](ctx context.Context, opts Options, what string, fn func(context.Context) (T, error)) (T, error) {
	var zero T
	for attempt := 1; ; attempt++ {
		out, err := fn(ctx)
		if err == nil {
			return out, nil
		}
		why, wait, ok := retryable(err)
		if !ok {
			return zero, classify(what, err)
		}
		if attempt >= opts.MaxAttempts {
			return zero, &TemporaryError{Op: what, Err: fmt.Errorf("%s %d times: %w", why, attempt, err)}
		}
		if wait <= 0 {
			wait = fallbackWait << (attempt - 1)
		}
		wait = min(wait, opts.MaxWait)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return zero, &TemporaryError{Op: what, Err: fmt.Errorf("%s, retry after %s exceeds the deadline: %w", why, wait, err)}
		}
		if serr := opts.Sleep(ctx, wait); serr != nil {
			return zero, &TemporaryError{Op: what, Err: fmt.Errorf("waiting after %s: %w", why, serr)}
		}
	}
}

// retryable says whether err is worth retrying here, why (for messages), and how long the
// service asked to wait (0: not said).
func retryable(err error) (why string, wait time.Duration, ok bool) {
	var te *types.ThrottlingException
	if errors.As(err, &te) {
		return "throttled", time.Duration(te.RetryAfterSeconds) * time.Second, true
	}
	if concurrentModification(err) {
		return "concurrently modified", 0, true
	}
	return "", 0, false
}

// concurrentModification reports a ConflictException whose reason is CONCURRENT_MODIFICATION.
func concurrentModification(err error) bool {
	var ce *types.ConflictException
	return errors.As(err, &ce) && ce.Reason == types.ConflictExceptionReasonConcurrentModification
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
