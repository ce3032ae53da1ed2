package reconcile_test

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/ssoflow/ssoflow/functions/internal/reconcile"
	"github.com/ssoflow/ssoflow/functions/internal/sandbox"
)

var seeds = flag.Int("reconcile.seeds", 20, "random membership histories to run through the event path, then reconcile")

// Issue 5, must show 1: a random history of Okta membership changes is delivered to the event
// hook with drops, duplicates and reordering, every delivered event runs through the real
// provision state machine, then reconcile runs: Identity Center ends equal to Okta for every
// prefixed group (including a user matched only by externalId), the group outside the prefix
// is untouched, and a second plan is empty.
func TestRandomHistoriesThenReconcileConverges(t *testing.T) {
	for seed := range *seeds {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) { runHistory(t, uint64(seed)) })
	}
}

func runHistory(t *testing.T, seed uint64) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	sb, err := sandbox.Start(ctx, sandbox.Options{SharedDirectory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	w := newWorld(t, sb.Okta, sb.Identity, sb.SCIM)

	logins := []string{"jane@example.com", "sam@example.com", "ana@example.com", "omar@example.com", "li@example.com", "kim@example.com"}
	oktaID, loginOf, icLogin := map[string]string{}, map[string]string{}, map[string]string{}
	for i, l := range logins {
		oktaID[l] = sb.Okta.AddUser(l)
		loginOf[oktaID[l]] = l
		icName := l
		if i == 0 { // provisioned under another userName: found by externalId only
			icName = "jdoe@corp.example"
		}
		icLogin[sb.SCIM.AddUser(icName, oktaID[l])] = l
	}
	groups := []string{"AWS_Admins", "AWS_Developers", "AWS_ReadOnly", "Marketing"}
	oktaG, icG := map[string]string{}, map[string]string{}
	for _, g := range groups {
		oktaG[g], icG[g] = sb.Okta.AddGroup(g), sb.SCIM.AddGroup(g)
	}
	// Identity Center starts with some stale members, including outside the prefix.
	for _, g := range groups {
		for _, l := range logins {
			if rng.IntN(4) == 0 {
				if err := sb.SCIM.AddMembers(icG[g], idOf(icLogin, l)); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	marketing := icLogins(t, sb.Identity, icLogin, icG["Marketing"])

	// The admin's history in Okta: toggles of random memberships.
	var changes []sandbox.Change
	for i := range 8 {
		l, g := logins[rng.IntN(len(logins))], groups[rng.IntN(len(groups))]
		add := !slices.Contains(sb.Okta.Members(oktaG[g]), oktaID[l])
		if add {
			err = sb.Okta.AddMember(oktaG[g], oktaID[l])
		} else {
			err = sb.Okta.RemoveMember(oktaG[g], oktaID[l])
		}
		if err != nil {
			t.Fatal(err)
		}
		changes = append(changes, sandbox.Change{Add: add, UserID: oktaID[l], Login: l, GroupID: oktaG[g], GroupName: g,
			At: time.Date(2026, 11, 20, 9, 0, i, 0, time.UTC), UUID: fmt.Sprintf("evt-%d-%02d", seed, i)})
	}
	// What reaches the hook: about a third dropped, some duplicated, the rest shuffled.
	var delivered []sandbox.Change
	for _, c := range changes {
		if rng.IntN(3) == 0 {
			continue
		}
		delivered = append(delivered, c)
		if rng.IntN(5) == 0 {
			delivered = append(delivered, c)
		}
	}
	rng.Shuffle(len(delivered), func(i, j int) { delivered[i], delivered[j] = delivered[j], delivered[i] })
	for b := 0; len(delivered) > 0; b++ {
		n := min(len(delivered), 1+rng.IntN(4))
		before := len(sb.Bus.Events())
		resp, err := sb.Deliver(ctx, sandbox.HookDelivery(delivered[:n]))
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("delivery %d: status %d, error %v", b, resp.StatusCode, err)
		}
		delivered = delivered[n:]
		for i, ev := range sb.Bus.Events()[before:] {
			exe, err := sb.RunProvision(ctx, ev, fmt.Sprintf("b%d-e%d", b, i))
			if err != nil {
				t.Fatal(err)
			}
			if exe.Status != "SUCCEEDED" {
				t.Fatalf("execution %s: %s %s: %s", exe.ARN, exe.Status, exe.Error, exe.Cause)
			}
		}
	}

	rec := w.reconciler(reconcile.Config{GroupPrefix: "AWS_", Force: true})
	plan, rep, err := rec.Run(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Err(); err != nil {
		t.Fatalf("reconcile reported failures: %v", err)
	}
	for _, g := range groups[:3] {
		got, want := icLogins(t, sb.Identity, icLogin, icG[g]), oktaLogins(t, sb.Okta, loginOf, oktaG[g])
		if !slices.Equal(got, want) {
			t.Errorf("after reconcile, Identity Center %s = %v, Okta has %v (plan %+v)", g, got, want, plan.Groups)
		}
	}
	if got := icLogins(t, sb.Identity, icLogin, icG["Marketing"]); !slices.Equal(got, marketing) {
		t.Errorf("Marketing (outside the prefix) = %v, want it untouched: %v", got, marketing)
	}
	again, err := rec.Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if a, r := again.Totals(); a+r != 0 || len(again.Groups) != 3 {
		t.Errorf("second plan: %d groups, +%d -%d; want 3 groups and nothing to do", len(again.Groups), a, r)
	}
}

func idOf(icLogin map[string]string, login string) string {
	for id, l := range icLogin {
		if l == login {
			return id
		}
	}
	return ""
}
