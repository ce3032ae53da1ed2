package dbuser

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Engine is what Apply needs from one target database. *MySQL and *Postgres implement it.
type Engine interface {
	// UserName derives and validates the database user name (an *InvalidNameError if refused).
	UserName(userName, email string) (string, error)
	// Snapshot reads the ledger and the existing users among names and the ledger's users.
	Snapshot(ctx context.Context, names []string) (Snapshot, error)
	// EnsureUser creates a user ssoflow manages (or may manage) and grants it roles.
	EnsureUser(ctx context.Context, u ManagedUser) (EnsureResult, error)
	// RevokeRoles revokes roles from a user in the ledger and returns those revoked.
	RevokeRoles(ctx context.Context, name string, roles []string) ([]string, error)
	// DropUser drops a user in the ledger.
	DropUser(ctx context.Context, name string) error
}

var (
	_ Engine = (*MySQL)(nil)
	_ Engine = (*Postgres)(nil)
)

// NewEngine returns the engine for a validated configuration over db (a go-sql-driver/mysql
// or pgx stdlib pool connected as cfg.ProvisionerUser).
func NewEngine(db *sql.DB, cfg DatabaseConfig) (Engine, error) {
	rule, err := cfg.NameRule()
	if err != nil {
		return nil, fmt.Errorf("database %q: %w", cfg.Name, err)
	}
	switch cfg.Kind() {
	case KindMySQL:
		return NewMySQL(db, MySQLConfig{
			Dialect:            cfg.Dialect,
			DisableRequireSSL:  cfg.RequireSSL != nil && !*cfg.RequireSSL,
			RolesActiveOnLogin: cfg.RolesActiveOnLogin,
			LedgerDatabase:     cfg.LedgerName,
			ProvisionerUser:    cfg.ProvisionerUser,
			Names:              rule,
		})
	case KindPostgres:
		return NewPostgres(db, PostgresConfig{
			LedgerSchema:    cfg.LedgerName,
			ProvisionerUser: cfg.ProvisionerUser,
			Names:           rule,
		})
	}
	return nil, fmt.Errorf("database %q: unknown engine %q", cfg.Name, cfg.Engine)
}

// Desired is the access one Identity Center user should have in one database now.
type Desired struct {
	IdentityStoreUserID string   `json:"identityStoreUserId"`
	UserName            string   `json:"userName"`
	Email               string   `json:"email,omitempty"`
	Groups              []string `json:"groups"` // mapped Identity Center groups the user is in now
	Roles               []string `json:"roles"`  // union of the roles mapped to Groups
	// DBUser, when set, is the database user name to use instead of deriving one from
	// UserName and Email: the ledger's name, for a user known only from the ledger.
	DBUser string `json:"dbUser,omitempty"`
}

// Apply converges the database to desired, one user at a time: users with groups are created
// (recorded in the ledger) and granted their roles, roles that ssoflow granted and no group
// grants any more are revoked, and users with no groups left are dropped if — and only if — the
// ledger has them. Users that exist but are not in the ledger are skipped, invalid names are
// refused; neither is an error. A second identical Apply changes nothing.
//
// Users not in desired are not touched: a partial list (one event) is as safe as a full one.
// The returned error joins the per-user failures (the report has them too); the users after a
// failing one are still applied.
func Apply(ctx context.Context, eng Engine, desired []Desired) (Report, error) {
	names := make([]string, len(desired))
	nameErrs := make([]error, len(desired))
	ask := make([]string, 0, len(desired))
	for i, d := range desired {
		if d.DBUser != "" {
			names[i] = d.DBUser
		} else {
			names[i], nameErrs[i] = eng.UserName(d.UserName, d.Email)
		}
		if nameErrs[i] == nil {
			ask = append(ask, names[i])
		}
	}
	snap, err := eng.Snapshot(ctx, ask)
	if err != nil {
		return Report{}, fmt.Errorf("read database state: %w", err)
	}
	byName := make(map[string]string, len(snap.Ledger))
	for id, e := range snap.Ledger {
		byName[e.DBUser] = id
	}
	var rep Report
	var failures []error
	for i, d := range desired {
		if err := ctx.Err(); err != nil {
			failures = append(failures, fmt.Errorf("apply stopped before user %s: %w", d.IdentityStoreUserID, err))
			break
		}
		ur, err := applyOne(ctx, eng, snap, byName, d, names[i], nameErrs[i])
		if err != nil {
			ur.Actions = append(ur.Actions, ActionFailed)
			ur.Reason = err.Error()
			failures = append(failures, fmt.Errorf("user %s (%q): %w", d.IdentityStoreUserID, ur.DBUser, err))
		}
		rep.add(ur)
	}
	return rep, errors.Join(failures...)
}

func applyOne(ctx context.Context, eng Engine, snap Snapshot, byName map[string]string, d Desired, name string, nameErr error) (UserReport, error) {
	ur := UserReport{IdentityStoreUserID: d.IdentityStoreUserID}
	entry, managed := snap.Ledger[d.IdentityStoreUserID]
	groups, roles := sortedSet(d.Groups), sortedSet(d.Roles)

	if len(groups) == 0 {
		if managed {
			ur.DBUser = entry.DBUser
			held, exists := snap.Users[entry.DBUser]
			if err := eng.DropUser(ctx, entry.DBUser); err != nil {
				return ur, engineOutcome(&ur, err)
			}
			if ur.Skipped() {
				return ur, nil
			}
			if ur.Revoked = intersect(entry.Roles, held); len(ur.Revoked) > 0 {
				ur.Actions = append(ur.Actions, ActionRevoked)
			}
			if exists {
				ur.Actions = append(ur.Actions, ActionDropped)
			} else {
				ur.Actions = append(ur.Actions, ActionUnchanged)
				ur.Reason = "already gone; removed from the ledger"
			}
			return ur, nil
		}
		if nameErr == nil {
			ur.DBUser = name
			if _, exists := snap.Users[name]; exists {
				return ur.skip(ErrNotManaged.Error()), nil
			}
		}
		return ur.unchanged(), nil
	}

	if nameErr != nil {
		ur.Actions, ur.Reason = []Action{ActionRefused}, nameErr.Error()
		return ur, nil
	}
	ur.DBUser = name
	if owner, ok := byName[name]; ok && owner != d.IdentityStoreUserID {
		ur.Actions, ur.Reason = []Action{ActionRefused}, fmt.Sprintf("%v (%s)", ErrNameConflict, owner)
		return ur, nil
	}
	if managed && entry.DBUser != name {
		// The derived name changed (a new UserName or email): the old user goes first.
		if err := eng.DropUser(ctx, entry.DBUser); err != nil {
			return ur, fmt.Errorf("drop previous user %q: %w", entry.DBUser, err)
		}
		ur.Actions = append(ur.Actions, ActionDropped)
		ur.Reason = fmt.Sprintf("previous user %q dropped", entry.DBUser)
		managed, entry = false, LedgerEntry{}
	}
	held, exists := snap.Users[name]
	if exists && !managed {
		return ur.skip(ErrNotManaged.Error()), nil
	}
	// Revoke before recording the new roles: if this stops half way, the ledger still lists
	// the roles to revoke and the next run finishes the job.
	if toRevoke := intersect(minus(entry.Roles, roles), held); len(toRevoke) > 0 {
		revoked, err := eng.RevokeRoles(ctx, name, toRevoke)
		if err != nil {
			return ur, engineOutcome(&ur, err)
		}
		if ur.Revoked = revoked; len(revoked) > 0 {
			ur.Actions = append(ur.Actions, ActionRevoked)
		}
	}
	if !exists || len(minus(roles, held)) > 0 || !sameSet(entry.Groups, groups) || !sameSet(entry.Roles, roles) {
		res, err := eng.EnsureUser(ctx, ManagedUser{IdentityStoreUserID: d.IdentityStoreUserID, Name: name, Groups: groups, Roles: roles})
		if err != nil {
			return ur, engineOutcome(&ur, err)
		}
		if res.Created {
			ur.Actions = append(ur.Actions, ActionCreated)
		}
		if ur.Granted = res.Granted; len(res.Granted) > 0 {
			ur.Actions = append(ur.Actions, ActionGranted)
		}
	}
	if len(ur.Actions) == 0 {
		return ur.unchanged(), nil
	}
	return ur, nil
}

// engineOutcome turns the engine's refusals (which a concurrent change can cause between the
// snapshot and the statement) into report entries; other errors are failures.
func engineOutcome(ur *UserReport, err error) error {
	switch {
	case errors.Is(err, ErrNotManaged):
		*ur = ur.skip(err.Error())
		return nil
	case errors.Is(err, ErrNameConflict):
		ur.Actions, ur.Reason = []Action{ActionRefused}, err.Error()
		return nil
	}
	return err
}
