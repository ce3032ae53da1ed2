package resolve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/ssoflow/ssoflow/functions/internal/ctevent"
	"github.com/ssoflow/ssoflow/functions/internal/dbplan"
	"github.com/ssoflow/ssoflow/functions/internal/errs"
	"github.com/ssoflow/ssoflow/functions/internal/identitystore"
)

// Identity is what the resolver reads from the identity store; *identitystore.Reader has it.
type Identity interface {
	dbplan.Reads
	GroupIDByName(ctx context.Context, name string) (string, error)
}

// identityCenter plans an Identity Center change event.
func (r *Resolver) identityCenter(ctx context.Context, event []byte) (Plan, error) {
	ch, err := ctevent.Parse(event)
	if err != nil {
		return Plan{}, err
	}
	return r.databases(ctx, ch)
}

// databases plans the desired state, per database, of every user the change may have touched;
// an all-groups change (the scheduled reconcile, or an event that names no group) re-reads
// every mapped group, so every database converges in full.
func (r *Resolver) databases(ctx context.Context, ch ctevent.Change) (Plan, error) {
	if ch.Kind == ctevent.KindIgnore {
		return Plan{Kind: KindIgnore, Reason: ch.Reason}, nil
	}
	if len(r.Config.Databases) == 0 {
		return Plan{Kind: KindIgnore, Reason: "no databases are configured"}, nil
	}
	if r.Identity == nil {
		return Plan{}, errors.New("an Identity Center event arrived but no identity store reader is configured")
	}
	groups, err := r.mappedGroups(ctx)
	if err != nil {
		return Plan{}, err
	}
	p, err := dbplan.Compute(ctx, r.Identity, ch, dbplan.Config{IdentityStoreID: r.Config.IdentityStoreID, Groups: groups})
	if err != nil {
		return Plan{}, fmt.Errorf("plan %s %s: %w", ch.EventName, ch.EventID, err)
	}
	if p.Kind == ctevent.KindIgnore {
		return Plan{Kind: KindIgnore, Reason: p.Reason}, nil
	}
	if len(p.MissingGroups) > 0 {
		r.Log.WarnContext(ctx, "mapped groups no longer exist in the identity store", "groups", p.MissingGroups)
	}
	out := Plan{Kind: KindDatabase, Summary: summary(p)}
	for _, db := range r.Config.Databases {
		w := forDatabase(db, p)
		r.Config.route(&w)
		out.Databases = append(out.Databases, w)
	}
	if planSize(out) > r.Config.inlineBytes() {
		var err error
		if out, err = r.byReference(ctx, out); err != nil {
			return Plan{}, err
		}
	}
	if size := planSize(out); size > MaxPlanBytes {
		return Plan{}, &errs.ConfigError{Err: fmt.Errorf("the plan for %s names %d stored chunks (%d KiB), over the %d KiB a Step Functions state may carry: "+
			"raise the chunk size or split the databases' groups (every user is kept as is until then)",
			out.Summary, len(out.Databases), size/1024, MaxPlanBytes/1024)}
	}
	return out, nil
}

// MaxPlanBytes keeps the Resolve state's output (the plan, with the event it came with) under
// Step Functions' 256 KiB payload quota with room for the event.
const MaxPlanBytes = 200 * 1024

func planSize(p Plan) int {
	b, err := json.Marshal(p)
	if err != nil {
		return 0
	}
	return len(b)
}

// mappedGroups resolves every group name any database grants to its identity store id. A
// group that does not exist is left out (with a warning): nobody can be in it.
func (r *Resolver) mappedGroups(ctx context.Context) ([]dbplan.MappedGroup, error) {
	names := map[string]bool{}
	for _, db := range r.Config.Databases {
		for g := range db.Grants {
			names[g] = true
		}
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	var out []dbplan.MappedGroup
	for _, n := range sorted {
		id, ok := r.idcGroups.Get(n)
		if !ok {
			var err error
			id, err = r.Identity.GroupIDByName(ctx, n)
			if errors.Is(err, identitystore.ErrNotFound) {
				r.Log.WarnContext(ctx, "a group named in the database grants does not exist in Identity Center", "group", n)
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("find Identity Center group %q: %w", n, err)
			}
			r.idcGroups.Put(n, id)
		}
		out = append(out, dbplan.MappedGroup{Name: n, GroupID: id})
	}
	return out, nil
}

// forDatabase narrows the plan to one database: each user's groups to those this database
// grants, roles to what those groups grant here. A user left with no group here loses access
// (the database step drops only users it created).
func forDatabase(db Database, p dbplan.Plan) DatabaseWork {
	w := DatabaseWork{Database: db.Name, EventID: p.EventID, Users: make([]dbplan.DesiredUser, 0, len(p.Users))}
	for _, u := range p.Users {
		d := u
		d.Groups, d.Roles = nil, nil
		for _, g := range u.Groups {
			if roles, ok := db.Grants[g]; ok {
				d.Groups = append(d.Groups, g)
				for _, role := range roles {
					if !slices.Contains(d.Roles, role) {
						d.Roles = append(d.Roles, role)
					}
				}
			}
		}
		sort.Strings(d.Roles)
		if d.Groups == nil {
			d.Groups = []string{}
		}
		if d.Roles == nil {
			d.Roles = []string{}
		}
		w.Users = append(w.Users, d)
	}
	for _, g := range p.ScopeGroups {
		if _, ok := db.Grants[g]; ok {
			w.ScopeGroups = append(w.ScopeGroups, g)
		}
	}
	return w
}

func summary(p dbplan.Plan) string {
	if len(p.Users) == 1 {
		u := p.Users[0]
		who := u.UserName
		if who == "" {
			who = "deleted user " + u.IdentityStoreUserID
		}
		return who
	}
	s := fmt.Sprintf("%d users", len(p.Users))
	if len(p.ScopeGroups) > 0 {
		s += " in " + strings.Join(p.ScopeGroups, ", ")
	}
	return s
}
