package parallel_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/ssoflow/ssoflow/functions/internal/parallel"
)

func TestForEachVisitsEveryIndexOnceWithinTheBound(t *testing.T) {
	const n, workers = 500, 4
	seen := make([]atomic.Int32, n)
	var running, peak atomic.Int32
	err := parallel.ForEach(context.Background(), n, workers, func(_ context.Context, i int) error {
		r := running.Add(1)
		for {
			p := peak.Load()
			if r <= p || peak.CompareAndSwap(p, r) {
				break
			}
		}
		seen[i].Add(1)
		running.Add(-1)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range seen {
		if seen[i].Load() != 1 {
			t.Fatalf("index %d visited %d times", i, seen[i].Load())
		}
	}
	if peak.Load() > workers {
		t.Errorf("%d calls ran at once, bound is %d", peak.Load(), workers)
	}
}

func TestForEachStopsAtTheFirstError(t *testing.T) {
	boom := errors.New("boom")
	var calls atomic.Int32
	err := parallel.ForEach(context.Background(), 10_000, 2, func(ctx context.Context, i int) error {
		calls.Add(1)
		if i == 3 {
			return boom
		}
		return ctx.Err()
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if c := calls.Load(); c >= 10_000 {
		t.Errorf("all %d indexes ran after the error", c)
	}
}

func TestForEachHonoursACancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var calls atomic.Int32
	err := parallel.ForEach(ctx, 100, 3, func(context.Context, int) error { calls.Add(1); return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if calls.Load() > 3 {
		t.Errorf("%d calls after cancellation", calls.Load())
	}
}
