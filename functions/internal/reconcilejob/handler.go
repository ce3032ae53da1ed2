package reconcilejob

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/ssoflow/ssoflow/functions/internal/errs"
	"github.com/ssoflow/ssoflow/functions/internal/reconcile"
)

// Bounds of what the state payloads carry (Step Functions allows 256 KiB per state).
const (
	// DefaultGroupsPerShard is about how many groups with work one Map iteration applies.
	DefaultGroupsPerShard = 100
	// MaxShards bounds the Map's items.
	MaxShards = 40
	// maxNamed bounds the refused or failed groups named in a payload.
	maxNamed = 20
)

// Request is one task's input: {"action": "plan"}, {"action": "apply", "shard": 0, "of": 3}
// or {"action": "report", "plan": …, "applied": […]}.
type Request struct {
	Action  string        `json:"action"`
	Shard   int           `json:"shard"`
	Of      int           `json:"of"`
	Plan    *PlanSummary  `json:"plan,omitempty"`
	Applied []ShardReport `json:"applied,omitempty"`
}

// ShardItem is one Map item.
type ShardItem struct {
	Shard int `json:"shard"`
	Of    int `json:"of"`
}

// PlanSummary is the Plan task's output: counts and names, never the membership lists.
type PlanSummary struct {
	Groups    int         `json:"groups"`
	Changed   int         `json:"changed"` // groups with changes to apply
	Adds      int         `json:"adds"`
	Removes   int         `json:"removes"`
	Refused   []string    `json:"refused"` // "group: why", at most maxNamed
	NRefused  int         `json:"refusedCount"`
	Problems  []string    `json:"problems"`
	NProblems int         `json:"problemCount"`
	Errors    int         `json:"errors"`
	Shards    []ShardItem `json:"shards"` // only shards with work
}

// ShardReport is one ApplyShard's output.
type ShardReport struct {
	Shard    int      `json:"shard"`
	Of       int      `json:"of"`
	Added    int      `json:"added"`
	Removed  int      `json:"removed"`
	Groups   int      `json:"groups"`
	Refused  []string `json:"refused"`
	NRefused int      `json:"refusedCount"`
	Failed   []string `json:"failed"`
	NFailed  int      `json:"failedCount"`
}

// Outcome is the Summarize task's output; the Choice reads ok, the Fail state error.
type Outcome struct {
	OK      bool `json:"ok"`
	Added   int  `json:"added"`
	Removed int  `json:"removed"`
	Groups  int  `json:"groups"`
	Refused int  `json:"refused"`
	Failed  int  `json:"failed"`
	Error   struct {
		Error string `json:"Error,omitempty"`
		Cause string `json:"Cause,omitempty"`
	} `json:"error"`
}

// Handler answers the reconcile state machine's tasks.
type Handler struct {
	// New builds a reconciler for cfg (Setup.Reconciler).
	New    func(cfg reconcile.Config) *reconcile.Reconciler
	Config reconcile.Config
	Log    *slog.Logger
	// GroupsPerShard: default DefaultGroupsPerShard.
	GroupsPerShard int
}

// Handle dispatches on the action. Errors crossing the boundary are classified, so the
// state machine retries the transient ones.
func (h *Handler) Handle(ctx context.Context, req Request) (any, error) {
	var out any
	var err error
	switch req.Action {
	case "plan":
		out, err = h.plan(ctx)
	case "apply":
		out, err = h.apply(ctx, req.Shard, req.Of)
	case "report":
		out = Report(req.Plan, req.Applied)
	default:
		err = errs.Invalid("reconcile: unknown action %q (want plan, apply or report)", req.Action)
	}
	return out, errs.Classify(err)
}

func (h *Handler) log() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.New(slog.DiscardHandler)
}

func (h *Handler) plan(ctx context.Context) (PlanSummary, error) {
	p, err := h.New(h.Config).Plan(ctx)
	if err != nil {
		return PlanSummary{}, fmt.Errorf("reconcile plan: %w", err)
	}
	s := Summarize(p, h.GroupsPerShard)
	h.log().InfoContext(ctx, "reconcile planned", "groups", s.Groups, "changed", s.Changed, "adds", s.Adds, "removes", s.Removes,
		"refused", s.NRefused, "problems", s.NProblems, "errors", s.Errors, "shards", len(s.Shards))
	return s, nil
}

// Summarize reduces a plan to its counts and the shards that have work, about perShard groups
// with work in each (0: DefaultGroupsPerShard).
func Summarize(p *reconcile.Plan, perShard int) PlanSummary {
	if perShard <= 0 {
		perShard = DefaultGroupsPerShard
	}
	s := PlanSummary{Groups: len(p.Groups), Refused: []string{}, Problems: []string{}, Shards: []ShardItem{}}
	s.Adds, s.Removes = p.Totals()
	var work []string
	for _, g := range p.Groups {
		switch {
		case g.Error != "":
			s.Errors++
			work = append(work, g.OktaGroupID) // applying re-reads it, and reports it if it fails again
		case g.Problem != "":
			s.NProblems++
			s.Problems = appendBounded(s.Problems, nameOf(g)+": "+g.Problem)
		case g.Changes() > 0:
			s.Changed++
			work = append(work, g.OktaGroupID)
		case g.Refused != "":
			work = append(work, g.OktaGroupID) // applying reports the refusal, fresh
		}
		if g.Refused != "" {
			s.NRefused++
			s.Refused = appendBounded(s.Refused, nameOf(g)+": "+g.Refused)
		}
	}
	if len(work) == 0 {
		return s
	}
	of := min(MaxShards, (len(work)+perShard-1)/perShard)
	used := make([]bool, of)
	for _, id := range work {
		for k := range of {
			if reconcile.InShard(id, k, of) {
				used[k] = true
			}
		}
	}
	for k, u := range used {
		if u {
			s.Shards = append(s.Shards, ShardItem{Shard: k, Of: of})
		}
	}
	return s
}

func (h *Handler) apply(ctx context.Context, shard, of int) (ShardReport, error) {
	if of < 1 || shard < 0 || shard >= of {
		return ShardReport{}, errs.Invalid("reconcile: shard %d of %d is not a shard", shard, of)
	}
	cfg := h.Config
	cfg.Shard, cfg.Shards = shard, of
	_, rep, err := h.New(cfg).Run(ctx, false)
	if err != nil {
		return ShardReport{}, fmt.Errorf("reconcile shard %d of %d: %w", shard, of, err)
	}
	r := ShardReport{Shard: shard, Of: of, Added: rep.Added, Removed: rep.Removed, Groups: rep.Groups,
		Refused: bounded(rep.Refused), NRefused: len(rep.Refused), Failed: bounded(rep.Failed), NFailed: len(rep.Failed)}
	h.log().InfoContext(ctx, "reconcile shard applied", "shard", shard, "of", of, "added", r.Added, "removed", r.Removed,
		"groups", r.Groups, "refused", r.NRefused, "failed", r.NFailed)
	return r, nil
}

// Report sums the shards' reports. It is not ok when a group was refused or failed; the
// error then names them for the notification.
func Report(plan *PlanSummary, applied []ShardReport) Outcome {
	var o Outcome
	var refused, failed []string
	for _, r := range applied {
		o.Added += r.Added
		o.Removed += r.Removed
		o.Groups += r.Groups
		o.Refused += r.NRefused
		o.Failed += r.NFailed
		refused = append(refused, r.Refused...)
		failed = append(failed, r.Failed...)
	}
	o.OK = o.Refused == 0 && o.Failed == 0
	if o.OK {
		return o
	}
	var cause strings.Builder
	if o.Failed > 0 {
		o.Error.Error = "ReconcileFailed"
		fmt.Fprintf(&cause, "%s could not be reconciled (a later run retries): %s. ", groups(o.Failed), listed(failed, o.Failed))
	} else {
		o.Error.Error = "ReconcileRefused"
	}
	if o.Refused > 0 {
		fmt.Fprintf(&cause, "%s kept members Okta no longer has, because removing them would exceed the removal guard: %s "+
			"(from a laptop: ssoflow reconcile --dry-run, then --force).", groups(o.Refused), listed(refused, o.Refused))
	}
	fmt.Fprintf(&cause, " Applied: +%d -%d in %s", o.Added, o.Removed, groups(o.Groups))
	if plan != nil && plan.NProblems > 0 {
		fmt.Fprintf(&cause, "; %s cannot be reconciled as configured: %s", groups(plan.NProblems), listed(plan.Problems, plan.NProblems))
	}
	o.Error.Cause = strings.TrimSpace(cause.String()) + "."
	return o
}

func groups(n int) string {
	if n == 1 {
		return "1 group"
	}
	return fmt.Sprintf("%d groups", n)
}

func listed(names []string, total int) string {
	s := strings.Join(names, "; ")
	if total > len(names) {
		s += fmt.Sprintf("; … %d more", total-len(names))
	}
	return s
}

func appendBounded(list []string, s string) []string {
	if len(list) >= maxNamed {
		return list
	}
	return append(list, s)
}

func bounded(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list[:min(len(list), maxNamed)]
}

func nameOf(g reconcile.GroupPlan) string {
	if g.OktaGroupName != "" {
		return g.OktaGroupName
	}
	return "Okta group " + g.OktaGroupID
}
