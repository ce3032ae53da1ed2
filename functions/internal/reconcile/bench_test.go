package reconcile_test

import (
	"context"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ssoflow/ssoflow/functions/internal/reconcile"
)

// Issue 5, must show 3: reconcile of 10,000 users, 1,000 groups and 50,000 memberships with
// 1 % drift, against the emulators through the real clients. Run with
//
//	go test ./internal/reconcile/ -run '^$' -bench Reconcile10k -benchtime 1x
//
// It reports the requests made against the lower bound (every page that must be read, plus
// one PATCH per 100 changes of each changed group), the CPU time and the peak heap of the
// whole process (emulators included).
func BenchmarkReconcile10k(b *testing.B) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(10_000, 1))
	w, _, _, _, icG := seedDrifted(b, rng, 10_000, 1_000, 50, 0.01)
	// A large org's Okta limit for these endpoints; the emulator's default would (rightly)
	// have the run report 429s instead.
	w.okta.SetRateLimit(1_000_000)
	for b.Loop() {
		runtime.GC()
		var peak atomic.Uint64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			var ms runtime.MemStats
			for {
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
			}
		})
		cpu0 := cpuTime()
		okta0, scim0, ids0 := w.okta.Requests(""), w.scim.TotalRequests(), idsRequests(w)
		start := time.Now()
		plan, rep, err := w.reconciler(reconcile.Config{GroupPrefix: "AWS_", Force: true, Concurrency: 8}).Run(ctx, false)
		wall := time.Since(start)
		close(stop)
		wg.Wait()
		if err != nil || rep.Err() != nil {
			b.Fatalf("reconcile: %v %v", err, rep.Err())
		}
		oktaReq, scimReq, idsReq := w.okta.Requests("")-okta0, w.scim.TotalRequests()-scim0, idsRequests(w)-ids0
		// The floor: Okta group pages, Okta member pages, Identity Center group and user
		// pages, one membership page per group (100 per page), and the PATCHes.
		ceil := func(n, d int) int { return (n + d - 1) / d }
		floor, patches := ceil(1000, 200)+ceil(10_000, 100)+ceil(1000, 100), 0
		changes := 0
		for i, g := range plan.Groups {
			floor += max(1, ceil(g.OktaMembers, 200)) + max(1, ceil(g.Members, 100))
			changes += g.Changes()
			patches += ceil(g.Changes(), 100)
			_ = i
		}
		total := oktaReq + scimReq + idsReq
		b.ReportMetric(float64(total), "requests")
		b.ReportMetric(float64(floor+ceil(changes, 100)), "bound-brief")
		b.ReportMetric(float64(floor+patches), "bound-per-group")
		b.ReportMetric(float64(total)/float64(floor+patches), "ratio-per-group")
		b.ReportMetric(float64(total)/float64(floor+ceil(changes, 100)), "ratio-brief")
		b.ReportMetric(float64(changes), "changes")
		b.ReportMetric((cpuTime() - cpu0).Seconds(), "cpu-s")
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
		b.Logf("okta %d, scim %d, identity store %d requests; %d groups changed; %d groups in Identity Center", oktaReq, scimReq, idsReq, rep.Groups, len(icG))
	}
}

func idsRequests(w *world) int {
	n := 0
	for _, op := range []string{"ListUsers", "ListGroups", "ListGroupMemberships", "DescribeUser", "GetGroupId", "GetUserId", "IsMemberInGroups"} {
		n += w.ids.Requests(op)
	}
	return n
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
