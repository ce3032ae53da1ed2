package sandbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	ssoflow "github.com/ssoflow/ssoflow/functions"
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
