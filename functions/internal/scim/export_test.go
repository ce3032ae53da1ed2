package scim

import (
	"context"
	"sync"
	"time"
)

// RecordSleeps replaces the client's wait between retries with one that records the requested
// durations and returns at once, so tests can assert on what Retry-After asked for without
// timing anything.
func RecordSleeps(c *Client) func() []time.Duration {
	var mu sync.Mutex
	var got []time.Duration
	c.sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, d)
		return ctx.Err()
	}
	return func() []time.Duration {
		mu.Lock()
		defer mu.Unlock()
		return append([]time.Duration(nil), got...)
	}
}
