package dbuser

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/ssoflow/ssoflow/functions/internal/errs"
)

// forEachEngine runs f against a fresh real MariaDB and a fresh real PostgreSQL environment.
func forEachEngine(t *testing.T, f func(t *testing.T, e *env)) {
	t.Helper()
	for _, mk := range []func(testing.TB) *env{newMariaDBEnv, newPostgresEnv} {
		e := mk(t)
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			f(t, e)
		})
	}
}

func mustApply(t *testing.T, e *env, ds ...Desired) Report {
	t.Helper()
	rep, err := Apply(context.Background(), e.engine, ds)
	if err != nil {
		t.Fatalf("Apply: %v (report %+v)", err, rep)
	}
	if len(rep.Users) != len(ds) {
		t.Fatalf("report has %d users, want %d", len(rep.Users), len(ds))
	}
	return rep
}

func wantActions(t *testing.T, u UserReport, want ...Action) {
	t.Helper()
	if !slices.Equal(u.Actions, want) {
		t.Fatalf("user %s (%s): actions %v, want %v (reason %q)", u.IdentityStoreUserID, u.DBUser, u.Actions, want, u.Reason)
	}
}

// state returns the ledger entry for id (nil if none) and the roles name holds (nil, false if
// the user does not exist), read from the database.
func state(t *testing.T, e *env, id, name string) (*LedgerEntry, []string, bool) {
	t.Helper()
	snap, err := e.engine.Snapshot(context.Background(), []string{name})
	if err != nil {
		t.Fatal(err)
	}
	var le *LedgerEntry
	if x, ok := snap.Ledger[id]; ok {
		le = &x
	}
	roles, exists := snap.Users[name]
	if e.kind == KindPostgres {
		roles = minus(roles, []string{DefaultIAMRole})
	}
	return le, roles, exists
}

func TestApplyCreatesLoginCapableUser(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		name := e.prefix + ".alice"
		d := Desired{IdentityStoreUserID: "id-alice", UserName: name, Email: "alice@example.com", Groups: []string{"AWS_Readers"}, Roles: []string{e.roleA}}
		rep := mustApply(t, e, d)
		wantActions(t, rep.Users[0], ActionCreated, ActionGranted)
		if rep.Users[0].DBUser != name {
			t.Fatalf("db user %q, want %q", rep.Users[0].DBUser, name)
		}
		if got := e.login(t, name); !slices.Equal(got, []string{e.roleA}) {
			t.Fatalf("roles active after login: %v, want [%s]", got, e.roleA)
		}
		le, roles, exists := state(t, e, "id-alice", name)
		if !exists || !slices.Equal(roles, []string{e.roleA}) {
			t.Fatalf("user exists=%v roles=%v", exists, roles)
		}
		if le == nil || le.DBUser != name || !slices.Equal(le.Groups, d.Groups) || !slices.Equal(le.Roles, d.Roles) ||
			le.CreatedAt.IsZero() || le.UpdatedAt.Before(le.CreatedAt) {
			t.Fatalf("ledger entry %+v", le)
		}

		// Idempotent: the same Apply again changes nothing, not even the ledger's timestamp.
		rep = mustApply(t, e, d)
		wantActions(t, rep.Users[0], ActionUnchanged)
		if rep.Changed() {
			t.Fatalf("second Apply changed something: %+v", rep)
		}
		le2, _, _ := state(t, e, "id-alice", name)
		if !le2.UpdatedAt.Equal(le.UpdatedAt) {
			t.Fatalf("ledger rewritten by an identical Apply: %v → %v", le.UpdatedAt, le2.UpdatedAt)
		}
	})
}

func TestApplyTwoGroupsKeepAccessUntilBothEnd(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		name := e.prefix + ".bob"
		both := Desired{IdentityStoreUserID: "id-bob", UserName: name, Groups: []string{"AWS_Readers", "AWS_Writers"}, Roles: []string{e.roleA, e.roleB}}
		rep := mustApply(t, e, both)
		wantActions(t, rep.Users[0], ActionCreated, ActionGranted)
		if _, roles, _ := state(t, e, "id-bob", name); !slices.Equal(roles, []string{e.roleA, e.roleB}) {
			t.Fatalf("roles %v", roles)
		}

		// The writers membership ends: its role goes, the user stays.
		one := Desired{IdentityStoreUserID: "id-bob", UserName: name, Groups: []string{"AWS_Readers"}, Roles: []string{e.roleA}}
		rep = mustApply(t, e, one)
		wantActions(t, rep.Users[0], ActionRevoked)
		if !slices.Equal(rep.Users[0].Revoked, []string{e.roleB}) {
			t.Fatalf("revoked %v", rep.Users[0].Revoked)
		}
		le, roles, exists := state(t, e, "id-bob", name)
		if !exists || !slices.Equal(roles, []string{e.roleA}) || !slices.Equal(le.Groups, []string{"AWS_Readers"}) || !slices.Equal(le.Roles, []string{e.roleA}) {
			t.Fatalf("after one group ended: exists=%v roles=%v ledger=%+v", exists, roles, le)
		}
		if got := e.login(t, name); !slices.Equal(got, []string{e.roleA}) {
			t.Fatalf("roles active after login: %v", got)
		}
		wantActions(t, mustApply(t, e, one).Users[0], ActionUnchanged)

		// The last membership ends: the user is dropped and leaves the ledger.
		none := Desired{IdentityStoreUserID: "id-bob", UserName: name}
		rep = mustApply(t, e, none)
		wantActions(t, rep.Users[0], ActionRevoked, ActionDropped)
		if le, _, exists := state(t, e, "id-bob", name); exists || le != nil {
			t.Fatalf("after removal: exists=%v ledger=%+v", exists, le)
		}
		wantActions(t, mustApply(t, e, none).Users[0], ActionUnchanged)
	})
}

func TestApplyNeverTouchesUsersItDidNotCreate(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		name := e.prefix + ".carol"
		e.rawUser(t, name)
		d := Desired{IdentityStoreUserID: "id-carol", UserName: name, Groups: []string{"AWS_Readers"}, Roles: []string{e.roleA}}
		rep := mustApply(t, e, d)
		wantActions(t, rep.Users[0], ActionSkipped)
		if rep.Users[0].Reason != ErrNotManaged.Error() {
			t.Fatalf("reason %q", rep.Users[0].Reason)
		}
		rep = mustApply(t, e, Desired{IdentityStoreUserID: "id-carol", UserName: name})
		wantActions(t, rep.Users[0], ActionSkipped)
		le, roles, exists := state(t, e, "id-carol", name)
		if !exists || len(roles) != 0 || le != nil {
			t.Fatalf("unmanaged user touched: exists=%v roles=%v ledger=%+v", exists, roles, le)
		}
		// The engine refuses on its own too, whoever calls it.
		if err := e.engine.DropUser(ctx, name); !errors.Is(err, ErrNotManaged) {
			t.Fatalf("DropUser: %v, want ErrNotManaged", err)
		}
		if _, err := e.engine.RevokeRoles(ctx, name, []string{e.roleA}); !errors.Is(err, ErrNotManaged) {
			t.Fatalf("RevokeRoles: %v, want ErrNotManaged", err)
		}
		if _, err := e.engine.EnsureUser(ctx, ManagedUser{IdentityStoreUserID: "id-carol", Name: name, Roles: []string{e.roleA}}); !errors.Is(err, ErrNotManaged) {
			t.Fatalf("EnsureUser: %v, want ErrNotManaged", err)
		}
		if _, roles, exists := state(t, e, "id-carol", name); !exists || len(roles) != 0 {
			t.Fatalf("unmanaged user touched: exists=%v roles=%v", exists, roles)
		}
	})
}

func TestApplyRefusesInvalidAndConflictingNames(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		hostile := e.prefix + "'; DROP USER root; --"
		rep := mustApply(t, e,
			Desired{IdentityStoreUserID: "id-evil", UserName: hostile, Groups: []string{"AWS_Readers"}, Roles: []string{e.roleA}},
			Desired{IdentityStoreUserID: "id-dave", UserName: e.prefix + ".dave", Groups: []string{"AWS_Readers"}, Roles: []string{e.roleA}},
			Desired{IdentityStoreUserID: "id-dave2", UserName: e.prefix + ".dave", Groups: []string{"AWS_Readers"}, Roles: []string{e.roleA}},
		)
		wantActions(t, rep.Users[0], ActionRefused)
		wantActions(t, rep.Users[1], ActionCreated, ActionGranted)
		wantActions(t, rep.Users[2], ActionRefused) // same name, another Identity Center user
		var inv *errs.InvalidInputError
		if err := rep.RefusedError(); !errors.As(err, &inv) {
			t.Fatalf("RefusedError: %v, want InvalidInputError", err)
		}
		if _, _, exists := state(t, e, "id-evil", hostile); exists {
			t.Fatal("hostile name created")
		}
		if le, _, _ := state(t, e, "id-dave", e.prefix+".dave"); le == nil || le.IdentityStoreUserID != "id-dave" {
			t.Fatalf("ledger %+v", le)
		}
	})
}

func TestApplyUnknownRoleIsConfigError(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		d := Desired{IdentityStoreUserID: "id-erin", UserName: e.prefix + ".erin", Groups: []string{"AWS_X"}, Roles: []string{e.prefix + "_missing"}}
		rep, err := Apply(context.Background(), e.engine, []Desired{d})
		var ce *errs.ConfigError
		if !errors.As(err, &ce) {
			t.Fatalf("Apply: %v, want ConfigError", err)
		}
		wantActions(t, rep.Users[0], ActionFailed)
	})
}

func TestApplyRenameDropsPreviousUser(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		old, renamed := e.prefix+".frank", e.prefix+".franklin"
		mustApply(t, e, Desired{IdentityStoreUserID: "id-frank", UserName: old, Groups: []string{"G"}, Roles: []string{e.roleA}})
		rep := mustApply(t, e, Desired{IdentityStoreUserID: "id-frank", UserName: renamed, Groups: []string{"G"}, Roles: []string{e.roleA}})
		wantActions(t, rep.Users[0], ActionDropped, ActionCreated, ActionGranted)
		if _, _, exists := state(t, e, "id-frank", old); exists {
			t.Fatal("previous user still exists")
		}
		if le, roles, exists := state(t, e, "id-frank", renamed); !exists || le == nil || le.DBUser != renamed || !slices.Equal(roles, []string{e.roleA}) {
			t.Fatalf("renamed user: exists=%v roles=%v ledger=%+v", exists, roles, le)
		}
	})
}

func TestPostgresDropRefusesUserOwningObjects(t *testing.T) {
	t.Parallel()
	e := newPostgresEnv(t)
	name := e.prefix + ".gina"
	mustApply(t, e, Desired{IdentityStoreUserID: "id-gina", UserName: name, Groups: []string{"G"}, Roles: []string{e.roleA}})
	table := `"ssoflow_` + e.prefix + `"."owned_by_gina"`
	mustExec(t, e.db, "CREATE TABLE "+table+" (x int)", "ALTER TABLE "+table+` OWNER TO "`+name+`"`)
	rep, err := Apply(context.Background(), e.engine, []Desired{{IdentityStoreUserID: "id-gina", UserName: name}})
	if !errors.Is(err, ErrOwnsObjects) {
		t.Fatalf("Apply: %v, want ErrOwnsObjects", err)
	}
	wantActions(t, rep.Users[0], ActionFailed)
	if le, _, exists := state(t, e, "id-gina", name); !exists || le == nil {
		t.Fatalf("user or ledger row gone: exists=%v ledger=%+v", exists, le)
	}
	var n int
	if err := e.db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		t.Fatalf("the user's table was touched: %v", err)
	}
}

func TestApplyRecreatesManagedUserDroppedOutsideSsoflow(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		name := e.prefix + ".hank"
		d := Desired{IdentityStoreUserID: "id-hank", UserName: name, Groups: []string{"G"}, Roles: []string{e.roleA}}
		mustApply(t, e, d)
		drop := `DROP USER "` + name + `"`
		if e.kind == KindMySQL {
			acc, _ := QuoteMySQLAccount(name)
			drop = "DROP USER " + acc
		}
		mustExec(t, e.db, drop) // the state a crash between ledger row and CREATE USER leaves too
		wantActions(t, mustApply(t, e, d).Users[0], ActionCreated, ActionGranted)
		if got := e.login(t, name); !slices.Equal(got, []string{e.roleA}) {
			t.Fatalf("roles active after login: %v", got)
		}
	})
}
