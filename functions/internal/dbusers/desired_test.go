package dbusers_test

import (
	"slices"
	"testing"

	"github.com/ssoflow/ssoflow/functions/internal/dbplan"
	"github.com/ssoflow/ssoflow/functions/internal/dbuser"
	"github.com/ssoflow/ssoflow/functions/internal/dbusers"
	"github.com/ssoflow/ssoflow/functions/internal/resolve"
)

// A chunk of a plan passed by reference decides only for the ledger users in its id range: a
// user of a scope group outside the range is left to the chunk that covers it, so the chunks
// together take a group away from exactly the users the whole plan would have.
func TestDesiredOfAChunkTakesScopeGroupsOnlyFromItsRange(t *testing.T) {
	cfg := dbuser.DatabaseConfig{Name: "orders", Grants: map[string][]string{"AWS_DBA": {"dba"}, "AWS_Developers": {"app_read"}}}
	ledger := map[string]dbuser.LedgerEntry{}
	for _, id := range []string{"u1", "u2", "u3", "u4", "u5", "u6"} {
		ledger[id] = dbuser.LedgerEntry{IdentityStoreUserID: id, DBUser: "db_" + id, Groups: []string{"AWS_DBA"}, Roles: []string{"dba"}}
	}
	// Identity Center now: AWS_DBA has u2 and u5 only. Three chunks over the sorted ids.
	whole := resolve.DatabaseWork{Database: "orders", ScopeGroups: []string{"AWS_DBA"}, Users: []dbplan.DesiredUser{
		{IdentityStoreUserID: "u2", UserName: "u2@example.com", Groups: []string{"AWS_DBA"}, Roles: []string{"dba"}},
		{IdentityStoreUserID: "u5", UserName: "u5@example.com", Groups: []string{"AWS_DBA"}, Roles: []string{"dba"}},
	}}
	chunks := []resolve.DatabaseWork{
		{Database: "orders", ScopeGroups: whole.ScopeGroups, Users: whole.Users[:1], To: "u3"},
		{Database: "orders", ScopeGroups: whole.ScopeGroups, From: "u3", To: "u5"},
		{Database: "orders", ScopeGroups: whole.ScopeGroups, Users: whole.Users[1:], From: "u5"},
	}
	decided := map[string]dbuser.Desired{}
	for _, c := range chunks {
		for _, d := range dbusers.Desired(cfg, c, ledger) {
			if prev, twice := decided[d.IdentityStoreUserID]; twice {
				t.Fatalf("%s decided by two chunks: %+v and %+v", d.IdentityStoreUserID, prev, d)
			}
			decided[d.IdentityStoreUserID] = d
		}
	}
	want := map[string]dbuser.Desired{}
	for _, d := range dbusers.Desired(cfg, whole, ledger) {
		want[d.IdentityStoreUserID] = d
	}
	if len(decided) != 6 || len(want) != 6 {
		t.Fatalf("chunks decided %d users, the whole plan %d; want all 6", len(decided), len(want))
	}
	for id, w := range want {
		got := decided[id]
		if !slices.Equal(got.Groups, w.Groups) || !slices.Equal(got.Roles, w.Roles) || got.DBUser != w.DBUser {
			t.Errorf("%s: chunks decided %+v, the whole plan %+v", id, got, w)
		}
	}
	if g := decided["u4"].Groups; len(g) != 0 {
		t.Errorf("u4 left AWS_DBA but keeps %v", g)
	}
}

// The report a state carries is brief: only users something happened to, at most n, with the
// rest counted; the counts still cover everyone.
func TestReportBriefKeepsChangesAndCounts(t *testing.T) {
	var r dbuser.Report
	r.Counts = map[dbuser.Action]int{dbuser.ActionUnchanged: 3, dbuser.ActionCreated: 3}
	for i, a := range []dbuser.Action{dbuser.ActionUnchanged, dbuser.ActionCreated, dbuser.ActionUnchanged, dbuser.ActionCreated, dbuser.ActionUnchanged, dbuser.ActionCreated} {
		r.Users = append(r.Users, dbuser.UserReport{IdentityStoreUserID: string(rune('a' + i)), Actions: []dbuser.Action{a}})
	}
	b := r.Brief(2)
	if len(b.Users) != 2 || b.Users[0].IdentityStoreUserID != "b" || b.Users[1].IdentityStoreUserID != "d" || b.Omitted != 1 || b.Counts[dbuser.ActionCreated] != 3 {
		t.Fatalf("brief = %+v", b)
	}
}
