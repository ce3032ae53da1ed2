package scimpush_test

import (
	"context"
	"testing"
	"time"

	"github.com/ssoflow/ssoflow/functions/internal/scimpush"
)

func TestGroupCacheTTL(t *testing.T) {
	e := setup(t)
	e.emu.AddUser("ttl@example.com", "")
	e.emu.AddGroup("AWS_TTL")
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	scimpush.SetClock(e.pusher, func() time.Time { return now })
	ctx := context.Background()
	lookups := func(step string, advance time.Duration, want int) {
		t.Helper()
		now = now.Add(advance)
		e.emu.ResetCounters()
		if _, err := e.pusher.Push(ctx, push("ttl@example.com", "AWS_TTL", true)); err != nil {
			t.Fatal(err)
		}
		// Group lookups by displayName and membership checks both GET /Groups: subtract the check.
		if got := e.emu.Requests("GET /Groups") - 1; got != want {
			t.Errorf("%s: %d group lookups, want %d", step, got, want)
		}
	}
	lookups("cold", 0, 1)
	lookups("warm", scimpush.DefaultGroupTTL/2, 0)
	lookups("expired", scimpush.DefaultGroupTTL, 1)
	lookups("warm again", time.Minute, 0)

	e.pusher.WithGroupTTL(0)
	lookups("cache disabled", 0, 1)
	lookups("cache disabled, again", 0, 1)
}
