package dbconn

import (
	"context"
	"errors"
	"testing"
	"time"
)

// fakeClock advances only when the limiter sleeps, so the test is exact and instant.
type fakeClock struct {
	now   time.Time
	slept []time.Duration
}

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) Sleep(_ context.Context, d time.Duration) error {
	c.slept = append(c.slept, d)
	c.now = c.now.Add(d)
	return nil
}

func TestLimiterBurstThenRate(t *testing.T) {
	clk := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := NewLimiter(10, 3)
	l.now, l.sleep = clk.Now, clk.Sleep
	for i := 0; i < 6; i++ {
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	// Three immediately, then one every 100ms.
	want := []time.Duration{100 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond}
	if len(clk.slept) != len(want) {
		t.Fatalf("slept %v, want %v", clk.slept, want)
	}
	for i := range want {
		if clk.slept[i] != want[i] {
			t.Fatalf("slept %v, want %v", clk.slept, want)
		}
	}
	// After a quiet second the burst is available again.
	clk.now = clk.now.Add(time.Second)
	clk.slept = nil
	for i := 0; i < 3; i++ {
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if len(clk.slept) != 0 {
		t.Fatalf("slept %v after idle, want no wait", clk.slept)
	}
}

func TestLimiterHonoursContext(t *testing.T) {
	l := NewLimiter(1, 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Wait(ctx); err != nil {
		t.Fatalf("first wait needs no sleep: %v", err)
	}
	if err := l.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("second wait on a cancelled context: %v", err)
	}
}

func TestDefaultRateWellUnderRDSLimit(t *testing.T) {
	if DefaultRate > 100 || DefaultLimiter.interval < time.Second/100 {
		t.Fatalf("default limiter allows %d/s (interval %v); RDS allows 200 new IAM connections/s", DefaultRate, DefaultLimiter.interval)
	}
}
