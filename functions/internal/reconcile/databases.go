package reconcile

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/ssoflow/ssoflow/functions/internal/ctevent"
	"github.com/ssoflow/ssoflow/functions/internal/dbplan"
	"github.com/ssoflow/ssoflow/functions/internal/dbuser"
	"github.com/ssoflow/ssoflow/functions/internal/dbusers"
	"github.com/ssoflow/ssoflow/functions/internal/resolve"
)

// DatabaseSync converges one database to a group-scoped plan (*dbusers.Handler): users in the
// ledger whose scope groups ended lose them.
type DatabaseSync interface {
	Converge(ctx context.Context, w resolve.DatabaseWork) (dbusers.Result, error)
}

// DatabasePreview reads one database and returns what converging it to w would do, changing
// nothing (*HandlerPreview), and how many users its ledger manages now.
type DatabasePreview interface {
	Preview(ctx context.Context, w resolve.DatabaseWork) (rep dbuser.Report, managed int, err error)
}

// Databases is the Identity Center → databases half of a run.
type Databases struct {
	Reads dbplan.Reads // *identitystore.Reader
	Sync  DatabaseSync // nil: plan only
	// Preview, when set, reads every database while planning: the plan then says per user
	// what applying would do, and the removal guard holds back a database's drops.
	Preview DatabasePreview
	List    []resolve.Database
}

// DatabasePlan is one database's desired state: every mapped group read in full.
type DatabasePlan struct {
	Database      string   `json:"database"`
	Users         int      `json:"users"`  // users who must have access
	Grants        int      `json:"grants"` // user × role pairs they must hold
	ScopeGroups   []string `json:"scopeGroups"`
	MissingGroups []string `json:"missingGroups,omitempty"`
	// With a Preview: the users the ledger manages now, and what applying would do per user.
	Managed int            `json:"managed,omitempty"`
	Changes *dbuser.Report `json:"changes,omitempty"`
	// Refused says why the drops are held back (beyond the guard, without Force): the other
	// changes are applied, users who lost every group keep their access.
	Refused string `json:"refused,omitempty"`
	// Error is a failure reading the database; it is then not applied.
	Error string `json:"error,omitempty"`

	work resolve.DatabaseWork
}

// Drops is the number of users the plan drops (not counting renames).
func (d DatabasePlan) Drops() int {
	if d.Changes == nil {
		return 0
	}
	n := 0
	for _, u := range d.Changes.Users {
		if u.Has(dbuser.ActionDropped) && !u.Has(dbuser.ActionCreated) {
			n++
		}
	}
	return n
}

// DatabaseResult is what applying one database did.
type DatabaseResult struct {
	Database string              `json:"database"`
	Counts   map[string]int      `json:"counts,omitempty"` // created, granted, revoked, dropped, …
	Users    []dbuser.UserReport `json:"users,omitempty"`
	Refused  string              `json:"refused,omitempty"` // drops held back by the guard
	Error    string              `json:"error,omitempty"`
}

// plan reads every mapped group once (dbplan with an all-groups change) and splits the result
// per database.
func (d *Databases) plan(ctx context.Context, cfg Config, dir *directory) ([]DatabasePlan, error) {
	names := map[string]bool{}
	for _, db := range d.List {
		for g := range db.Grants {
			names[g] = true
		}
	}
	var mapped []dbplan.MappedGroup
	missing := map[string]bool{}
	for _, n := range sortedKeys(names) {
		if id, ok := dir.groupByName[n]; ok {
			mapped = append(mapped, dbplan.MappedGroup{Name: n, GroupID: id})
		} else {
			missing[n] = true
		}
	}
	all := dbplan.Plan{Users: []dbplan.DesiredUser{}}
	if len(mapped) > 0 {
		var err error
		all, err = dbplan.Compute(ctx, d.Reads, ctevent.Change{Kind: ctevent.KindAllGroups, EventID: "reconcile"}, dbplan.Config{Groups: mapped})
		if err != nil {
			return nil, fmt.Errorf("plan databases: %w", err)
		}
	}
	for _, n := range all.MissingGroups {
		missing[n] = true
	}
	var out []DatabasePlan
	for _, db := range d.List {
		dp := DatabasePlan{Database: db.Name, work: resolve.DatabaseWork{Database: db.Name, EventID: "reconcile", Users: []dbplan.DesiredUser{}}}
		for _, g := range sortedKeys(db.Grants) {
			if missing[g] {
				dp.MissingGroups = append(dp.MissingGroups, g)
			} else {
				dp.ScopeGroups = append(dp.ScopeGroups, g)
			}
		}
		dp.work.ScopeGroups = dp.ScopeGroups
		for _, u := range all.Users {
			var groups, roles []string
			for _, g := range u.Groups {
				if rs, ok := db.Grants[g]; ok {
					groups = append(groups, g)
					roles = append(roles, rs...)
				}
			}
			if len(groups) == 0 {
				continue // not named: the database step revokes what the ledger holds for the scope
			}
			slices.Sort(roles)
			u.Groups, u.Roles = groups, slices.Compact(roles)
			dp.work.Users = append(dp.work.Users, u)
			dp.Users++
			dp.Grants += len(u.Roles)
		}
		if d.Preview != nil {
			d.preview(ctx, cfg, &dp)
		}
		out = append(out, dp)
	}
	return out, nil
}

// preview reads the database for dp's per-user changes and applies the removal guard: an
// identity store answering empty groups must not empty a database either.
func (d *Databases) preview(ctx context.Context, cfg Config, dp *DatabasePlan) {
	rep, managed, err := d.Preview.Preview(ctx, dp.work)
	if err != nil {
		dp.Error = err.Error()
		return
	}
	dp.Managed, dp.Changes = managed, &rep
	if drops, limit := dp.Drops(), removalLimit(cfg, managed); drops > limit && !cfg.Force {
		dp.Refused = fmt.Sprintf("would drop %d of %d managed users (more than %.0f%%, limit %d): check Identity Center, then run with --force",
			drops, managed, cfg.MaxRemoveShare*100, limit)
	}
}

// apply converges each database in turn; a failure is reported and the others proceed.
func (d *Databases) apply(ctx context.Context, plans []DatabasePlan) []DatabaseResult {
	var out []DatabaseResult
	for _, p := range plans {
		if d.Sync == nil {
			continue
		}
		res := DatabaseResult{Database: p.Database, Refused: p.Refused}
		if p.Error != "" {
			res.Error = "not applied, the plan could not read it: " + p.Error
			out = append(out, res)
			continue
		}
		w := p.work
		if p.Refused != "" {
			// Only users the plan names are converged: those who lost every group keep theirs.
			w.ScopeGroups = nil
		}
		r, err := d.Sync.Converge(ctx, w)
		if err != nil {
			res.Error = err.Error()
		}
		res.Counts, res.Users = counts(r.Report), r.Report.Users
		out = append(out, res)
	}
	return out
}

func counts(r dbuser.Report) map[string]int {
	if len(r.Counts) == 0 {
		return nil
	}
	out := map[string]int{}
	for a, n := range r.Counts {
		out[string(a)] = n
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
