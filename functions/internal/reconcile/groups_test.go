package reconcile_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/ssoflow/ssoflow/functions/internal/emulator/idstoreemu"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/oktaemu"
	"github.com/ssoflow/ssoflow/functions/internal/reconcile"
)

// Issue 13, finding 1: Okta's q= cannot be paged and returns at most 300 groups, so an org
// with more prefixed groups than one answer holds was silently reconciled in part. With 450
// AWS_ groups (more than two pages of 200, more than a query's 300) every one is planned, and
// the groups outside the prefix are not, even those Okta's case-insensitive sw matches.
func TestPlanCoversEveryPrefixedGroupBeyondOneAnswer(t *testing.T) {
	const n = 450
	ids, sc := idstoreemu.NewShared(storeID, scimToken)
	okt := oktaemu.New(oktaToken)
	okt.SetRateLimit(0) // ~900 reads in well under a minute: the budget is not the subject here
	w := newWorld(t, okt, ids, sc)
	want := map[string]bool{}
	for i := range n {
		name := fmt.Sprintf("AWS_Team%04d", i)
		want[okt.AddGroup(name)] = true
		sc.AddGroup(name)
	}
	okt.AddGroup("aws_lowercase")
	okt.AddGroup("Engineering")

	plan, err := w.reconciler(reconcile.Config{GroupPrefix: "AWS_"}).Plan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Groups) != n {
		t.Fatalf("planned %d groups, want %d", len(plan.Groups), n)
	}
	for _, g := range plan.Groups {
		if !want[g.OktaGroupID] || g.Problem != "" || g.Error != "" {
			t.Errorf("planned %+v: not one of the %d AWS_ groups, or not comparable", g, n)
		}
		delete(want, g.OktaGroupID)
	}
	if len(want) != 0 {
		t.Errorf("%d AWS_ groups planned twice or missed", len(want))
	}
	if got := okt.Requests("GET /api/v1/groups"); got != 3 {
		t.Errorf("group listing took %d requests, want 3 pages of at most 200", got)
	}
}
