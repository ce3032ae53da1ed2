// Package dbplan computes, from one identity store Change, the desired database state of the
// users it touches: which mapped groups each is in now and the union of their roles. It reads
// the identity store's current state (the event is only a trigger) and leaves applying the
// plan to the database step.
//
// A Plan is authoritative for every user in Users across all mapped groups. In addition, for
// each group named in ScopeGroups the group was re-read in full: a user the database step has
// on its ledger for that group but who is not in Users with that group has lost it.
package dbplan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"github.com/ssoflow/ssoflow/functions/internal/parallel"
	"slices"

	"github.com/ssoflow/ssoflow/functions/internal/ctevent"
	"github.com/ssoflow/ssoflow/functions/internal/errs"
	"github.com/ssoflow/ssoflow/functions/internal/identitystore"
)

// Reads is what the planner needs from the identity store; *identitystore.Reader has it.
type Reads interface {
	GroupMembers(ctx context.Context, groupID string) ([]identitystore.User, error)
	UserGroups(ctx context.Context, userID string, candidateGroupIDs []string) ([]string, error)
	DescribeUser(ctx context.Context, userID string) (identitystore.User, error)
}

// MappedGroup is one configured group: its name in the configuration, the identity store
// group id it resolved to, and the database roles its members get.
type MappedGroup struct {
	Name    string   `json:"name"`
	GroupID string   `json:"groupId"`
	Roles   []string `json:"roles"`
}

// Config is the planner's configuration.
type Config struct {
	// IdentityStoreID, when set, makes changes from another identity store be ignored.
	IdentityStoreID string
	Groups          []MappedGroup
	// Concurrency bounds parallel UserGroups reads when a group is re-read (default 4).
	Concurrency int
}

// DesiredUser is the state one user must have in the databases.
type DesiredUser struct {
	IdentityStoreUserID string   `json:"identityStoreUserId"`
	UserName            string   `json:"userName,omitempty"`
	Email               string   `json:"email,omitempty"`
	Groups              []string `json:"groups"` // mapped group names the user is in now
	Roles               []string `json:"roles"`  // union of those groups' roles
	// Deleted: the user no longer exists; UserName is unknown, find it by the id.
	Deleted bool `json:"deleted,omitempty"`
}

// Plan is the work one Change makes for the database step.
type Plan struct {
	Kind    string        `json:"kind"` // the Change's kind, or ctevent.KindIgnore
	Reason  string        `json:"reason,omitempty"`
	EventID string        `json:"eventId,omitempty"`
	Users   []DesiredUser `json:"users"`
	// ScopeGroups are the mapped group names whose membership was read in full.
	ScopeGroups []string `json:"scopeGroups,omitempty"`
	// MissingGroups are mapped group names whose group no longer exists in the identity
	// store: their members were read as none. Worth a notification: the mapping is stale.
	MissingGroups []string `json:"missingGroups,omitempty"`
}

// mapping indexes the configured groups.
type mapping struct {
	ids    []string            // group ids, in configuration order, unique
	names  map[string][]string // group id → names mapped to it
	roles  map[string][]string // group name → roles
	byName map[string]string   // group name → group id
}

func newMapping(groups []MappedGroup) (*mapping, error) {
	m := &mapping{names: map[string][]string{}, roles: map[string][]string{}, byName: map[string]string{}}
	for _, g := range groups {
		if g.Name == "" || g.GroupID == "" {
			return nil, &errs.ConfigError{Err: fmt.Errorf("mapped group %+v: name and group id are required", g)}
		}
		if _, dup := m.byName[g.Name]; dup {
			return nil, &errs.ConfigError{Err: fmt.Errorf("mapped group %q is configured twice", g.Name)}
		}
		m.byName[g.Name] = g.GroupID
		m.roles[g.Name] = g.Roles
		if _, seen := m.names[g.GroupID]; !seen {
			m.ids = append(m.ids, g.GroupID)
		}
		m.names[g.GroupID] = append(m.names[g.GroupID], g.Name)
	}
	return m, nil
}

// desired builds a user's state from the mapped group ids they are in.
func (m *mapping) desired(u identitystore.User, groupIDs []string) DesiredUser {
	d := DesiredUser{IdentityStoreUserID: u.ID, UserName: u.UserName, Email: u.Email, Groups: []string{}, Roles: []string{}}
	for _, id := range groupIDs {
		for _, name := range m.names[id] {
			d.Groups = append(d.Groups, name)
			d.Roles = append(d.Roles, m.roles[name]...)
		}
	}
	slices.Sort(d.Groups)
	d.Groups = slices.Compact(d.Groups)
	slices.Sort(d.Roles)
	d.Roles = slices.Compact(d.Roles)
	return d
}

func (m *mapping) namesOf(ids []string) []string {
	var out []string
	for _, id := range ids {
		out = append(out, m.names[id]...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Compute reads the identity store through r and returns the Plan for change ch.
func Compute(ctx context.Context, r Reads, ch ctevent.Change, cfg Config) (Plan, error) {
	p := Plan{Kind: ch.Kind, Reason: ch.Reason, EventID: ch.EventID, Users: []DesiredUser{}}
	if ch.Kind == ctevent.KindIgnore {
		return p, nil
	}
	if cfg.IdentityStoreID != "" && ch.IdentityStoreID != "" && ch.IdentityStoreID != cfg.IdentityStoreID {
		return ignored(p, fmt.Sprintf("identity store %s is not the configured %s", ch.IdentityStoreID, cfg.IdentityStoreID)), nil
	}
	m, err := newMapping(cfg.Groups)
	if err != nil {
		return Plan{}, err
	}
	if len(m.ids) == 0 {
		return ignored(p, "no groups are mapped"), nil
	}
	pl := planner{r: r, m: m, concurrency: cfg.Concurrency}
	if pl.concurrency <= 0 {
		pl.concurrency = 4
	}
	switch ch.Kind {
	case ctevent.KindUserGroup:
		if _, ok := m.names[ch.GroupID]; !ok {
			return ignored(p, fmt.Sprintf("group %s is not mapped", ch.GroupID)), nil
		}
		return pl.user(ctx, p, ch.UserID)
	case ctevent.KindUser:
		return pl.user(ctx, p, ch.UserID)
	case ctevent.KindGroup:
		if _, ok := m.names[ch.GroupID]; !ok {
			return ignored(p, fmt.Sprintf("group %s is not mapped", ch.GroupID)), nil
		}
		return pl.groups(ctx, p, []string{ch.GroupID})
	case ctevent.KindAllGroups:
		return pl.groups(ctx, p, m.ids)
	default:
		return Plan{}, errs.Invalid("change %s: unknown kind %q", ch.EventID, ch.Kind)
	}
}

func ignored(p Plan, reason string) Plan {
	p.Kind, p.Reason = ctevent.KindIgnore, reason
	return p
}

type planner struct {
	r           Reads
	m           *mapping
	concurrency int
}

// user plans one user across every mapped group.
func (pl planner) user(ctx context.Context, p Plan, userID string) (Plan, error) {
	d, err := pl.completeUser(ctx, identitystore.User{ID: userID}, nil, nil, true)
	if err != nil {
		return Plan{}, err
	}
	p.Users = append(p.Users, d)
	return p, nil
}

// completeUser builds a user's state: known are the mapped groups the user is known to be in,
// read the groups already read in full (no need to ask about them); the other mapped groups
// are asked. describe also reads the user's attributes. A user gone meanwhile comes back
// Deleted.
func (pl planner) completeUser(ctx context.Context, u identitystore.User, known, read []string, describe bool) (DesiredUser, error) {
	gone := DesiredUser{IdentityStoreUserID: u.ID, Groups: []string{}, Roles: []string{}, Deleted: true}
	if describe {
		du, err := pl.r.DescribeUser(ctx, u.ID)
		if errors.Is(err, identitystore.ErrNotFound) {
			return gone, nil
		}
		if err != nil {
			return DesiredUser{}, fmt.Errorf("planning user %s: %w", u.ID, err)
		}
		u = du
	}
	others := slices.DeleteFunc(slices.Clone(pl.m.ids), func(id string) bool { return slices.Contains(read, id) })
	in := slices.Clone(known)
	if len(others) > 0 {
		more, err := pl.r.UserGroups(ctx, u.ID, others)
		if errors.Is(err, identitystore.ErrNotFound) {
			return gone, nil
		}
		if err != nil {
			return DesiredUser{}, fmt.Errorf("planning user %s: %w", u.ID, err)
		}
		in = append(in, more...)
	}
	return pl.m.desired(u, in), nil
}

// groups re-reads groupIDs in full and plans every current member across all mapped groups.
func (pl planner) groups(ctx context.Context, p Plan, groupIDs []string) (Plan, error) {
	users := map[string]identitystore.User{}
	memberOf := map[string][]string{}
	var order []string
	for _, gid := range groupIDs {
		members, err := pl.r.GroupMembers(ctx, gid)
		if errors.Is(err, identitystore.ErrNotFound) {
			p.MissingGroups = append(p.MissingGroups, pl.m.names[gid]...)
			continue
		}
		if err != nil {
			return Plan{}, fmt.Errorf("planning group %s: %w", gid, err)
		}
		for _, u := range members {
			if _, seen := users[u.ID]; !seen {
				order = append(order, u.ID)
				users[u.ID] = u
			}
			memberOf[u.ID] = append(memberOf[u.ID], gid)
		}
	}
	p.ScopeGroups = pl.m.namesOf(groupIDs)
	slices.Sort(p.MissingGroups)

	out := make([]DesiredUser, len(order))
	err := parallel.ForEach(ctx, len(order), pl.concurrency, func(ctx context.Context, i int) error {
		id := order[i]
		d, err := pl.completeUser(ctx, users[id], memberOf[id], groupIDs, false)
		out[i] = d
		return err
	})
	if err != nil {
		return Plan{}, err
	}
	slices.SortFunc(out, func(a, b DesiredUser) int {
		if c := cmp.Compare(a.UserName, b.UserName); c != 0 {
			return c
		}
		return cmp.Compare(a.IdentityStoreUserID, b.IdentityStoreUserID)
	})
	p.Users = out
	return p, nil
}
