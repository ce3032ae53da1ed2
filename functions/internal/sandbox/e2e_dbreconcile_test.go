package sandbox_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"testing"

	ssoflow "github.com/ssoflow/ssoflow/functions"
	"github.com/ssoflow/ssoflow/functions/internal/sandbox"
)

var dbSeeds = flag.Int("dbreconcile.seeds", 6, "seeded histories in TestDatabasesConvergeAfterLossyHistoryAndReconcile")

// reconcileEvent is what the scheduled rule puts into the provision state machine.
func reconcileEvent(id string) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"version": "0", "id": id, "time": "2026-11-21T17:00:00Z",
		"source": ssoflow.EventSourceReconcile, "detail-type": ssoflow.DetailTypeReconcileDatabases, "detail": map[string]any{}})
	return b
}

// Issue 5, must show 1, the databases' side: a random history of membership changes whose
// events are dropped, duplicated and reordered on their way to the real provision ASL; then
// the scheduled reconcile; then every person's database login matches Identity Center.
func TestDatabasesConvergeAfterLossyHistoryAndReconcile(t *testing.T) {
	for seed := range *dbSeeds {
		t.Run(fmt.Sprintf("seed-%d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(seed), 42))
			// Odd seeds pass every database plan by reference, one user per stored chunk, so
			// the chunks' id ranges are what decides who loses a group.
			w := newDBWorld(t, func(o *sandbox.Options) {
				if seed%2 == 1 {
					o.PlanInlineBytes, o.PlanChunkBytes = 1, 1
				}
			})
			users := []string{"jane.doe", "sam.lee", "ana.garcia", "omar.haddad"}
			groups := []string{"AWS_DBA", "AWS_Developers", "Marketing"}
			member := map[[2]string]bool{}
			var events []json.RawMessage
			for range 10 {
				u, g := users[rng.IntN(len(users))], groups[rng.IntN(len(groups))]
				key := [2]string{u, g}
				params := map[string]any{"identityStoreId": sandbox.IdentityStoreID, "groupId": w.groups[g], "member": map[string]any{"memberId": w.users[u]}}
				if member[key] {
					w.sb.Identity.RemoveMember(w.groups[g], w.users[u])
					events = append(events, sandbox.CloudTrailEvent(console, "RemoveMemberFromGroup", params, ""))
				} else {
					w.add(u, g)
					events = append(events, sandbox.CloudTrailEvent(console, "AddMemberToGroup", params, ""))
				}
				member[key] = !member[key]
			}
			// The way there: a third dropped, some duplicated, all reordered.
			var delivered []json.RawMessage
			for _, ev := range events {
				switch r := rng.Float64(); {
				case r < 0.33:
				case r < 0.5:
					delivered = append(delivered, ev, ev)
				default:
					delivered = append(delivered, ev)
				}
			}
			rng.Shuffle(len(delivered), func(i, j int) { delivered[i], delivered[j] = delivered[j], delivered[i] })
			for _, ev := range delivered {
				w.run(ev)
			}
			w.run(reconcileEvent(fmt.Sprintf("reconcile-%d", seed)))
			for _, u := range users {
				want := member[[2]string{u, "AWS_DBA"}] || member[[2]string{u, "AWS_Developers"}]
				if got := w.canLogIn(u); got != want {
					t.Errorf("%s logs in = %v, Identity Center says %v (memberships %v)", u, got, want, member)
				}
			}
			if msgs := w.sb.SNS.Messages(); len(msgs) != 0 {
				t.Errorf("nothing failed, yet %d notifications were sent", len(msgs))
			}
		})
	}
}
