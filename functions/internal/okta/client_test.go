package okta

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ssoflow/ssoflow/functions/internal/emulator/oktaemu"
	"github.com/ssoflow/ssoflow/functions/internal/errs"
)

const token = "00aSecretApiToken-do-not-log"

// fixture is an emulator with a client pointed at it. The client's clock is the emulator's,
// and its sleeps are recorded instead of slept, so rate-limit waits are checked exactly.
type fixture struct {
	emu    *oktaemu.Emulator
	srv    *httptest.Server
	c      *Client
	now    time.Time
	sleeps []time.Duration
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{emu: oktaemu.New(token), now: time.Date(2026, 11, 2, 9, 14, 7, 0, time.UTC)}
	f.emu.SetClock(func() time.Time { return f.now })
	f.srv = httptest.NewServer(f.emu)
	t.Cleanup(f.srv.Close)
	f.c = New(f.srv.URL+"/", token, f.srv.Client())
	f.c.now = func() time.Time { return f.now }
	f.c.Logger = slog.New(slog.DiscardHandler)
	f.c.sleep = func(ctx context.Context, d time.Duration) error {
		f.sleeps = append(f.sleeps, d)
		return ctx.Err()
	}
	return f
}

func TestGetUserByIDAndLogin(t *testing.T) {
	f := newFixture(t)
	id := f.emu.AddUser("jane.doe@example.com", oktaemu.WithEmail("jane@example.com"), oktaemu.WithStatus("SUSPENDED"))
	want := User{ID: id, Login: "jane.doe@example.com", Email: "jane@example.com", Status: "SUSPENDED"}
	for _, key := range []string{id, "jane.doe@example.com"} {
		u, err := f.c.GetUser(context.Background(), key)
		if err != nil {
			t.Fatalf("GetUser(%q): %v", key, err)
		}
		if u != want {
			t.Errorf("GetUser(%q) = %+v, want %+v", key, u, want)
		}
	}
}

func TestNotFoundIsSentinel(t *testing.T) {
	f := newFixture(t)
	_, err := f.c.GetGroup(context.Background(), "00gmissing")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != "E0000007" || ae.Temporary() {
		t.Errorf("APIError = %+v", ae)
	}
	if _, err := f.c.FindGroupByName(context.Background(), "AWS_Nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("FindGroupByName missing: %v", err)
	}
}

func TestWrongTokenNotInError(t *testing.T) {
	f := newFixture(t)
	c := New(f.srv.URL, "wrong-token-value", f.srv.Client())
	_, err := c.ListGroups(context.Background(), "AWS_")
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 401 || ae.Code != "E0000011" || ae.Temporary() {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "wrong-token-value") {
		t.Errorf("error leaks the token: %v", err)
	}
	if errors.As(errs.Classify(err), new(*errs.RetryableError)) {
		t.Error("401 classified as retryable")
	}
}

func TestListGroupMembersFollowsCursor(t *testing.T) {
	f := newFixture(t)
	f.emu.SetPageSize(2)
	gid := f.emu.AddGroup("AWS_PlatformAdmins")
	var want []string
	for i := range 5 {
		uid := f.emu.AddUser(fmt.Sprintf("user%d@example.com", i))
		if err := f.emu.AddMember(gid, uid); err != nil {
			t.Fatal(err)
		}
		want = append(want, uid)
	}
	users, err := f.c.ListGroupMembers(context.Background(), gid)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range users {
		got = append(got, u.ID)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("members = %v, want %v", got, want)
	}
	if n := f.emu.Requests("GET /api/v1/groups/{id}/users"); n != 3 {
		t.Errorf("pages = %d, want 3", n)
	}
}

func TestGroupsByNameAndPrefix(t *testing.T) {
	f := newFixture(t)
	f.emu.SetPageSize(1)
	admins := f.emu.AddGroup("AWS_Admins")
	old := f.emu.AddGroup("AWS_AdminsOld")
	f.emu.AddGroup("aws_admins") // search values ignore case; the exact match must not
	f.emu.AddGroup("Engineering")
	g, err := f.c.FindGroupByName(context.Background(), "AWS_Admins")
	if err != nil || g != (Group{ID: admins, Name: "AWS_Admins"}) {
		t.Fatalf("FindGroupByName = %+v, %v", g, err)
	}
	gs, err := f.c.ListGroups(context.Background(), "AWS_")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(gs) != fmt.Sprint([]Group{{admins, "AWS_Admins"}, {old, "AWS_AdminsOld"}}) {
		t.Errorf("ListGroups = %v", gs)
	}
	all, err := f.c.ListGroups(context.Background(), "")
	if err != nil || len(all) != 4 {
		t.Errorf("ListGroups(\"\") = %v, %v", all, err)
	}
}

func TestListUserGroups(t *testing.T) {
	f := newFixture(t)
	f.emu.SetPageSize(1)
	uid := f.emu.AddUser("jane@example.com")
	a, b := f.emu.AddGroup("AWS_A"), f.emu.AddGroup("AWS_B")
	f.emu.AddGroup("AWS_C")
	for _, g := range []string{a, b} {
		if err := f.emu.AddMember(g, uid); err != nil {
			t.Fatal(err)
		}
	}
	gs, err := f.c.ListUserGroups(context.Background(), uid)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(gs) != fmt.Sprint([]Group{{a, "AWS_A"}, {b, "AWS_B"}}) {
		t.Errorf("groups = %v", gs)
	}
	if _, err := f.c.ListUserGroups(context.Background(), "00unobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing user: %v", err)
	}
}

func TestRateLimitWaitsUntilReset(t *testing.T) {
	f := newFixture(t)
	f.c.MaxWait = time.Minute
	gid := f.emu.AddGroup("AWS_A")
	f.emu.FailNext(2, http.StatusTooManyRequests)
	if _, err := f.c.GetGroup(context.Background(), gid); err != nil {
		t.Fatal(err)
	}
	// The emulator's window ends at 09:15:00; the clock says 09:14:07.
	want := []time.Duration{53 * time.Second, 53 * time.Second}
	if fmt.Sprint(f.sleeps) != fmt.Sprint(want) {
		t.Errorf("waits = %v, want %v", f.sleeps, want)
	}
	if n := f.emu.Requests("GET /api/v1/groups/{id}"); n != 3 {
		t.Errorf("requests = %d, want 3", n)
	}
}

func TestRetryAfterHonouredWhenLater(t *testing.T) {
	f := newFixture(t)
	f.c.MaxWait = 2 * time.Minute
	gid := f.emu.AddGroup("AWS_A")
	f.emu.FailNextRetryAfter(1, http.StatusTooManyRequests, 90)
	if _, err := f.c.GetGroup(context.Background(), gid); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(f.sleeps) != "[1m30s]" {
		t.Errorf("waits = %v, want [1m30s]", f.sleeps)
	}
}

func TestRateLimitBeyondMaxWaitReturnsTemporary(t *testing.T) {
	f := newFixture(t)
	f.c.MaxWait = 10 * time.Second
	gid := f.emu.AddGroup("AWS_A")
	f.emu.FailNext(1, http.StatusTooManyRequests)
	_, err := f.c.GetGroup(context.Background(), gid)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 429 || ae.Code != "E0000047" || !ae.Temporary() {
		t.Fatalf("err = %v", err)
	}
	if len(f.sleeps) != 0 {
		t.Errorf("slept %v", f.sleeps)
	}
	if !errors.As(errs.Classify(err), new(*errs.RetryableError)) {
		t.Error("429 not classified as retryable")
	}
}

func TestServerErrorsRetriedBounded(t *testing.T) {
	f := newFixture(t)
	f.c.MaxAttempts = 3
	gid := f.emu.AddGroup("AWS_A")
	f.emu.FailNext(2, http.StatusInternalServerError)
	if _, err := f.c.GetGroup(context.Background(), gid); err != nil {
		t.Fatalf("after two 500s: %v", err)
	}
	f.emu.FailNext(5, http.StatusServiceUnavailable)
	_, err := f.c.GetGroup(context.Background(), gid)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 503 || !ae.Temporary() {
		t.Fatalf("err = %v", err)
	}
	if n := f.emu.Requests("GET /api/v1/groups/{id}"); n != 3+3 {
		t.Errorf("requests = %d, want 6", n)
	}
}

func TestWaitStopsWithContext(t *testing.T) {
	f := newFixture(t)
	f.c.sleep = sleepCtx
	gid := f.emu.AddGroup("AWS_A")
	f.emu.FailNext(1, http.StatusTooManyRequests)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := f.c.GetGroup(ctx, gid)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestNextLinkToAnotherOriginRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Link", `<https://attacker.example/api/v1/groups?after=x>; rel="next"`)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`[{"id":"00g1","profile":{"name":"AWS_A"}}]`))
	}))
	defer srv.Close()
	_, err := New(srv.URL, token, srv.Client()).ListGroups(context.Background(), "AWS_")
	if err == nil || !strings.Contains(err.Error(), "another origin") {
		t.Fatalf("err = %v", err)
	}
}

func TestBadBaseURL(t *testing.T) {
	if _, err := New("example.okta.com", token, nil).GetUser(context.Background(), "x"); err == nil {
		t.Fatal("no error for a base URL without scheme")
	}
}

func TestLoginIsPathEscaped(t *testing.T) {
	f := newFixture(t)
	id := f.emu.AddUser("odd/login?x=1@example.com")
	u, err := f.c.GetUser(context.Background(), "odd/login?x=1@example.com")
	if err != nil || u.ID != id {
		t.Fatalf("GetUser = %+v, %v", u, err)
	}
}
