// Package reconcile is the scheduled full comparison that repairs whatever the event path
// missed: for every matched Okta group it makes the Identity Center group's membership equal
// Okta's (SCIM PATCHes of at most 100 changes), then for every mapped group it converges the
// databases to Identity Center. It never deletes a user or a group, only memberships and the
// database users ssoflow created, and it refuses to remove more than a set share of a group's
// members in one run unless forced: an Okta outage that answers empty groups must not empty
// Identity Center.
package reconcile

import (
	"context"
	"errors"
	"fmt"
	"github.com/ssoflow/ssoflow/functions/internal/parallel"
	"hash/fnv"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/ssoflow/ssoflow/functions/internal/okta"
)

// Defaults of the removal guard.
const (
	DefaultMaxRemoveShare = 0.2
	// DefaultRemoveFloor: this many removals in a group are always allowed, so ordinary churn
	// in a small group is not refused.
	DefaultRemoveFloor = 5
)

// Okta is what reconcile reads from Okta (*okta.Client).
type Okta interface {
	ListGroups(ctx context.Context, namePrefix string) ([]okta.Group, error)
	GetGroup(ctx context.Context, id string) (okta.Group, error)
	ListGroupMembers(ctx context.Context, groupID string) ([]okta.User, error)
}

// Members lists an Identity Center group's member user ids through the identity store
// (*identitystore.Reader): SCIM cannot list members.
type Members interface {
	MemberIDs(ctx context.Context, groupID string) ([]string, error)
}

// Converger applies one group's membership changes through SCIM in PATCHes of at most 100
// changes (*scimpush.Pusher).
type Converger interface {
	Converge(ctx context.Context, groupID string, add, remove []string) error
}

// Config is what a run reconciles and how carefully.
type Config struct {
	IdentityStoreID string
	GroupPrefix     string            // Okta groups named with it map to the same-named Identity Center group
	GroupMappings   map[string]string // Okta group id → Identity Center group id (survives renames)
	MaxRemoveShare  float64           // default DefaultMaxRemoveShare
	RemoveFloor     int               // default DefaultRemoveFloor; negative means none
	Force           bool              // apply removals beyond the guard
	Concurrency     int               // groups read and applied in parallel (default 4)
	// Shard, Shards select the groups whose Okta id hashes to Shard modulo Shards (Shards 0:
	// all). The state machine's Map applies one shard per iteration.
	Shard, Shards int
}

func (c Config) withDefaults() Config {
	if c.MaxRemoveShare <= 0 {
		c.MaxRemoveShare = DefaultMaxRemoveShare
	}
	if c.RemoveFloor == 0 {
		c.RemoveFloor = DefaultRemoveFloor
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 4
	}
	return c
}

// Reconciler runs reconciles. Set the fields, then call Plan and Apply.
type Reconciler struct {
	Okta      Okta
	Directory ListAPI          // identity store listing
	Members   Members          // identity store memberships
	External  ExternalIDLookup // SCIM externalId fallback; nil disables it
	SCIM      Converger
	Databases *Databases // nil: Identity Center only
	Config    Config
	Log       *slog.Logger
	// Progress receives human-readable progress lines (the CLI prints them on stderr).
	Progress func(format string, args ...any)
}

// Member is one user in a planned change.
type Member struct {
	UserID   string `json:"userId"`             // Identity Center user id
	UserName string `json:"userName,omitempty"` // Identity Center userName
}

// GroupPlan is what one matched group needs.
type GroupPlan struct {
	OktaGroupID   string   `json:"oktaGroupId"`
	OktaGroupName string   `json:"oktaGroupName"`
	GroupID       string   `json:"groupId,omitempty"` // Identity Center group id
	OktaMembers   int      `json:"oktaMembers"`
	Members       int      `json:"members"` // Identity Center members now
	Add           []Member `json:"add,omitempty"`
	Remove        []Member `json:"remove,omitempty"`
	// NotProvisioned are Okta members with no Identity Center user (by login or externalId):
	// they cannot be added until Okta provisions them.
	NotProvisioned []string `json:"notProvisioned,omitempty"`
	// Refused says why the removals were not (to be) applied: beyond the guard, without Force.
	Refused string `json:"refused,omitempty"`
	// Problem says why the group cannot be reconciled at all (e.g. no Identity Center group).
	Problem string `json:"problem,omitempty"`
	// Error is a failure reading or applying the group (after the clients' own retries).
	Error string `json:"error,omitempty"`
}

// Changes is the number of membership changes the group will get.
func (g GroupPlan) Changes() int {
	if g.Problem != "" || g.Error != "" {
		return 0
	}
	if g.Refused != "" {
		return len(g.Add)
	}
	return len(g.Add) + len(g.Remove)
}

// Plan is one run's comparison: per group and per database, what changes.
type Plan struct {
	Groups    []GroupPlan    `json:"groups"`
	Databases []DatabasePlan `json:"databases,omitempty"`
	Force     bool           `json:"force,omitempty"`

	dir *directory // the directory read, for re-planning the databases after the groups
}

// Refused lists the groups whose removals the guard held back.
func (p *Plan) Refused() []GroupPlan {
	var out []GroupPlan
	for _, g := range p.Groups {
		if g.Refused != "" {
			out = append(out, g)
		}
	}
	return out
}

// Totals sums the planned adds and removes (refused removals excluded).
func (p *Plan) Totals() (adds, removes int) {
	for _, g := range p.Groups {
		if g.Problem != "" || g.Error != "" {
			continue
		}
		adds += len(g.Add)
		if g.Refused == "" {
			removes += len(g.Remove)
		}
	}
	return adds, removes
}

func (r *Reconciler) progress(format string, args ...any) {
	if r.Progress != nil {
		r.Progress(format, args...)
	}
}

func (r *Reconciler) log() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.New(slog.DiscardHandler)
}

// matched is a matched Okta group and its Identity Center target.
type matched struct {
	okta     okta.Group
	targetID string // mapped id, or "" to find by name
}

// InShard reports whether the Okta group falls in shard of shards (shards <= 1: always).
func InShard(oktaGroupID string, shard, shards int) bool {
	if shards <= 1 {
		return true
	}
	h := fnv.New32a()
	h.Write([]byte(oktaGroupID))
	return int(h.Sum32()%uint32(shards)) == shard
}

// matchGroups lists the Okta groups to reconcile: the prefixed ones and the mapped ones.
func (r *Reconciler) matchGroups(ctx context.Context, cfg Config) ([]matched, []GroupPlan, error) {
	var out []matched
	var problems []GroupPlan
	seen := map[string]bool{}
	if cfg.GroupPrefix != "" {
		gs, err := r.Okta.ListGroups(ctx, cfg.GroupPrefix)
		if err != nil {
			return nil, nil, fmt.Errorf("list Okta groups named %s*: %w", cfg.GroupPrefix, err)
		}
		for _, g := range gs {
			seen[g.ID] = true
			out = append(out, matched{okta: g, targetID: cfg.GroupMappings[g.ID]})
		}
	}
	ids := make([]string, 0, len(cfg.GroupMappings))
	for id := range cfg.GroupMappings {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if seen[id] || !InShard(id, cfg.Shard, cfg.Shards) {
			continue
		}
		g, err := r.Okta.GetGroup(ctx, id)
		if errors.Is(err, okta.ErrNotFound) {
			problems = append(problems, GroupPlan{OktaGroupID: id, GroupID: cfg.GroupMappings[id],
				Problem: "the mapped Okta group does not exist: fix the mapping"})
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read mapped Okta group %s: %w", id, err)
		}
		out = append(out, matched{okta: g, targetID: cfg.GroupMappings[id]})
	}
	out = slices.DeleteFunc(out, func(m matched) bool { return !InShard(m.okta.ID, cfg.Shard, cfg.Shards) })
	return out, problems, nil
}

// Plan compares Okta with Identity Center (and, with Databases, Identity Center with the
// databases) and returns what Apply would change. It changes nothing.
func (r *Reconciler) Plan(ctx context.Context) (*Plan, error) {
	cfg := r.Config.withDefaults()
	groups, problems, err := r.matchGroups(ctx, cfg)
	if err != nil {
		return nil, err
	}
	r.progress("matched %d Okta groups", len(groups))
	dir, err := readDirectory(ctx, r.Directory, cfg.IdentityStoreID, r.External, r.progress)
	if err != nil {
		return nil, err
	}
	plans := make([]GroupPlan, len(groups))
	err = forEach(ctx, cfg.Concurrency, len(groups), func(ctx context.Context, i int) error {
		p, err := r.planGroup(ctx, cfg, dir, groups[i])
		if err != nil {
			// Reported with the group; the other groups proceed.
			p.Error = err.Error()
			r.log().WarnContext(ctx, "reconcile: cannot compare group", "oktaGroup", groups[i].okta.Name, "error", err)
		}
		plans[i] = p
		return ctx.Err()
	}, func(done int) {
		if done%50 == 0 || done == len(groups) {
			r.progress("compared %d/%d groups", done, len(groups))
		}
	})
	if err != nil {
		return nil, err
	}
	plans = append(plans, problems...)
	slices.SortFunc(plans, func(a, b GroupPlan) int {
		return strings.Compare(a.OktaGroupName+"\x00"+a.OktaGroupID, b.OktaGroupName+"\x00"+b.OktaGroupID)
	})
	p := &Plan{Groups: plans, Force: cfg.Force, dir: dir}
	if r.Databases != nil && cfg.Shards <= 1 {
		if p.Databases, err = r.Databases.plan(ctx, cfg, dir); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// planGroup compares one group.
func (r *Reconciler) planGroup(ctx context.Context, cfg Config, dir *directory, m matched) (GroupPlan, error) {
	gp := GroupPlan{OktaGroupID: m.okta.ID, OktaGroupName: m.okta.Name, GroupID: m.targetID}
	if gp.GroupID == "" {
		id, ok := dir.groupByName[m.okta.Name]
		if !ok {
			gp.Problem = fmt.Sprintf("no Identity Center group is named %q: create it (Okta's push groups) or map the Okta group", m.okta.Name)
			return gp, nil
		}
		gp.GroupID = id
	} else if _, ok := dir.groupName[gp.GroupID]; !ok {
		gp.Problem = fmt.Sprintf("the mapped Identity Center group %s does not exist: fix the mapping", gp.GroupID)
		return gp, nil
	}
	users, err := r.Okta.ListGroupMembers(ctx, m.okta.ID)
	if err != nil {
		return gp, fmt.Errorf("group %s: %w", m.okta.Name, err)
	}
	current, err := r.Members.MemberIDs(ctx, gp.GroupID)
	if err != nil {
		return gp, fmt.Errorf("group %s: read Identity Center members: %w", m.okta.Name, err)
	}
	gp.OktaMembers, gp.Members = len(users), len(current)
	want := make(map[string]bool, len(users))
	for _, u := range users {
		id, err := dir.userFor(ctx, u.Login, u.ID)
		if err != nil {
			return gp, fmt.Errorf("group %s: %w", m.okta.Name, err)
		}
		if id == "" {
			gp.NotProvisioned = append(gp.NotProvisioned, u.Login)
			continue
		}
		want[id] = true
	}
	have := make(map[string]bool, len(current))
	for _, id := range current {
		have[id] = true
		if !want[id] {
			gp.Remove = append(gp.Remove, Member{UserID: id, UserName: dir.nameOf(id)})
		}
	}
	for id := range want {
		if !have[id] {
			gp.Add = append(gp.Add, Member{UserID: id, UserName: dir.nameOf(id)})
		}
	}
	byName := func(a, b Member) int { return strings.Compare(a.UserName+"\x00"+a.UserID, b.UserName+"\x00"+b.UserID) }
	slices.SortFunc(gp.Add, byName)
	slices.SortFunc(gp.Remove, byName)
	slices.Sort(gp.NotProvisioned)
	if limit := removalLimit(cfg, len(current)); len(gp.Remove) > limit && !cfg.Force {
		gp.Refused = fmt.Sprintf("would remove %d of %d members (more than %.0f%%, limit %d): check Okta, then run with --force",
			len(gp.Remove), len(current), cfg.MaxRemoveShare*100, limit)
	}
	return gp, nil
}

// removalLimit is the most removals the guard allows in a group of n members.
func removalLimit(cfg Config, n int) int {
	limit := int(cfg.MaxRemoveShare * float64(n))
	if cfg.RemoveFloor > 0 {
		limit = max(limit, cfg.RemoveFloor)
	}
	return limit
}

// forEach runs fn(i) for i in [0,n) with at most conc in parallel; the first error cancels the
// rest and is returned. done is called (serially) with the count finished so far.
func forEach(ctx context.Context, conc, n int, fn func(context.Context, int) error, done func(int)) error {
	var mu sync.Mutex
	finished := 0
	return parallel.ForEach(ctx, n, conc, func(ctx context.Context, i int) error {
		if err := fn(ctx, i); err != nil {
			return err
		}
		if done != nil {
			mu.Lock()
			finished++
			done(finished)
			mu.Unlock()
		}
		return nil
	})
}
