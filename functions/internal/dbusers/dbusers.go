// Package dbusers is the core of the dbusers Lambda, one iteration of the provision state
// machine's ProvisionDatabases Map: it connects to one configured database as the provisioner
// (IAM token, verified TLS, pooled across invocations) and converges the users a change touched.
package dbusers

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"

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

// MaxReportedUsers bounds the users a Result names: the Map gathers every iteration's Result
// into one state, and a Step Functions state carries at most 256 KiB (exceeding it is a
// terminal error no Catch sees). The log line has the counts; Converge has every user.
const MaxReportedUsers = 20

// Handle is the Lambda handler: Converge, with the report trimmed to the users that changed
// or were refused, at most MaxReportedUsers of them (Report.Omitted says how many more).
func (h *Handler) Handle(ctx context.Context, w resolve.DatabaseWork) (Result, error) {
	res, err := h.Converge(ctx, w)
	res.Report = res.Report.Brief(MaxReportedUsers)
	return res, err
}

// Converge converges one database to the plan's users. Users the plan does not name are left
// alone, except that for each group in ScopeGroups (re-read in full) a user the ledger has for
// that group, and who is not in the plan, loses it. A name that cannot be a safe identifier is
// refused and comes back as InvalidInputError after every other user was applied.
func (h *Handler) Converge(ctx context.Context, w resolve.DatabaseWork) (Result, error) {
	res, err := h.apply(ctx, w)
	if err != nil {
		h.Log.ErrorContext(ctx, "database provisioning failed", "database", w.Database, "event", w.EventID, "error", err)
		return res, errs.Classify(err)
	}
	h.Log.InfoContext(ctx, "database provisioned", "database", w.Database, "event", w.EventID, "from", w.From, "to", w.To, "counts", res.Report.Counts)
	return res, nil
}

func (h *Handler) apply(ctx context.Context, w resolve.DatabaseWork) (Result, error) {
	res := Result{Database: w.Database}
	if len(w.Chunks) > 0 {
		return res, errs.Invalid("database %q: the work names %d stored chunks instead of users (the state machine's LoadWork step reads each)", w.Database, len(w.Chunks))
	}
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
	var ledger map[string]dbuser.LedgerEntry
	if len(w.ScopeGroups) > 0 {
		snap, err := eng.Snapshot(ctx, nil)
		if err != nil {
			return res, fmt.Errorf("database %q: read ledger: %w", w.Database, err)
		}
		ledger = snap.Ledger
	}
	desired := Desired(cfg, w, ledger)
	res.Report, err = dbuser.Apply(ctx, eng, desired)
	if err != nil {
		return res, fmt.Errorf("database %q: %w", w.Database, err)
	}
	if err := res.Report.RefusedError(); err != nil {
		return res, fmt.Errorf("database %q: %w", w.Database, err)
	}
	return res, nil
}

// Desired is what one database must converge to for a plan: each planned user with the groups
// this database grants and their roles (none for a deleted user), and — for each group in
// ScopeGroups, which was re-read in full — every user the ledger has for that group who is not
// in the plan, with that group taken away (they keep the ledger's name: the plan does not carry
// their UserName or Email). For a chunk of a plan passed by reference only the ledger users the
// chunk covers are considered: the other chunks decide for the others. ledger is needed only
// when the plan has ScopeGroups.
func Desired(cfg dbuser.DatabaseConfig, w resolve.DatabaseWork, ledger map[string]dbuser.LedgerEntry) []dbuser.Desired {
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
	if len(w.ScopeGroups) == 0 {
		return desired
	}
	var lost []dbuser.Desired
	for id, e := range ledger {
		if named[id] || !w.Covers(id) {
			continue
		}
		var keep []string
		out := false
		for _, g := range e.Groups {
			if slices.Contains(w.ScopeGroups, g) {
				out = true
			} else {
				keep = append(keep, g)
			}
		}
		if !out {
			continue
		}
		groups, roles := cfg.Access(keep)
		lost = append(lost, dbuser.Desired{IdentityStoreUserID: id, DBUser: e.DBUser, Groups: groups, Roles: roles})
	}
	slices.SortFunc(lost, func(a, b dbuser.Desired) int { return strings.Compare(a.IdentityStoreUserID, b.IdentityStoreUserID) })
	return append(desired, lost...)
}
