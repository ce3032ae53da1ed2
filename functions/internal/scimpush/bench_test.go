package scimpush_test

import (
	"context"
	"testing"
)

// BenchmarkPushSteadyState measures a warm Lambda's cost per membership event in SCIM
// requests: "repeat" replays an event that is already converged (duplicates, replays),
// "toggle" alternates add and remove so every event must PATCH.
func BenchmarkPushSteadyState(b *testing.B) {
	for _, mode := range []string{"repeat", "toggle"} {
		b.Run(mode, func(b *testing.B) {
			e := setup(b)
			e.emu.AddUser("bench@example.com", "00u-bench")
			e.emu.AddGroup("AWS_Bench")
			ctx := context.Background()
			if _, err := e.pusher.Push(ctx, push("bench@example.com", "AWS_Bench", true)); err != nil {
				b.Fatal(err) // warms the group cache
			}
			e.emu.ResetCounters()
			member := true
			for i := 0; b.Loop(); i++ {
				if mode == "toggle" {
					member = i%2 == 1
				}
				if _, err := e.pusher.Push(ctx, push("bench@example.com", "AWS_Bench", member)); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(e.emu.TotalRequests())/float64(b.N), "requests/event")
			b.ReportMetric(float64(e.emu.Requests("PATCH /Groups/{id}"))/float64(b.N), "patches/event")
		})
	}
}
