package sandbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	ssoflow "github.com/ssoflow/ssoflow/functions"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/idstoreemu"
	"github.com/ssoflow/ssoflow/functions/internal/resolve"
	"github.com/ssoflow/ssoflow/functions/internal/sandbox"
)

// BenchmarkRequestsPerMembershipEvent counts the Okta and SCIM requests one membership event
// costs in steady state (warm Lambdas, caches filled): Resolve's Okta read plus the SCIM push,
// alternating add and remove so that every event must PATCH. Target: ≤ 4.
func BenchmarkRequestsPerMembershipEvent(b *testing.B) {
	ctx := context.Background()
	sb, err := sandbox.Start(ctx, sandbox.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer sb.Close()
	uid := sb.Okta.AddUser("jane@example.com")
	sb.SCIM.AddUser("jane@example.com", uid)
	gid := sb.Okta.AddGroup("AWS_Admins")
	sb.SCIM.AddGroup("AWS_Admins")

	event := func(i int, add bool) resolve.Input {
		typ := ssoflow.OktaMembershipRemove
		if add {
			typ = ssoflow.OktaMembershipAdd
		}
		detail, _ := json.Marshal(ssoflow.OktaMembershipEvent{EventID: fmt.Sprint(i), EventType: typ, Published: time.Now(),
			UserID: uid, UserLogin: "jane@example.com", GroupID: gid, GroupName: "AWS_Admins"})
		ev, _ := json.Marshal(map[string]any{"source": ssoflow.EventSourceOkta, "detail-type": ssoflow.DetailTypeOktaMembership, "detail": json.RawMessage(detail)})
		return resolve.Input{Event: ev}
	}
	step := func(i int) {
		add := i%2 == 0
		var err error
		if add {
			err = sb.Okta.AddMember(gid, uid)
		} else {
			err = sb.Okta.RemoveMember(gid, uid)
		}
		if err != nil {
			b.Fatal(err)
		}
		plan, err := sb.Resolver.Handle(ctx, event(i, add))
		if err != nil {
			b.Fatal(err)
		}
		res, err := sb.Pusher.Push(ctx, *plan.Push)
		if err != nil {
			b.Fatal(err)
		}
		if res.Action == "unchanged" {
			b.Fatalf("event %d changed nothing", i)
		}
	}
	step(0) // warm the caches, as a warm Lambda has them
	step(1)
	oktaBefore, scimBefore := sb.Okta.Requests(""), sb.SCIM.TotalRequests()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		step(i + 2)
	}
	b.StopTimer()
	okta := float64(sb.Okta.Requests("")-oktaBefore) / float64(b.N)
	scim := float64(sb.SCIM.TotalRequests()-scimBefore) / float64(b.N)
	b.ReportMetric(okta, "okta-req/event")
	b.ReportMetric(scim, "scim-req/event")
	b.ReportMetric(okta+scim, "req/event")
}

// BenchmarkDatabaseReconcileByReference: the scheduled database reconcile of one mapped group
// of 5,000 users through the real provision ASL into the embedded IAM MySQL, with the default
// limits (plans over 128 KiB stored in chunks of at most 160 KiB). Reports the chunks, the
// largest state the execution held (quota 256 KiB), and the first (creating everyone) and a
// second (no change) run's time.
func BenchmarkDatabaseReconcileByReference(b *testing.B) {
	const users = 5000
	for range b.N {
		b.StopTimer()
		ctx := context.Background()
		sb, err := sandbox.Start(ctx, sandbox.Options{Grants: map[string][]string{"AWS_Developers": {"app_read"}}})
		if err != nil {
			b.Fatal(err)
		}
		gid, err := sb.Identity.AddGroup("AWS_Developers")
		if err != nil {
			b.Fatal(err)
		}
		for i := range users {
			name := fmt.Sprintf("developer%04d", i)
			uid, err := sb.Identity.AddUser(idstoreemu.UserSpec{UserName: name + "@example.com", DisplayName: name, Email: name + "@example.com"})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := sb.Identity.AddMember(gid, uid); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		run := func(name string) (time.Duration, int, int) {
			start := time.Now()
			exe, err := sb.RunProvision(ctx, reconcileEvent(name), name)
			if err != nil || exe.Status != "SUCCEEDED" {
				b.Fatalf("%s: %v %s %s %s", name, err, exe.Status, exe.Error, exe.Cause)
			}
			largest := 0
			for _, ev := range exe.Events {
				if ev.State != nil {
					largest = max(largest, len(ev.State.Input), len(ev.State.Output))
				}
			}
			return time.Since(start), exe.Count("StateEntered", "LoadWork"), largest
		}
		first, chunks, largest := run("bench-1")
		second, _, _ := run("bench-2")
		sb.Close()
		b.ReportMetric(float64(chunks), "chunks")
		b.ReportMetric(float64(largest)/1024, "largest-state-KiB")
		b.ReportMetric(first.Seconds(), "first-run-s")
		b.ReportMetric(second.Seconds(), "noop-run-s")
	}
}
