package scimpush

import (
	"context"
	"fmt"

	"github.com/ssoflow/ssoflow/functions/internal/errs"
)

// Converge applies a batch of membership changes to one group (the reconcile path), in PATCH
// requests of at most 100 changes. Duplicates are dropped; a user in both lists is invalid
// input. Errors are classified like Push's.
func (p *Pusher) Converge(ctx context.Context, groupID string, add, remove []string) error {
	if groupID == "" {
		return errs.Invalid("converge: no group id")
	}
	add, remove = dedupe(add), dedupe(remove)
	inAdd := make(map[string]bool, len(add))
	for _, u := range add {
		inAdd[u] = true
	}
	for _, u := range remove {
		if inAdd[u] {
			return errs.Invalid("converge group %s: user %s is both added and removed", groupID, u)
		}
	}
	if len(add)+len(remove) == 0 {
		return nil
	}
	if err := p.scim.PatchMembers(ctx, groupID, add, remove); err != nil {
		return classify(fmt.Errorf("converge group %s (+%d −%d): %w", groupID, len(add), len(remove), err))
	}
	p.log.InfoContext(ctx, "scimpush: converged group", "groupId", groupID, "added", len(add), "removed", len(remove))
	return nil
}

func dedupe(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
