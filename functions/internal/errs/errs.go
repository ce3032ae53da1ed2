// Package errs defines the error types that cross the Lambda handler boundary. Step Functions'
// Retry and Catch match on the error's type name (the Lambda runtime reports it as errorType),
// so each type here is a contract with statemachines/*.asl.json: rename one and the ASL must
// follow. Inside the domain packages errors are wrapped with context; handlers classify them
// into one of these at the boundary with Classify.
package errs

import (
	"context"
	"errors"
	"fmt"
	"net"
)

// RetryableError is a transient failure (throttling, 5xx, timeouts): the state machine retries it
// with backoff.
type RetryableError struct{ Err error }

func (e *RetryableError) Error() string { return e.Err.Error() }
func (e *RetryableError) Unwrap() error { return e.Err }

// InvalidInputError means the input can never succeed as it is (a malformed event, a user name
// that is not a safe database identifier): it is not retried and goes to the notification path.
type InvalidInputError struct{ Err error }

func (e *InvalidInputError) Error() string { return e.Err.Error() }
func (e *InvalidInputError) Unwrap() error { return e.Err }

// NotProvisionedError means a principal the change needs does not exist in the target yet
// (a user Okta has not pushed to Identity Center): retried for a bounded time, then notified.
type NotProvisionedError struct{ Err error }

func (e *NotProvisionedError) Error() string { return e.Err.Error() }
func (e *NotProvisionedError) Unwrap() error { return e.Err }

// ConfigError means the deployment's configuration is wrong (a missing secret, a bad mapping):
// not retried, notified so a person fixes the configuration and replays.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// PlanGoneError means the plan a step was handed is gone (a chunk past its lifetime): rerunning
// the step cannot help, planning again can. Not retried; `ssoflow replay` starts the execution
// anew instead of redriving it.
type PlanGoneError struct{ Err error }

func (e *PlanGoneError) Error() string { return e.Err.Error() }
func (e *PlanGoneError) Unwrap() error { return e.Err }

// Retryable wraps err as a RetryableError.
func Retryable(err error) error { return &RetryableError{Err: err} }

// Invalid returns an InvalidInputError with a formatted message.
func Invalid(format string, args ...any) error {
	return &InvalidInputError{Err: fmt.Errorf(format, args...)}
}

// Temporary is implemented by errors from the outside-system clients that know whether a
// failure is worth retrying (HTTP 429/5xx, SDK throttling).
type Temporary interface{ Temporary() bool }

// Classify turns any error into one of the boundary types. Errors already classified pass
// through; context deadlines, network errors and errors that say they are temporary become
// RetryableError; everything else is returned unchanged, which the Lambda runtime reports
// under its own type name and the state machine catches with States.ALL.
func Classify(err error) error {
	if err == nil {
		return nil
	}
	var r *RetryableError
	var i *InvalidInputError
	var n *NotProvisionedError
	var c *ConfigError
	var g *PlanGoneError
	if errors.As(err, &r) || errors.As(err, &i) || errors.As(err, &n) || errors.As(err, &c) || errors.As(err, &g) {
		return err
	}
	var t Temporary
	if errors.As(err, &t) && t.Temporary() {
		return &RetryableError{Err: err}
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) {
		return &RetryableError{Err: err}
	}
	return err
}
