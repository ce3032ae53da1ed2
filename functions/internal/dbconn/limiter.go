package dbconn

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// RDS accepts at most 200 new IAM-authenticated connections per second per instance; the
// provisioner needs a handful. DefaultLimiter allows 20 per second (burst 5) per process.
const (
	DefaultRate  = 20
	DefaultBurst = 5
)

// DefaultLimiter is shared by every pool that is not given its own limiter.
var DefaultLimiter = NewLimiter(DefaultRate, DefaultBurst)

// Limiter is a token bucket for new connections: burst connections at once, then one every
// 1/rate seconds.
type Limiter struct {
	mu       sync.Mutex
	interval time.Duration
	burst    int
	// next is the earliest time the bucket is full again minus what has been reserved: a
	// reservation takes slot max(now, next-burst*interval) and moves next by one interval.
	next  time.Time
	now   func() time.Time
	sleep func(context.Context, time.Duration) error
}

// NewLimiter returns a limiter allowing rate new connections per second with the given burst.
func NewLimiter(rate, burst int) *Limiter {
	if rate < 1 {
		rate = 1
	}
	if burst < 1 {
		burst = 1
	}
	return &Limiter{interval: time.Second / time.Duration(rate), burst: burst, now: time.Now, sleep: sleepCtx}
}

// reserve books the next slot and returns how long the caller must wait for it.
func (l *Limiter) reserve() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	earliest := now.Add(-time.Duration(l.burst-1) * l.interval)
	if l.next.Before(earliest) {
		l.next = earliest
	}
	wait := l.next.Sub(now)
	l.next = l.next.Add(l.interval)
	if wait < 0 {
		return 0
	}
	return wait
}

// Wait blocks until a new connection may be made, or ctx is done.
func (l *Limiter) Wait(ctx context.Context) error {
	if d := l.reserve(); d > 0 {
		if err := l.sleep(ctx, d); err != nil {
			return fmt.Errorf("rate limit wait of %v: %w", d, err)
		}
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
