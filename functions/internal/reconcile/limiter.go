package reconcile

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultRequestsPerSecond is the share of Identity Center's roughly 20 requests/s (shared by
// every Identity Center API of the account) that one reconcile run takes, leaving room for the
// event-driven pipeline running at the same time.
const DefaultRequestsPerSecond = 10

// Limiter is a token bucket shared by every request a run makes to Identity Center, SCIM and
// identity store alike: whatever the concurrency, the run stays under the rate. Retries go
// through it too, because the service counts them.
type Limiter struct {
	mu     sync.Mutex
	rate   float64 // tokens per second; <= 0 means unlimited
	burst  float64
	tokens float64
	last   time.Time
	now    func() time.Time
	sent   atomic.Int64
}

// NewLimiter returns a limiter admitting perSecond requests per second on average, and bursts
// of up to burst (at least 1). perSecond <= 0 admits everything (tests against emulators).
func NewLimiter(perSecond float64, burst int) *Limiter {
	b := float64(max(burst, 1))
	return &Limiter{rate: perSecond, burst: b, tokens: b, now: time.Now}
}

// Wait blocks until a request may be sent, or ctx ends.
func (l *Limiter) Wait(ctx context.Context) error {
	l.sent.Add(1)
	if l.rate <= 0 {
		return nil
	}
	for {
		l.mu.Lock()
		now := l.now()
		if !l.last.IsZero() {
			l.tokens = min(l.burst, l.tokens+now.Sub(l.last).Seconds()*l.rate)
		}
		l.last = now
		if l.tokens >= 1 {
			l.tokens--
			l.mu.Unlock()
			return nil
		}
		wait := time.Duration((1 - l.tokens) / l.rate * float64(time.Second))
		l.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("waiting for the Identity Center rate limiter: %w", context.Cause(ctx))
		case <-t.C:
		}
	}
}

// Sent is how many requests went through the limiter.
func (l *Limiter) Sent() int64 { return l.sent.Load() }

// Transport returns an http.RoundTripper that waits for the limiter before each request sent
// through base (http.DefaultTransport when nil).
func (l *Limiter) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return limited{l: l, base: base}
}

// Client is an *http.Client whose requests go through the limiter.
func (l *Limiter) Client(base http.RoundTripper) *http.Client {
	return &http.Client{Transport: l.Transport(base), Timeout: 60 * time.Second}
}

type limited struct {
	l    *Limiter
	base http.RoundTripper
}

func (t limited) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := t.l.Wait(r.Context()); err != nil {
		return nil, err
	}
	return t.base.RoundTrip(r)
}
