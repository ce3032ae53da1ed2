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
	Handle(ctx context.Context, w resolve.DatabaseWork) (dbusers.Result, error)
}

// Databases is the Identity Center → databases half of a run.
type Databases struct {
	Reads dbplan.Reads // *identitystore.Reader
	Sync  DatabaseSync // nil: plan only
	List  []resolve.Database
}

// DatabasePlan is one database's desired state: every mapped group read in full.
type DatabasePlan struct {
	Database      string   `json:"database"`
	Users         int      `json:"users"`  // users who must have access
	Grants        int      `json:"grants"` // user × role pairs they must hold
	ScopeGroups   []string `json:"scopeGroups"`
	MissingGroups []string `json:"missingGroups,omitempty"`

	work resolve.DatabaseWork
}

// DatabaseResult is what applying one database did.
type DatabaseResult struct {
	Database string         `json:"database"`
	Counts   map[string]int `json:"counts,omitempty"` // created, granted, revoked, dropped, …
	Error    string         `json:"error,omitempty"`
}

// plan reads every mapped group once (dbplan with an all-groups change) and splits the result
// per database.
func (d *Databases) plan(ctx context.Context, dir *directory) ([]DatabasePlan, error) {
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
		out = append(out, dp)
	}
	return out, nil
}

// apply converges each database in turn; a failure is reported and the others proceed.
func (d *Databases) apply(ctx context.Context, plans []DatabasePlan) []DatabaseResult {
	var out []DatabaseResult
	for _, p := range plans {
		if d.Sync == nil {
			continue
		}
		res := DatabaseResult{Database: p.Database}
		r, err := d.Sync.Handle(ctx, p.work)
		if err != nil {
			res.Error = err.Error()
		}
		res.Counts = counts(r.Report)
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
