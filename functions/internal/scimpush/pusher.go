// Package scimpush converges one Identity Center group membership to what Okta has now, through
// Identity Center's SCIM endpoint: it reads the current state (user, group, membership) and
// PATCHes only when the membership differs, so duplicated, reordered and replayed events are
// harmless. A steady-state event costs at most three SCIM requests: find the user, check the
// membership, and PATCH when needed; group ids are cached per warm Lambda.
package scimpush

import (
	"context"
	"errors"
	"fmt"
	"github.com/ssoflow/ssoflow/functions/internal/ttlcache"
	"log/slog"
	"net/http"
	"time"

	"github.com/ssoflow/ssoflow/functions"
	"github.com/ssoflow/ssoflow/functions/internal/errs"
	"github.com/ssoflow/ssoflow/functions/internal/scim"
)

// Actions reported in ssoflow.PushResult.Action.
const (
	ActionAdded     = "added"
	ActionRemoved   = "removed"
	ActionUnchanged = "unchanged"
)

// SCIM is what the pusher needs from Identity Center's SCIM endpoint (*scim.Client).
type SCIM interface {
	FindUser(ctx context.Context, userName string) (scim.User, error)
	FindUserByExternalID(ctx context.Context, id string) (scim.User, error)
	FindGroup(ctx context.Context, displayName string) (scim.Group, error)
	GetGroup(ctx context.Context, id string) (scim.Group, error)
	IsMember(ctx context.Context, groupID, userID string) (bool, error)
	PatchMembers(ctx context.Context, groupID string, add, remove []string) error
}

// Pusher converges Identity Center group memberships. It is safe for concurrent use; keep one
// per warm Lambda so the group cache is reused.
type Pusher struct {
	scim   SCIM
	log    *slog.Logger
	groups *ttlcache.Cache[string]
}

// New returns a Pusher over s, caching group ids for DefaultGroupTTL. log nil discards.
func New(s SCIM, log *slog.Logger) *Pusher {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Pusher{scim: s, log: log, groups: ttlcache.New[string](DefaultGroupTTL)}
}

// WithGroupTTL sets how long resolved group ids are cached (0 disables the cache). It returns p.
func (p *Pusher) WithGroupTTL(ttl time.Duration) *Pusher {
	p.groups = ttlcache.New[string](ttl)
	return p
}

// Push makes the Identity Center user gp.UserName a member of the group gp.TargetID (or, without
// it, the group named gp.TargetGroup) when gp.Member, and not a member otherwise. Errors are
// classified for the state machine: a user not yet in Identity Center is
// *errs.NotProvisionedError, a missing group or rejected token *errs.ConfigError, throttling and
// server errors *errs.RetryableError.
func (p *Pusher) Push(ctx context.Context, gp ssoflow.GroupPush) (ssoflow.PushResult, error) {
	res := ssoflow.PushResult{GroupPush: gp}
	if gp.UserName == "" && gp.OktaUserID == "" {
		return res, errs.Invalid("push: neither userName nor Okta user id given")
	}
	if gp.TargetID == "" && gp.TargetGroup == "" {
		return res, errs.Invalid("push for user %q: no target Identity Center group", gp.UserName)
	}
	user, err := p.findUser(ctx, gp)
	if errors.Is(err, scim.ErrNotFound) {
		if !gp.Member {
			// Not in Identity Center at all: certainly not a member, which is what Okta wants.
			p.log.InfoContext(ctx, "scimpush: user absent, nothing to remove", "userName", gp.UserName, "group", groupRef(gp))
			res.Action = ActionUnchanged
			return res, nil
		}
		return res, &errs.NotProvisionedError{Err: fmt.Errorf(
			"push %q to group %s: user not provisioned in Identity Center yet (by userName or externalId %q)",
			gp.UserName, groupRef(gp), gp.OktaUserID)}
	}
	if err != nil {
		return res, classify(fmt.Errorf("push %q to group %s: %w", gp.UserName, groupRef(gp), err))
	}
	action, err := p.converge(ctx, gp, user.ID, true)
	if err != nil {
		return res, err
	}
	res.Action = action
	p.log.InfoContext(ctx, "scimpush: converged", "userName", gp.UserName, "group", groupRef(gp),
		"member", gp.Member, "action", action)
	return res, nil
}

// findUser looks the user up by userName, then by externalId (the Okta user id).
func (p *Pusher) findUser(ctx context.Context, gp ssoflow.GroupPush) (scim.User, error) {
	if gp.UserName != "" {
		u, err := p.scim.FindUser(ctx, gp.UserName)
		if !errors.Is(err, scim.ErrNotFound) || gp.OktaUserID == "" {
			return u, err
		}
	}
	return p.scim.FindUserByExternalID(ctx, gp.OktaUserID)
}

// converge checks the membership and patches when it differs. A 404 from the group may mean the
// cached id is stale: the group is resolved afresh and, when retry is set and its id changed,
// the work is done once more.
func (p *Pusher) converge(ctx context.Context, gp ssoflow.GroupPush, userID string, retry bool) (string, error) {
	groupID, err := p.resolveGroup(ctx, gp)
	if err != nil {
		return "", err
	}
	isMember, err := p.scim.IsMember(ctx, groupID, userID)
	if errors.Is(err, scim.ErrNotFound) {
		// Identity Center answers 404 to a membership query naming a user that does not exist:
		// the user was deleted since we found it.
		return p.userVanished(gp)
	}
	if err != nil {
		return "", classify(fmt.Errorf("push %q to group %s: %w", gp.UserName, groupRef(gp), err))
	}
	if isMember == gp.Member {
		return ActionUnchanged, nil
	}
	add, remove, action := []string{userID}, []string(nil), ActionAdded
	if !gp.Member {
		add, remove, action = nil, []string{userID}, ActionRemoved
	}
	err = p.scim.PatchMembers(ctx, groupID, add, remove)
	switch {
	case err == nil:
		return action, nil
	case gp.Member && errors.Is(err, scim.ErrConflict):
		return ActionUnchanged, nil // added concurrently: already a member
	case errors.Is(err, scim.ErrNotFound):
		p.groups.Invalidate(cacheKey(gp))
		fresh, rerr := p.resolveGroup(ctx, gp)
		if rerr != nil {
			return "", rerr
		}
		if fresh != groupID && retry {
			return p.converge(ctx, gp, userID, false)
		}
		return p.userVanished(gp)
	}
	return "", classify(fmt.Errorf("push %q to group %s: %w", gp.UserName, groupRef(gp), err))
}

func (p *Pusher) userVanished(gp ssoflow.GroupPush) (string, error) {
	if !gp.Member {
		return ActionUnchanged, nil
	}
	return "", &errs.NotProvisionedError{Err: fmt.Errorf(
		"push %q to group %s: user no longer exists in Identity Center", gp.UserName, groupRef(gp))}
}

// resolveGroup returns the Identity Center group id for gp, from the cache when fresh.
func (p *Pusher) resolveGroup(ctx context.Context, gp ssoflow.GroupPush) (string, error) {
	key := cacheKey(gp)
	if id, ok := p.groups.Get(key); ok {
		return id, nil
	}
	var g scim.Group
	var err error
	if gp.TargetID != "" {
		g, err = p.scim.GetGroup(ctx, gp.TargetID)
	} else {
		g, err = p.scim.FindGroup(ctx, gp.TargetGroup)
	}
	if errors.Is(err, scim.ErrNotFound) {
		return "", &errs.ConfigError{Err: fmt.Errorf(
			"group %s (mapped from Okta group %q) does not exist in Identity Center: create it or fix the mapping, then replay",
			groupRef(gp), gp.OktaGroup)}
	}
	if err != nil {
		return "", classify(fmt.Errorf("resolve Identity Center group %s: %w", groupRef(gp), err))
	}
	p.groups.Put(key, g.ID)
	return g.ID, nil
}

func cacheKey(gp ssoflow.GroupPush) string {
	if gp.TargetID != "" {
		return "id:" + gp.TargetID
	}
	return "name:" + gp.TargetGroup
}

// groupRef names the target group for messages: its displayName and, when mapped, its id.
func groupRef(gp ssoflow.GroupPush) string {
	switch {
	case gp.TargetID != "" && gp.TargetGroup != "":
		return fmt.Sprintf("%q (id %s)", gp.TargetGroup, gp.TargetID)
	case gp.TargetID != "":
		return "id " + gp.TargetID
	}
	return fmt.Sprintf("%q", gp.TargetGroup)
}

// classify maps a SCIM failure to the boundary types: a rejected token or a forbidden operation
// is configuration, 429/5xx and network failures are retryable.
func classify(err error) error {
	var apiErr *scim.APIError
	if errors.As(err, &apiErr) && (apiErr.Status == http.StatusUnauthorized || apiErr.Status == http.StatusForbidden) {
		return &errs.ConfigError{Err: fmt.Errorf("%w (check the SCIM access token in Secrets Manager)", err)}
	}
	return errs.Classify(err)
}
