package sandbox_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/ssoflow/ssoflow/functions/internal/sandbox"
)

type oktaWorld struct {
	sb     *sandbox.Sandbox
	users  map[string]string // login → Okta id
	scimID map[string]string // login → Identity Center id
	groups map[string]string // name → Okta id
	scimG  map[string]string // name → Identity Center id
}

// newOktaWorld seeds three users in Okta and Identity Center (provisioned by Okta's own app, as
// in a real org) and three groups, one outside the AWS_ prefix.
func newOktaWorld(t *testing.T) *oktaWorld {
	t.Helper()
	sb, err := sandbox.Start(context.Background(), sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	w := &oktaWorld{sb: sb, users: map[string]string{}, scimID: map[string]string{}, groups: map[string]string{}, scimG: map[string]string{}}
	for _, login := range []string{"jane@example.com", "sam.lee@example.com", "ana.garcia@example.com"} {
		w.users[login] = sb.Okta.AddUser(login)
		w.scimID[login] = sb.SCIM.AddUser(login, w.users[login])
	}
	for _, g := range []string{"AWS_Admins", "AWS_Developers", "Marketing"} {
		w.groups[g] = sb.Okta.AddGroup(g)
		w.scimG[g] = sb.SCIM.AddGroup(g)
	}
	return w
}

func (w *oktaWorld) change(add bool, login, group string, i int) sandbox.Change {
	return sandbox.Change{Add: add, UserID: w.users[login], Login: login, GroupID: w.groups[group], GroupName: group,
		At: time.Date(2026, 11, 20, 9, 0, i, 0, time.UTC), UUID: fmt.Sprintf("evt-%02d", i)}
}

// oktaMembers returns the logins Okta has in group, sorted.
func (w *oktaWorld) oktaMembers(group string) []string {
	var out []string
	for _, id := range w.sb.Okta.Members(w.groups[group]) {
		for login, uid := range w.users {
			if uid == id {
				out = append(out, login)
			}
		}
	}
	sort.Strings(out)
	return out
}

// scimMembers returns the logins Identity Center has in group, sorted.
func (w *oktaWorld) scimMembers(group string) []string {
	var out []string
	for _, id := range w.sb.SCIM.Members(w.scimG[group]) {
		for login, uid := range w.scimID {
			if uid == id {
				out = append(out, login)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Issue 3, must show 1: an Okta hook batch adding and removing 3 users in 2 groups, delivered
// three times (once in order, once reversed, once again), each event run through the real
// provision ASL: Identity Center's groups end equal to Okta's membership, and the group
// outside the prefix is untouched.
func TestOktaBatchConvergesThroughProvisionStateMachine(t *testing.T) {
	ctx := context.Background()
	w := newOktaWorld(t)
	sb := w.sb
	// Identity Center starts out of step: sam is a stale admin; Marketing has ana (not ours).
	if err := sb.SCIM.AddMembers(w.scimG["AWS_Admins"], w.scimID["sam.lee@example.com"]); err != nil {
		t.Fatal(err)
	}
	if err := sb.SCIM.AddMembers(w.scimG["Marketing"], w.scimID["ana.garcia@example.com"]); err != nil {
		t.Fatal(err)
	}
	// What the admin did in Okta, in order.
	history := []struct {
		add          bool
		login, group string
	}{
		{true, "jane@example.com", "AWS_Admins"},
		{true, "ana.garcia@example.com", "AWS_Admins"},
		{false, "sam.lee@example.com", "AWS_Admins"},
		{true, "sam.lee@example.com", "AWS_Developers"},
		{true, "jane@example.com", "AWS_Developers"},
		{true, "ana.garcia@example.com", "AWS_Developers"},
		{false, "ana.garcia@example.com", "AWS_Developers"},
		{true, "jane@example.com", "Marketing"},
	}
	var changes []sandbox.Change
	for i, h := range history {
		changes = append(changes, w.change(h.add, h.login, h.group, i))
		var err error
		if h.add {
			err = sb.Okta.AddMember(w.groups[h.group], w.users[h.login])
		} else {
			err = sb.Okta.RemoveMember(w.groups[h.group], w.users[h.login])
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	reversed := slices.Clone(changes)
	slices.Reverse(reversed)

	ran, outside := 0, 0
	for d, batch := range [][]sandbox.Change{changes, reversed, changes} {
		before := len(sb.Bus.Events())
		resp, err := sb.Deliver(ctx, sandbox.HookDelivery(batch))
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("delivery %d: status %d err %v body %s", d, resp.StatusCode, err, resp.Body)
		}
		emitted := sb.Bus.Events()[before:]
		if len(emitted) != len(batch) {
			t.Fatalf("delivery %d put %d events on the bus, want %d", d, len(emitted), len(batch))
		}
		// Step Functions runs them in whatever order EventBridge delivers: here, reversed.
		for i := len(emitted) - 1; i >= 0; i-- {
			exe, err := sb.RunProvision(ctx, emitted[i], fmt.Sprintf("d%d-e%d", d, i))
			if err != nil {
				t.Fatal(err)
			}
			ran++
			if exe.Status != "SUCCEEDED" {
				t.Fatalf("execution %s: %s %s: %s", exe.ARN, exe.Status, exe.Error, exe.Cause)
			}
			if slices.Contains(exe.Visited(), "NothingToDo") {
				outside++
			}
		}
	}
	for _, g := range []string{"AWS_Admins", "AWS_Developers"} {
		if got, want := w.scimMembers(g), w.oktaMembers(g); !slices.Equal(got, want) {
			t.Errorf("Identity Center %s = %v, Okta has %v", g, got, want)
		}
	}
	if got := w.scimMembers("Marketing"); !slices.Equal(got, []string{"ana.garcia@example.com"}) {
		t.Errorf("Marketing (outside the prefix) = %v, want it untouched: [ana.garcia@example.com]", got)
	}
	if ran != 24 || outside != 3 {
		t.Errorf("ran %d executions with %d for the unprefixed group, want 24 and 3", ran, outside)
	}
	if msgs := sb.SNS.Messages(); len(msgs) != 0 {
		t.Errorf("nothing failed, yet %d notifications were sent: %+v", len(msgs), msgs)
	}
}

// A user Okta has not provisioned into Identity Center: the push is retried (NotProvisioned)
// a bounded number of times, then the failure reaches SNS as a message a person can act on,
// and the execution is FAILED (so it can be replayed).
func TestUnprovisionedUserIsRetriedThenNotified(t *testing.T) {
	ctx := context.Background()
	w := newOktaWorld(t)
	sb := w.sb
	ghost := sb.Okta.AddUser("new.hire@example.com")
	w.users["new.hire@example.com"] = ghost
	if err := sb.Okta.AddMember(w.groups["AWS_Admins"], ghost); err != nil {
		t.Fatal(err)
	}
	resp, err := sb.Deliver(ctx, sandbox.HookDelivery([]sandbox.Change{w.change(true, "new.hire@example.com", "AWS_Admins", 1)}))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("delivery: %d %v", resp.StatusCode, err)
	}
	exe, err := sb.RunProvision(ctx, sb.Bus.Events()[0], "ghost")
	if err != nil {
		t.Fatal(err)
	}
	if exe.Status != "FAILED" || exe.Error != "NotProvisionedError" {
		t.Fatalf("execution %s %s (%s), want FAILED NotProvisionedError", exe.Status, exe.Error, exe.Cause)
	}
	if got := exe.Count("StateRetried", "PushToIdentityCenter"); got != 6 {
		t.Errorf("push retried %d times, want 6 (the ASL's MaxAttempts)", got)
	}
	msgs := sb.SNS.Messages()
	if len(msgs) != 1 || msgs[0].Subject != "ssoflow: could not add new.hire@example.com to AWS_Admins" {
		t.Fatalf("notifications %+v, want one saying who could not be added where", msgs)
	}
}
