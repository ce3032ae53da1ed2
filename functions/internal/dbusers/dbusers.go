// Package dbusers is the core of the dbusers Lambda, one iteration of the provision state
// machine's ProvisionDatabases Map: it connects to one configured database as the provisioner
// (IAM token, verified TLS, pooled across invocations) and converges the users a change touched.
package dbusers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/ssoflow/ssoflow/functions/internal/dbconn"
	"github.com/ssoflow/ssoflow/functions/internal/dbuser"
	"github.com/ssoflow/ssoflow/functions/internal/errs"
	"github.com/ssoflow/ssoflow/functions/internal/resolve"
)

// Pools hands out connection pools; *dbconn.Cache is one.
type Pools interface {
	Get(ctx context.Context, cfg dbconn.Config) (*dbconn.Pool, error)
}

// Handler provisions the databases it is configured with.
type Handler struct {
	Databases map[string]dbuser.DatabaseConfig
	Pools     Pools
	// Conn completes a database's connection settings (CA bundle, timeouts).
	Conn func(dbuser.DatabaseConfig) dbconn.Config
	Log  *slog.Logger
}

// New validates the databases and returns the handler.
func New(dbs []dbuser.DatabaseConfig, pools Pools, conn func(dbuser.DatabaseConfig) dbconn.Config, log *slog.Logger) (*Handler, error) {
	if err := dbuser.ValidateDatabases(dbs); err != nil {
		return nil, err
	}
	h := &Handler{Databases: map[string]dbuser.DatabaseConfig{}, Pools: pools, Conn: conn, Log: log}
	for _, d := range dbs {
		h.Databases[d.Name] = d
	}
	return h, nil
}

// Connection is the default Conn: the provisioner user over IAM, the CA bundle from caFile
// (the system pool when empty).
func Connection(caFile string) func(dbuser.DatabaseConfig) dbconn.Config {
	return func(d dbuser.DatabaseConfig) dbconn.Config {
		return dbconn.Config{Engine: dbconn.Engine(d.Engine), Host: d.Host, Port: d.Port, Database: d.Database,
			User: d.ProvisionerUser, Region: d.Region, CAFile: caFile}
	}
}

// Result is the ProvisionDatabase state's output.
type Result struct {
	Database string        `json:"database"`
	Report   dbuser.Report `json:"report"`
}

// Handle converges one database to the plan's users. Users the plan does not name are left
// alone, except that for each group in ScopeGroups (re-read in full) a user the ledger has for
// that group, and who is not in the plan, loses it. A name that cannot be a safe identifier is
// refused and comes back as InvalidInputError after every other user was applied.
func (h *Handler) Handle(ctx context.Context, w resolve.DatabaseWork) (Result, error) {
	res, err := h.apply(ctx, w)
	if err != nil {
		h.Log.ErrorContext(ctx, "database provisioning failed", "database", w.Database, "event", w.EventID, "error", err)
		return res, errs.Classify(err)
	}
	h.Log.InfoContext(ctx, "database provisioned", "database", w.Database, "event", w.EventID, "counts", res.Report.Counts)
	return res, nil
}

func (h *Handler) apply(ctx context.Context, w resolve.DatabaseWork) (Result, error) {
	res := Result{Database: w.Database}
	cfg, ok := h.Databases[w.Database]
	if !ok {
		return res, &errs.ConfigError{Err: fmt.Errorf("database %q is not configured in this function (SSOFLOW_DATABASES)", w.Database)}
	}
	pool, err := h.Pools.Get(ctx, h.Conn(cfg))
	if err != nil {
		return res, fmt.Errorf("connect to database %q: %w", w.Database, err)
	}
	eng, err := dbuser.NewEngine(pool.DB, cfg)
	if err != nil {
		return res, &errs.ConfigError{Err: err}
	}
	desired := make([]dbuser.Desired, 0, len(w.Users))
	named := map[string]bool{}
	for _, u := range w.Users {
		named[u.IdentityStoreUserID] = true
		groups, roles := cfg.Access(u.Groups)
		if u.Deleted {
			groups, roles = nil, nil
		}
		desired = append(desired, dbuser.Desired{IdentityStoreUserID: u.IdentityStoreUserID, UserName: u.UserName, Email: u.Email, Groups: groups, Roles: roles})
	}
	if len(w.ScopeGroups) > 0 {
		lost, err := h.lostScope(ctx, eng, cfg, named, w.ScopeGroups)
		if err != nil {
			return res, fmt.Errorf("database %q: %w", w.Database, err)
		}
		desired = append(desired, lost...)
	}
	res.Report, err = dbuser.Apply(ctx, eng, desired)
	if err != nil {
		return res, fmt.Errorf("database %q: %w", w.Database, err)
	}
	if err := res.Report.RefusedError(); err != nil {
		return res, fmt.Errorf("database %q: %w", w.Database, err)
	}
	return res, nil
}

// lostScope lists the ledger's users who hold a scope group and are not in the plan: the
// group was read in full without them, so they lost it.
func (h *Handler) lostScope(ctx context.Context, eng dbuser.Engine, cfg dbuser.DatabaseConfig, named map[string]bool, scope []string) ([]dbuser.Desired, error) {
	snap, err := eng.Snapshot(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("read ledger: %w", err)
	}
	var out []dbuser.Desired
	for id, e := range snap.Ledger {
		if named[id] {
			continue
		}
		var keep []string
		lost := false
		for _, g := range e.Groups {
			if slices.Contains(scope, g) {
				lost = true
			} else {
				keep = append(keep, g)
			}
		}
		if !lost {
			continue
		}
		groups, roles := cfg.Access(keep)
		// The ledger's own name is kept: the plan does not carry this user's UserName or Email,
		// and a user with groups left keeps the name it has.
		out = append(out, dbuser.Desired{IdentityStoreUserID: id, DBUser: e.DBUser, Groups: groups, Roles: roles})
	}
	slices.SortFunc(out, func(a, b dbuser.Desired) int {
		if a.IdentityStoreUserID < b.IdentityStoreUserID {
			return -1
		}
		return 1
	})
	return out, nil
}

// ErrNoDatabases is returned when the function has no databases configured.
var ErrNoDatabases = errors.New("no databases configured")
