package reconcile

import (
	"context"
	"fmt"
	"strings"
)

// Report is what Apply did.
type Report struct {
	Added    int      `json:"added"`
	Removed  int      `json:"removed"`
	Groups   int      `json:"groups"` // groups changed
	Refused  []string `json:"refused,omitempty"`
	Problems []string `json:"problems,omitempty"`
	Failed   []string `json:"failed,omitempty"` // "group: error"
	// Databases are the database reports, by database name.
	Databases []DatabaseResult `json:"databases,omitempty"`
}

// Err is non-nil when some group or database failed: the caller reports it (the state
// machine notifies), and a later run repairs it.
func (r Report) Err() error {
	if len(r.Failed) == 0 {
		return nil
	}
	shown := r.Failed[:min(len(r.Failed), 5)]
	more := ""
	if len(r.Failed) > len(shown) {
		more = fmt.Sprintf("; … %d more", len(r.Failed)-len(shown))
	}
	return fmt.Errorf("reconcile: %d failed: %s%s", len(r.Failed), strings.Join(shown, "; "), more)
}

// Apply makes the changes of plan: per group, adds and (unless refused) removes through
// SCIM, at most 100 per PATCH; then the databases. A group that fails is reported in
// Report.Failed and the others proceed. Groups that failed to read are reported too.
func (r *Reconciler) Apply(ctx context.Context, plan *Plan) (Report, error) {
	cfg := r.Config.withDefaults()
	var rep Report
	var work []int
	for i, g := range plan.Groups {
		switch {
		case g.Error != "":
			rep.Failed = append(rep.Failed, fmt.Sprintf("%s: %s", g.OktaGroupName, g.Error))
		case g.Problem != "":
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: %s", orID(g), g.Problem))
		default:
			if g.Refused != "" {
				rep.Refused = append(rep.Refused, fmt.Sprintf("%s: %s", g.OktaGroupName, g.Refused))
			}
			if g.Changes() > 0 {
				work = append(work, i)
			}
		}
	}
	errsByGroup := make([]error, len(work))
	err := forEach(ctx, cfg.Concurrency, len(work), func(ctx context.Context, k int) error {
		g := plan.Groups[work[k]]
		add := ids(g.Add)
		var remove []string
		if g.Refused == "" {
			remove = ids(g.Remove)
		}
		if err := r.SCIM.Converge(ctx, g.GroupID, add, remove); err != nil {
			errsByGroup[k] = err
			r.log().ErrorContext(ctx, "reconcile: group not converged", "oktaGroup", g.OktaGroupName, "groupId", g.GroupID, "error", err)
		}
		return ctx.Err()
	}, func(done int) {
		if done%50 == 0 || done == len(work) {
			r.progress("applied %d/%d groups", done, len(work))
		}
	})
	if err != nil {
		return rep, fmt.Errorf("reconcile apply: %w", err)
	}
	for k, i := range work {
		g := plan.Groups[i]
		if errsByGroup[k] != nil {
			rep.Failed = append(rep.Failed, fmt.Sprintf("%s: %v", g.OktaGroupName, errsByGroup[k]))
			continue
		}
		rep.Groups++
		rep.Added += len(g.Add)
		if g.Refused == "" {
			rep.Removed += len(g.Remove)
		}
	}
	if r.Databases != nil && len(plan.Databases) > 0 {
		dbs := plan.Databases
		if rep.Added+rep.Removed > 0 && plan.dir != nil {
			// The groups changed: the databases converge to Identity Center as it is now.
			r.progress("re-planning %d databases after the group changes", len(dbs))
			if dbs, err = r.Databases.plan(ctx, cfg, plan.dir); err != nil {
				return rep, fmt.Errorf("reconcile apply: %w", err)
			}
		}
		rep.Databases = r.Databases.apply(ctx, dbs)
		for _, d := range rep.Databases {
			if d.Error != "" {
				rep.Failed = append(rep.Failed, fmt.Sprintf("database %s: %s", d.Database, d.Error))
			}
			if d.Refused != "" {
				rep.Refused = append(rep.Refused, fmt.Sprintf("database %s: %s", d.Database, d.Refused))
			}
		}
	}
	r.log().InfoContext(ctx, "reconcile applied", "added", rep.Added, "removed", rep.Removed, "groups", rep.Groups,
		"refused", len(rep.Refused), "failed", len(rep.Failed))
	return rep, nil
}

// Run plans and, unless dryRun, applies.
func (r *Reconciler) Run(ctx context.Context, dryRun bool) (*Plan, Report, error) {
	plan, err := r.Plan(ctx)
	if err != nil {
		return nil, Report{}, err
	}
	if dryRun {
		return plan, Report{}, nil
	}
	rep, err := r.Apply(ctx, plan)
	return plan, rep, err
}

func ids(ms []Member) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.UserID
	}
	return out
}

func orID(g GroupPlan) string {
	if g.OktaGroupName != "" {
		return g.OktaGroupName
	}
	return "Okta group " + g.OktaGroupID
}
