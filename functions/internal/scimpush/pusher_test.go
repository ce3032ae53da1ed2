package scimpush_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ssoflow/ssoflow/functions"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/scimemu"
	"github.com/ssoflow/ssoflow/functions/internal/errs"
	"github.com/ssoflow/ssoflow/functions/internal/scim"
	"github.com/ssoflow/ssoflow/functions/internal/scimpush"
)

const token = "push-token-77e2"

type env struct {
	emu    *scimemu.Emulator
	client *scim.Client
	pusher *scimpush.Pusher
	logs   *bytes.Buffer
}

func setup(t testing.TB) *env {
	t.Helper()
	emu := scimemu.New(token)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	logs := &bytes.Buffer{}
	c := scim.New(srv.URL+"/tenant/scim/v2/", token, srv.Client())
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c.WithLogger(log)
	return &env{emu: emu, client: c, pusher: scimpush.New(c, log), logs: logs}
}

func push(user, group string, member bool) ssoflow.GroupPush {
	return ssoflow.GroupPush{OktaUserID: "00u-" + user, UserName: user, OktaGroupID: "00g-" + group,
		OktaGroup: group, TargetGroup: group, Member: member}
}

func TestPushAddRemoveIdempotent(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	u := e.emu.AddUser("alice@example.com", "00u-alice")
	g := e.emu.AddGroup("AWS_Admins")

	steps := []struct {
		member      bool
		wantAction  string
		wantPatches int
		wantMembers []string
	}{
		{true, scimpush.ActionAdded, 1, []string{u}},
		{true, scimpush.ActionUnchanged, 0, []string{u}},
		{false, scimpush.ActionRemoved, 1, []string{}},
		{false, scimpush.ActionUnchanged, 0, []string{}},
	}
	for i, s := range steps {
		e.emu.ResetCounters()
		res, err := e.pusher.Push(ctx, push("alice@example.com", "AWS_Admins", s.member))
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if res.Action != s.wantAction || res.UserName != "alice@example.com" {
			t.Errorf("step %d: result %+v, want action %s", i, res, s.wantAction)
		}
		if n := e.emu.Requests("PATCH /Groups/{id}"); n != s.wantPatches {
			t.Errorf("step %d: %d PATCHes, want %d", i, n, s.wantPatches)
		}
		if got := e.emu.Members(g); !slices.Equal(got, s.wantMembers) {
			t.Errorf("step %d: members %v, want %v", i, got, s.wantMembers)
		}
		// Group id is cached after the first step: find user + membership check (+ PATCH).
		if i > 0 && e.emu.TotalRequests() != 2+s.wantPatches {
			t.Errorf("step %d: %d requests, want %d", i, e.emu.TotalRequests(), 2+s.wantPatches)
		}
	}
}

func TestPushFallsBackToExternalID(t *testing.T) {
	e := setup(t)
	u := e.emu.AddUser("renamed@example.com", "00u-old")
	g := e.emu.AddGroup("AWS_Dev")
	gp := push("old@example.com", "AWS_Dev", true)
	gp.OktaUserID = "00u-old"
	res, err := e.pusher.Push(context.Background(), gp)
	if err != nil || res.Action != scimpush.ActionAdded {
		t.Fatalf("Push = %+v, %v", res, err)
	}
	if got := e.emu.Members(g); !slices.Equal(got, []string{u}) {
		t.Errorf("members %v, want [%s]", got, u)
	}
}

func TestPushUserNotProvisioned(t *testing.T) {
	e := setup(t)
	g := e.emu.AddGroup("AWS_Dev")
	_, err := e.pusher.Push(context.Background(), push("ghost@example.com", "AWS_Dev", true))
	var np *errs.NotProvisionedError
	if !errors.As(err, &np) || !strings.Contains(err.Error(), "ghost@example.com") {
		t.Fatalf("err = %v (%T), want NotProvisionedError naming the user", err, err)
	}
	// Removing a user Identity Center does not have is already done.
	res, err := e.pusher.Push(context.Background(), push("ghost@example.com", "AWS_Dev", false))
	if err != nil || res.Action != scimpush.ActionUnchanged {
		t.Errorf("remove of absent user = %+v, %v", res, err)
	}
	if n := e.emu.Requests("PATCH /Groups/{id}"); n != 0 || len(e.emu.Members(g)) != 0 {
		t.Errorf("%d PATCHes for an absent user", n)
	}
}

func TestPushGroupMissing(t *testing.T) {
	e := setup(t)
	e.emu.AddUser("bob@example.com", "")
	_, err := e.pusher.Push(context.Background(), push("bob@example.com", "AWS_Nope", true))
	var ce *errs.ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), `"AWS_Nope"`) {
		t.Fatalf("err = %v (%T), want ConfigError naming AWS_Nope", err, err)
	}
	gp := push("bob@example.com", "AWS_Mapped", true)
	gp.TargetID = "no-such-id"
	if _, err := e.pusher.Push(context.Background(), gp); !errors.As(err, &ce) || !strings.Contains(err.Error(), "no-such-id") {
		t.Errorf("mapped id: err = %v, want ConfigError naming the id", err)
	}
}

func TestPushByExplicitID(t *testing.T) {
	e := setup(t)
	u := e.emu.AddUser("carol@example.com", "")
	g := e.emu.AddGroup("AWS_Renamed")
	gp := push("carol@example.com", "AWS_OldName", true)
	gp.TargetID = g
	if res, err := e.pusher.Push(context.Background(), gp); err != nil || res.Action != scimpush.ActionAdded {
		t.Fatalf("Push = %+v, %v", res, err)
	}
	if got := e.emu.Members(g); !slices.Equal(got, []string{u}) {
		t.Errorf("members %v", got)
	}
}

func TestPushStaleGroupCache(t *testing.T) {
	e := setup(t)
	u := e.emu.AddUser("dave@example.com", "")
	old := e.emu.AddGroup("AWS_Ops")
	ctx := context.Background()
	if _, err := e.pusher.Push(ctx, push("dave@example.com", "AWS_Ops", false)); err != nil {
		t.Fatal(err) // caches AWS_Ops → old
	}
	e.emu.DeleteGroup(old)
	fresh := e.emu.AddGroup("AWS_Ops")
	res, err := e.pusher.Push(ctx, push("dave@example.com", "AWS_Ops", true))
	if err != nil || res.Action != scimpush.ActionAdded {
		t.Fatalf("Push after recreate = %+v, %v", res, err)
	}
	if got := e.emu.Members(fresh); !slices.Equal(got, []string{u}) {
		t.Errorf("members of recreated group %v, want [%s]", got, u)
	}
}

func TestPushConflictMeansMember(t *testing.T) {
	e := setup(t)
	e.emu.AddUser("erin@example.com", "")
	e.emu.AddGroup("AWS_Dev")
	// A concurrent add wins the race: Identity Center answers the PATCH with 409.
	gate := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPatch {
			e.emu.FailNext(1, http.StatusConflict)
		}
		e.emu.ServeHTTP(w, r)
	}))
	defer gate.Close()
	p := scimpush.New(scim.New(gate.URL, token, gate.Client()), nil)
	res, err := p.Push(context.Background(), push("erin@example.com", "AWS_Dev", true))
	if err != nil || res.Action != scimpush.ActionUnchanged {
		t.Errorf("Push with 409 on PATCH = %+v, %v; want unchanged", res, err)
	}
	if n := e.emu.Requests("PATCH /Groups/{id}"); n != 1 {
		t.Errorf("%d PATCHes, want 1", n)
	}
}

func TestPushThrottledThenSucceeds(t *testing.T) {
	e := setup(t)
	u := e.emu.AddUser("fay@example.com", "")
	g := e.emu.AddGroup("AWS_Dev")
	e.emu.FailNext(1, http.StatusTooManyRequests) // Retry-After: 1
	res, err := e.pusher.Push(context.Background(), push("fay@example.com", "AWS_Dev", true))
	if err != nil || res.Action != scimpush.ActionAdded {
		t.Fatalf("Push = %+v, %v", res, err)
	}
	if got := e.emu.Members(g); !slices.Equal(got, []string{u}) {
		t.Errorf("members %v", got)
	}
	if n := e.emu.Requests("GET /Users"); n != 2 {
		t.Errorf("%d user lookups, want 2 (throttled, then retried)", n)
	}
}

func TestPushRetryableAfterBudget(t *testing.T) {
	e := setup(t)
	e.client.WithRetry(1, time.Second)
	e.emu.AddUser("gus@example.com", "")
	e.emu.AddGroup("AWS_Dev")
	e.emu.FailNext(5, http.StatusInternalServerError)
	_, err := e.pusher.Push(context.Background(), push("gus@example.com", "AWS_Dev", true))
	var re *errs.RetryableError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v (%T), want RetryableError", err, err)
	}
}

func TestPushBadTokenIsConfig(t *testing.T) {
	e := setup(t)
	e.emu.AddUser("hal@example.com", "")
	srvURL := strings.TrimSuffix(e.clientURL(t), "/")
	p := scimpush.New(scim.New(srvURL, "not-the-token", nil), nil)
	_, err := p.Push(context.Background(), push("hal@example.com", "AWS_Dev", true))
	var ce *errs.ConfigError
	if !errors.As(err, &ce) || strings.Contains(err.Error(), "not-the-token") {
		t.Fatalf("err = %v (%T), want ConfigError without the token", err, err)
	}
	if strings.Contains(e.logs.String(), token) {
		t.Error("logs contain the token")
	}
}

// clientURL starts another server on the same emulator and returns its base URL.
func (e *env) clientURL(t *testing.T) string {
	srv := httptest.NewServer(e.emu)
	t.Cleanup(srv.Close)
	return srv.URL + "/tenant/scim/v2/"
}

func TestPushHostileUserName(t *testing.T) {
	e := setup(t)
	name := `x" or userName pr or "y\`
	u := e.emu.AddUser(name, "")
	e.emu.AddUser("bystander@example.com", "")
	g := e.emu.AddGroup(`AWS_"Quoted"`)
	res, err := e.pusher.Push(context.Background(), push(name, `AWS_"Quoted"`, true))
	if err != nil || res.Action != scimpush.ActionAdded {
		t.Fatalf("Push = %+v, %v", res, err)
	}
	if got := e.emu.Members(g); !slices.Equal(got, []string{u}) {
		t.Errorf("members %v, want only [%s]", got, u)
	}
}

func TestPushInvalidInput(t *testing.T) {
	e := setup(t)
	var ie *errs.InvalidInputError
	if _, err := e.pusher.Push(context.Background(), ssoflow.GroupPush{TargetGroup: "AWS_X"}); !errors.As(err, &ie) {
		t.Errorf("no user: err = %v", err)
	}
	if _, err := e.pusher.Push(context.Background(), ssoflow.GroupPush{UserName: "a"}); !errors.As(err, &ie) {
		t.Errorf("no group: err = %v", err)
	}
	if e.emu.TotalRequests() != 0 {
		t.Errorf("invalid input made %d requests", e.emu.TotalRequests())
	}
}

func TestConverge250(t *testing.T) {
	e := setup(t)
	g := e.emu.AddGroup("AWS_Big")
	var add, keep []string
	for i := range 250 {
		add = append(add, e.emu.AddUser(fmt.Sprintf("u%03d@example.com", i), ""))
	}
	e.emu.ResetCounters()
	if err := e.pusher.Converge(context.Background(), g, append(add, add[:10]...), nil); err != nil {
		t.Fatal(err)
	}
	if n := e.emu.Requests("PATCH /Groups/{id}"); n != 3 {
		t.Errorf("%d PATCHes for 250 adds, want 3", n)
	}
	if got := e.emu.Members(g); len(got) != 250 {
		t.Errorf("%d members, want 250", len(got))
	}
	keep = slices.Clone(add[200:])
	slices.Sort(keep)
	if err := e.pusher.Converge(context.Background(), g, nil, add[:200]); err != nil {
		t.Fatal(err)
	}
	if got := e.emu.Members(g); !slices.Equal(got, keep) {
		t.Errorf("%d members after removing 200, want %d", len(got), len(keep))
	}
	var ie *errs.InvalidInputError
	if err := e.pusher.Converge(context.Background(), g, add[:1], add[:1]); !errors.As(err, &ie) {
		t.Errorf("overlapping add/remove: err = %v", err)
	}
}
