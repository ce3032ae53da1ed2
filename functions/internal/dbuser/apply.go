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
	names, nameErrs, ask := userNames(eng, desired)
	snap, err := eng.Snapshot(ctx, ask)
	if err != nil {
		return Report{}, fmt.Errorf("read database state: %w", err)
	}
	byName := ledgerNames(snap)
	var rep Report
	var failures []error
	for i, d := range desired {
		if err := ctx.Err(); err != nil {
			failures = append(failures, fmt.Errorf("apply stopped before user %s: %w", d.IdentityStoreUserID, err))
			break
		}
		ur, err := decide(snap, byName, d, names[i], nameErrs[i]).run(ctx, eng)
		if err != nil {
			ur.Actions = append(ur.Actions, ActionFailed)
			ur.Reason = err.Error()
			failures = append(failures, fmt.Errorf("user %s (%q): %w", d.IdentityStoreUserID, ur.DBUser, err))
		}
		rep.add(ur)
	}
	return rep, errors.Join(failures...)
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
