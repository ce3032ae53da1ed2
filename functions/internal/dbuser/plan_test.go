package dbuser

import (
	"context"
	"reflect"
	"slices"
	"testing"
)

// ledgerTableExists reads the catalog directly (not through an engine, which may create it).
func ledgerTableExists(t *testing.T, e *env) bool {
	t.Helper()
	q := "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?"
	if e.kind == KindPostgres {
		q = "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2"
	}
	var n int
	if err := e.db.QueryRow(q, "ssoflow_"+e.prefix, LedgerTable).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

func readState(t *testing.T, e *env, names ...string) Snapshot {
	t.Helper()
	snap, err := ReadSnapshot(context.Background(), e.engine, names)
	if err != nil {
		t.Fatalf("ReadSnapshot: %v", err)
	}
	return snap
}

func dryRun(t *testing.T, e *env, ds ...Desired) Report {
	t.Helper()
	rep, err := DryRun(context.Background(), e.engine, ds)
	if err != nil {
		t.Fatalf("DryRun: %v", err)
	}
	return rep
}

// samePlan fails unless the plan predicted exactly what Apply then did (PostgreSQL's own
// grant of its IAM login role to a created user aside).
func samePlan(t *testing.T, e *env, plan, applied Report) {
	t.Helper()
	if len(plan.Users) != len(applied.Users) {
		t.Fatalf("plan has %d users, Apply %d", len(plan.Users), len(applied.Users))
	}
	for i, got := range applied.Users {
		if e.kind == KindPostgres {
			got.Granted = minus(got.Granted, []string{DefaultIAMRole})
		}
		if !reflect.DeepEqual(plan.Users[i], got) {
			t.Errorf("user %d: planned %+v, applied %+v", i, plan.Users[i], got)
		}
	}
	if !reflect.DeepEqual(plan.Counts, applied.Counts) {
		t.Errorf("counts: planned %v, applied %v", plan.Counts, applied.Counts)
	}
}

// The dry run on a database ssoflow never touched: it reports every kind of decision, creates
// nothing (not even the ledger), and Apply then does exactly what it said.
func TestPlanOnFreshDatabaseChangesNothing(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		carol := e.prefix + ".carol"
		e.rawUser(t, carol)
		ds := []Desired{
			{IdentityStoreUserID: "id-alice", UserName: e.prefix + ".alice", Groups: []string{"G"}, Roles: []string{e.roleA, e.roleB}},
			{IdentityStoreUserID: "id-bad", UserName: "bad name; drop", Groups: []string{"G"}, Roles: []string{e.roleA}},
			{IdentityStoreUserID: "id-carol", UserName: carol, Groups: []string{"G"}, Roles: []string{e.roleA}},
			{IdentityStoreUserID: "id-dave", UserName: e.prefix + ".dave"},
		}
		plan := dryRun(t, e, ds...)
		wantActions(t, plan.Users[0], ActionCreated, ActionGranted)
		if !slices.Equal(plan.Users[0].Granted, []string{e.roleA, e.roleB}) {
			t.Errorf("planned grants %v", plan.Users[0].Granted)
		}
		wantActions(t, plan.Users[1], ActionRefused)
		wantActions(t, plan.Users[2], ActionSkipped)
		wantActions(t, plan.Users[3], ActionUnchanged)
		if !plan.Changed() || plan.Counts[ActionCreated] != 1 || plan.Counts[ActionRefused] != 1 || plan.Counts[ActionSkipped] != 1 {
			t.Errorf("plan counts %v", plan.Counts)
		}
		if ledgerTableExists(t, e) {
			t.Fatal("the dry run created the ledger")
		}
		if s := readState(t, e, e.prefix+".alice", carol); len(s.Ledger) != 0 || len(s.Users) != 1 {
			t.Fatalf("after the dry run: ledger %v users %v, want only %s", s.Ledger, s.Users, carol)
		}
		rep, err := Apply(context.Background(), e.engine, ds)
		if err != nil {
			t.Fatalf("Apply: %v", err)
		}
		samePlan(t, e, plan, rep)
	})
}

// On a managed database the plan predicts revokes, grants, drops, renames and no-ops, the
// state (ledger timestamps included) is the same after it, and Apply then matches it.
func TestPlanPredictsApplyOnManagedDatabase(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		p := e.prefix
		mustApply(t, e,
			Desired{IdentityStoreUserID: "id-alice", UserName: p + ".alice", Groups: []string{"G"}, Roles: []string{e.roleA}},
			Desired{IdentityStoreUserID: "id-frank", UserName: p + ".frank", Groups: []string{"G", "H"}, Roles: []string{e.roleA, e.roleB}},
			Desired{IdentityStoreUserID: "id-gina", UserName: p + ".gina", Groups: []string{"G"}, Roles: []string{e.roleA}},
			Desired{IdentityStoreUserID: "id-hugo", UserName: p + ".hugo", Groups: []string{"G"}, Roles: []string{e.roleA}},
		)
		ds := []Desired{
			{IdentityStoreUserID: "id-alice", UserName: p + ".alice", Groups: []string{"H"}, Roles: []string{e.roleB}},   // revoke A, grant B
			{IdentityStoreUserID: "id-frank", UserName: p + ".frank"},                                                    // revoke both, drop
			{IdentityStoreUserID: "id-gina", UserName: p + ".georgina", Groups: []string{"G"}, Roles: []string{e.roleA}}, // renamed
			{IdentityStoreUserID: "id-hugo", UserName: p + ".hugo", Groups: []string{"G"}, Roles: []string{e.roleA}},     // as is
			{IdentityStoreUserID: "id-ivan", UserName: p + ".alice", Groups: []string{"G"}, Roles: []string{e.roleA}},    // alice's name
		}
		names := []string{p + ".alice", p + ".frank", p + ".gina", p + ".georgina", p + ".hugo"}
		before := readState(t, e, names...)
		plan := dryRun(t, e, ds...)
		wantActions(t, plan.Users[0], ActionRevoked, ActionGranted)
		wantActions(t, plan.Users[1], ActionRevoked, ActionDropped)
		if !slices.Equal(plan.Users[1].Revoked, []string{e.roleA, e.roleB}) {
			t.Errorf("planned revokes %v", plan.Users[1].Revoked)
		}
		wantActions(t, plan.Users[2], ActionDropped, ActionCreated, ActionGranted)
		wantActions(t, plan.Users[3], ActionUnchanged)
		wantActions(t, plan.Users[4], ActionRefused)
		if after := readState(t, e, names...); !reflect.DeepEqual(before, after) {
			t.Fatalf("the dry run changed the database:\nbefore %+v\nafter  %+v", before, after)
		}
		e.login(t, p+".frank") // still logs in: fails the test if not
		rep, err := Apply(context.Background(), e.engine, ds)
		if err != nil {
			t.Fatalf("Apply: %v", err)
		}
		samePlan(t, e, plan, rep)
		// Converged: the plan is now all no-ops (and the refusal, which no run fixes).
		again := dryRun(t, e, ds...)
		if again.Changed() || again.Counts[ActionRefused] != 1 {
			t.Errorf("plan after Apply: %v", again.Counts)
		}
	})
}
