// Package parallel runs indexed work on a bounded number of goroutines: the shape every
// "read N things, at most K at a time, stop at the first error" loop in ssoflow has.
package parallel

import (
	"context"
	"sync"
)

// ForEach calls fn for i in [0, n) on at most workers goroutines (at least one). The first
// error cancels the context fn receives, no new index is started, and that error is returned
// once the running calls have returned. A cancelled parent context stops it the same way.
func ForEach(ctx context.Context, n, workers int, fn func(ctx context.Context, i int) error) error {
	if n == 0 {
		return ctx.Err()
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(1, min(workers, n)) {
		wg.Go(func() {
			for i := range next {
				if err := fn(ctx, i); err != nil {
					cancel(err)
				}
			}
		})
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	return context.Cause(ctx)
}
