package identitystore_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/ssoflow/ssoflow/functions/internal/errs"
	"github.com/ssoflow/ssoflow/functions/internal/identitystore"
)

func TestThrottlingHonoursRetryAfter(t *testing.T) {
	e := newEnv(t)
	uid := e.user(t, "alice")
	e.emu.SetRetryAfterSeconds(3)
	e.emu.FailNext(2)

	u, err := e.reader().DescribeUser(context.Background(), uid)
	if err != nil || u.ID != uid {
		t.Fatalf("DescribeUser = %+v, %v", u, err)
	}
	if got, want := e.sleeps.got(), []time.Duration{3 * time.Second, 3 * time.Second}; !slices.Equal(got, want) {
		t.Errorf("waits = %v, want %v", got, want)
	}
	if n := e.emu.Requests("DescribeUser"); n != 3 {
		t.Errorf("DescribeUser requests = %d, want 3", n)
	}
}

func TestThrottlingWaitIsCapped(t *testing.T) {
	e := newEnv(t)
	uid := e.user(t, "alice")
	e.emu.SetRetryAfterSeconds(600)
	e.emu.FailNext(1)
	e.opts.MaxWait = 2 * time.Second

	if _, err := e.reader().DescribeUser(context.Background(), uid); err != nil {
		t.Fatalf("DescribeUser: %v", err)
	}
	if got := e.sleeps.got(); !slices.Equal(got, []time.Duration{2 * time.Second}) {
		t.Errorf("waits = %v, want [2s]", got)
	}
}

func TestThrottlingGivesUpWithTemporaryError(t *testing.T) {
	e := newEnv(t)
	uid := e.user(t, "alice")
	e.emu.FailNext(100)
	e.opts.MaxAttempts = 3

	_, err := e.reader().DescribeUser(context.Background(), uid)
	var te *identitystore.TemporaryError
	if !errors.As(err, &te) {
		t.Fatalf("error = %v, want a TemporaryError", err)
	}
	var r *errs.RetryableError
	if !errors.As(errs.Classify(err), &r) {
		t.Errorf("errs.Classify(%v) is not a RetryableError", err)
	}
	if n := e.emu.Requests("DescribeUser"); n != 3 {
		t.Errorf("DescribeUser requests = %d, want 3 (the SDK must not retry throttling itself)", n)
	}
	if n := len(e.sleeps.got()); n != 2 {
		t.Errorf("waits = %d, want 2", n)
	}
}

func TestThrottlingWaitBeyondDeadlineGivesUp(t *testing.T) {
	e := newEnv(t)
	uid := e.user(t, "alice")
	e.emu.SetRetryAfterSeconds(300)
	e.emu.FailNext(1)
	e.opts.MaxWait = time.Hour
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	_, err := e.reader().DescribeUser(ctx, uid)
	var te *identitystore.TemporaryError
	if !errors.As(err, &te) {
		t.Fatalf("error = %v, want a TemporaryError", err)
	}
	if n := len(e.sleeps.got()); n != 0 {
		t.Errorf("waited %d times for a retry the deadline does not allow", n)
	}
}
