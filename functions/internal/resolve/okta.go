package resolve

import (
	"context"
	"errors"
	"fmt"
	"strings"

	ssoflow "github.com/ssoflow/ssoflow/functions"
	"github.com/ssoflow/ssoflow/functions/internal/errs"
	"github.com/ssoflow/ssoflow/functions/internal/okta"
)

// Okta is what the resolver reads from Okta; *okta.Client has it.
type Okta interface {
	ListUserGroups(ctx context.Context, userID string) ([]okta.Group, error)
	GetGroup(ctx context.Context, id string) (okta.Group, error)
	GetUser(ctx context.Context, idOrLogin string) (okta.User, error)
}

// okta plans an Okta membership event: it reads the user's groups as they are now (one
// request), so the plan says what the membership must be, whatever the event said.
func (r *Resolver) okta(ctx context.Context, ev ssoflow.OktaMembershipEvent) (Plan, error) {
	if ev.UserID == "" || ev.GroupID == "" {
		return Plan{}, errs.Invalid("Okta event %s names no user or no group", ev.EventID)
	}
	if r.Okta == nil {
		return Plan{}, &errs.ConfigError{Err: errors.New("an Okta event arrived but no Okta org is configured (okta.orgUrl)")}
	}
	groups, err := r.Okta.ListUserGroups(ctx, ev.UserID)
	userGone := errors.Is(err, okta.ErrNotFound)
	if err != nil && !userGone {
		return Plan{}, fmt.Errorf("read Okta groups of user %s: %w", ev.UserID, err)
	}
	member := false
	name := ""
	for _, g := range groups {
		r.oktaGroups.Put(g.ID, g.Name)
		if g.ID == ev.GroupID {
			member, name = true, g.Name
		}
	}
	if name == "" {
		if name, err = r.oktaGroupName(ctx, ev.GroupID); err != nil {
			if errors.Is(err, okta.ErrNotFound) {
				return Plan{Kind: KindIgnore, Reason: fmt.Sprintf("Okta group %s no longer exists; the scheduled reconcile handles its members", ev.GroupID)}, nil
			}
			return Plan{}, err
		}
	}
	login := ev.UserLogin
	if login == "" && !userGone {
		u, err := r.Okta.GetUser(ctx, ev.UserID)
		if err != nil {
			return Plan{}, fmt.Errorf("read Okta user %s: %w", ev.UserID, err)
		}
		login = u.Login
	}
	push := ssoflow.GroupPush{
		OktaUserID: ev.UserID, UserName: login, OktaGroupID: ev.GroupID, OktaGroup: name,
		Member: member, ObservedFrom: ev.EventID,
	}
	if id, ok := r.Config.GroupMappings[ev.GroupID]; ok {
		push.TargetID, push.TargetGroup = id, name
	} else if r.Config.GroupPrefix != "" && strings.HasPrefix(name, r.Config.GroupPrefix) {
		push.TargetGroup = name
	} else {
		return Plan{Kind: KindIgnore, Reason: fmt.Sprintf("Okta group %q is neither mapped nor named with the prefix %q", name, r.Config.GroupPrefix)}, nil
	}
	verb := "remove " + login + " from "
	if member {
		verb = "add " + login + " to "
	}
	return Plan{Kind: KindOkta, Push: &push, Summary: verb + name}, nil
}

func (r *Resolver) oktaGroupName(ctx context.Context, id string) (string, error) {
	if n, ok := r.oktaGroups.Get(id); ok {
		return n, nil
	}
	g, err := r.Okta.GetGroup(ctx, id)
	if err != nil {
		return "", fmt.Errorf("read Okta group %s: %w", id, err)
	}
	r.oktaGroups.Put(id, g.Name)
	return g.Name, nil
}
