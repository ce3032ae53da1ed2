package reconcilejob_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ssoflow/ssoflow/functions/internal/errs"
	"github.com/ssoflow/ssoflow/functions/internal/reconcile"
	"github.com/ssoflow/ssoflow/functions/internal/reconcilejob"
)

// The Plan task's output stays small whatever the directory's size (a state carries at most
// 256 KiB): counts, at most 20 named refusals, and only the shards that have work.
func TestPlanSummaryIsBoundedAndNamesOnlyShardsWithWork(t *testing.T) {
	p := &reconcile.Plan{}
	for i := range 10_000 {
		g := reconcile.GroupPlan{OktaGroupID: fmt.Sprintf("00g%017d", i), OktaGroupName: fmt.Sprintf("AWS_Team%05d", i), GroupID: "x"}
		switch {
		case i < 250:
			g.Add = []reconcile.Member{{UserID: "u1", UserName: "jane@example.com"}}
		case i < 280:
			g.Remove = make([]reconcile.Member, 9)
			g.Refused = "would remove 9 of 9 members"
		}
		p.Groups = append(p.Groups, g)
	}
	s := reconcilejob.Summarize(p, 100)
	b, _ := json.Marshal(s)
	if len(b) > 16<<10 {
		t.Errorf("plan summary is %d bytes", len(b))
	}
	if s.Groups != 10_000 || s.Changed != 250 || s.Adds != 250 || s.Removes != 0 || s.NRefused != 30 || len(s.Refused) != 20 {
		t.Errorf("summary %+v", s)
	}
	// 280 groups with work (changes or refusals to report), about 100 per shard.
	if len(s.Shards) != 3 || s.Shards[0].Of != 3 {
		t.Errorf("shards %+v, want 3 of 3", s.Shards)
	}
	if empty := reconcilejob.Summarize(&reconcile.Plan{Groups: p.Groups[300:]}, 100); len(empty.Shards) != 0 {
		t.Errorf("a plan without work has shards %+v", empty.Shards)
	}
}

// Failures win over refusals in the error name; both are named in the cause.
func TestReportNamesRefusalsAndFailures(t *testing.T) {
	ok := reconcilejob.Report(nil, []reconcilejob.ShardReport{{Added: 2, Groups: 1}, {Removed: 1, Groups: 1}})
	if !ok.OK || ok.Added != 2 || ok.Removed != 1 || ok.Groups != 2 || ok.Error.Error != "" {
		t.Errorf("clean report %+v", ok)
	}
	bad := reconcilejob.Report(&reconcilejob.PlanSummary{NProblems: 1, Problems: []string{"AWS_Ghost: no Identity Center group"}},
		[]reconcilejob.ShardReport{{NRefused: 1, Refused: []string{"AWS_Ops: would remove 9 of 9"}}, {NFailed: 1, Failed: []string{"AWS_Dev: 500"}}})
	if bad.OK || bad.Error.Error != "ReconcileFailed" {
		t.Fatalf("report %+v", bad)
	}
	for _, want := range []string{"1 group could not be reconciled", "AWS_Dev: 500", "AWS_Ops: would remove 9 of 9", "AWS_Ghost"} {
		if !strings.Contains(bad.Error.Cause, want) {
			t.Errorf("cause lacks %q: %s", want, bad.Error.Cause)
		}
	}
}

// A task the state machine cannot mean is an InvalidInputError, never retried.
func TestUnknownActionAndBadShardAreInvalid(t *testing.T) {
	h := &reconcilejob.Handler{New: func(reconcile.Config) *reconcile.Reconciler { t.Fatal("no reconciler is needed"); return nil }}
	for _, req := range []reconcilejob.Request{{Action: "frobnicate"}, {Action: "apply", Shard: 3, Of: 3}} {
		var inv *errs.InvalidInputError
		if _, err := h.Handle(context.Background(), req); !errors.As(err, &inv) {
			t.Errorf("%+v: %v, want InvalidInputError", req, err)
		}
	}
}
