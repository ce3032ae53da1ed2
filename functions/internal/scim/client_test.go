package scim_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ssoflow/ssoflow/functions/internal/emulator/scimemu"
	"github.com/ssoflow/ssoflow/functions/internal/errs"
	"github.com/ssoflow/ssoflow/functions/internal/scim"
)

const token = "test-scim-token-9c1f"

// setup serves a fresh emulator under a tenant path like the real endpoint's.
func setup(t testing.TB) (*scimemu.Emulator, *scim.Client) {
	t.Helper()
	emu := scimemu.New(token)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	return emu, scim.New(srv.URL+"/tenant-1/scim/v2/", token, srv.Client())
}

func TestFindUser(t *testing.T) {
	emu, c := setup(t)
	id := emu.AddUser("alice@example.com", "00u-alice")
	emu.AddUser("bob@example.com", "00u-bob")
	ctx := context.Background()

	u, err := c.FindUser(ctx, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != id || u.ExternalID != "00u-alice" || !u.Active {
		t.Errorf("FindUser = %+v, want id %s", u, id)
	}
	u, err = c.FindUserByExternalID(ctx, "00u-alice")
	if err != nil || u.ID != id {
		t.Errorf("FindUserByExternalID = %+v, %v; want id %s", u, err, id)
	}
	if _, err := c.FindUser(ctx, "carol@example.com"); !errors.Is(err, scim.ErrNotFound) {
		t.Errorf("missing user: err = %v, want ErrNotFound", err)
	}
}

func TestFindUserHostileNames(t *testing.T) {
	emu, c := setup(t)
	names := []string{`o"brien@example.com`, `back\slash`, `x" or userName pr or "`, `trail\`, "a and b eq \"c\""}
	ids := map[string]string{}
	for _, n := range names {
		ids[n] = emu.AddUser(n, "")
	}
	// A name that would match every user were its quote not escaped.
	victim := emu.AddUser("victim", "")
	for _, n := range names {
		u, err := c.FindUser(context.Background(), n)
		if err != nil {
			t.Errorf("FindUser(%q): %v", n, err)
			continue
		}
		if u.ID != ids[n] || u.UserName != n {
			t.Errorf("FindUser(%q) = %+v, want id %s", n, u, ids[n])
		}
	}
	_, err := c.FindUser(context.Background(), `nobody" and userName eq "victim`)
	if !errors.Is(err, scim.ErrNotFound) {
		t.Errorf("injected clause: err = %v, want ErrNotFound (victim id %s must not match)", err, victim)
	}
}

func TestCreateAndConflict(t *testing.T) {
	emu, c := setup(t)
	ctx := context.Background()
	in := scim.User{UserName: "dana@example.com", ExternalID: "00u-dana", DisplayName: "Dana D", GivenName: "Dana", FamilyName: "D", Active: true}
	u, err := c.CreateUser(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	found, err := c.FindUser(ctx, in.UserName)
	if err != nil || found != u {
		t.Errorf("created %+v, found %+v (%v)", u, found, err)
	}
	_, err = c.CreateUser(ctx, in)
	var apiErr *scim.APIError
	if !errors.Is(err, scim.ErrConflict) || !errors.As(err, &apiErr) || apiErr.Type != "ConflictException" {
		t.Errorf("duplicate user: err = %v, want ConflictException", err)
	}
	if _, err := c.CreateUser(ctx, scim.User{UserName: "nameless"}); err == nil {
		t.Error("a user without displayName and name was created")
	}

	g, err := c.CreateGroup(ctx, "AWS_Admins")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateGroup(ctx, "AWS_Admins"); !errors.Is(err, scim.ErrConflict) {
		t.Errorf("duplicate group: err = %v, want ErrConflict", err)
	}
	got, err := c.FindGroup(ctx, "AWS_Admins")
	if err != nil || got != g {
		t.Errorf("FindGroup = %+v, %v; want %+v", got, err, g)
	}
	got, err = c.GetGroup(ctx, g.ID)
	if err != nil || got != g {
		t.Errorf("GetGroup = %+v, %v; want %+v", got, err, g)
	}
	if emu.Members(g.ID) == nil {
		t.Error("created group is not in the emulator")
	}
}

func TestGetGroupNotFound(t *testing.T) {
	_, c := setup(t)
	_, err := c.GetGroup(context.Background(), "no-such-group")
	var apiErr *scim.APIError
	if !errors.Is(err, scim.ErrNotFound) || !errors.As(err, &apiErr) {
		t.Fatalf("err = %v, want a 404 APIError", err)
	}
	if apiErr.Type != "ResourceNotFoundException" || apiErr.RequestID == "" || apiErr.Temporary() {
		t.Errorf("APIError = %+v", apiErr)
	}
	if errs.Classify(err) != err {
		t.Errorf("a 404 was classified as %T", errs.Classify(err))
	}
}

func TestIsMemberAndPatch(t *testing.T) {
	emu, c := setup(t)
	ctx := context.Background()
	g := emu.AddGroup("AWS_Dev")
	u := emu.AddUser("erin@example.com", "")
	other := emu.AddUser("frank@example.com", "")

	if ok, err := c.IsMember(ctx, g, u); err != nil || ok {
		t.Fatalf("IsMember before add = %v, %v", ok, err)
	}
	if err := c.PatchMembers(ctx, g, []string{u, other}, nil); err != nil {
		t.Fatal(err)
	}
	if ok, err := c.IsMember(ctx, g, u); err != nil || !ok {
		t.Fatalf("IsMember after add = %v, %v", ok, err)
	}
	if err := c.PatchMembers(ctx, g, nil, []string{u}); err != nil {
		t.Fatal(err)
	}
	if got := emu.Members(g); !slices.Equal(got, []string{other}) {
		t.Errorf("members = %v, want [%s]", got, other)
	}
	if _, err := c.IsMember(ctx, g, "no-such-user"); !errors.Is(err, scim.ErrNotFound) {
		t.Errorf("IsMember of a missing user: err = %v, want ErrNotFound", err)
	}
	if err := c.PatchMembers(ctx, "no-such-group", []string{u}, nil); !errors.Is(err, scim.ErrNotFound) {
		t.Errorf("PatchMembers of a missing group: err = %v, want ErrNotFound", err)
	}
}

func TestPatchMembersChunks(t *testing.T) {
	emu, c := setup(t)
	ctx := context.Background()
	g := emu.AddGroup("AWS_Big")
	var users []string
	for i := range 250 {
		users = append(users, emu.AddUser(fmt.Sprintf("user%03d@example.com", i), ""))
	}
	emu.ResetCounters()
	if err := c.PatchMembers(ctx, g, users, nil); err != nil {
		t.Fatal(err)
	}
	wantPatches := (len(users) + scim.MaxPatchOps - 1) / scim.MaxPatchOps
	if n := emu.Requests("PATCH /Groups/{id}"); n != wantPatches {
		t.Errorf("%d PATCH requests for %d adds, want %d", n, len(users), wantPatches)
	}
	if got := emu.Members(g); len(got) != len(users) {
		t.Errorf("%d members, want %d", len(got), len(users))
	}
	emu.ResetCounters()
	if err := c.PatchMembers(ctx, g, nil, users[:150]); err != nil {
		t.Fatal(err)
	}
	if n := emu.Requests("PATCH /Groups/{id}"); n != 2 {
		t.Errorf("%d PATCH requests for 150 removes, want 2", n)
	}
	want := slices.Clone(users[150:])
	slices.Sort(want)
	if got := emu.Members(g); !slices.Equal(got, want) {
		t.Errorf("members after removal: %d, want %d", len(got), len(want))
	}
}

// Groups are listed with cursor pagination (Identity Center refuses startIndex).
func TestListGroupsPages(t *testing.T) {
	emu, c := setup(t)
	want := map[string]bool{}
	for i := range 250 {
		want[emu.AddGroup(fmt.Sprintf("AWS_G%03d", i))] = true
	}
	for _, size := range []int{100, 500, 40} {
		emu.ResetCounters()
		gs, err := c.ListGroups(context.Background(), size)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, g := range gs {
			if !want[g.ID] || seen[g.ID] {
				t.Fatalf("page size %d: unexpected or repeated group %+v", size, g)
			}
			seen[g.ID] = true
		}
		eff := min(size, 100)
		if len(seen) != len(want) || emu.Requests("GET /Groups") != (len(want)+eff-1)/eff {
			t.Errorf("page size %d: %d groups in %d requests", size, len(seen), emu.Requests("GET /Groups"))
		}
	}
	// Pages shorter than asked, with a nextCursor: the listing goes on until there is none.
	emu.ShortenCursorPages(30)
	emu.ResetCounters()
	gs, err := c.ListGroups(context.Background(), 100)
	if err != nil || len(gs) != len(want) || emu.Requests("GET /Groups") != 9 {
		t.Errorf("short pages: %d groups in %d requests, %v; want %d in 9", len(gs), emu.Requests("GET /Groups"), err, len(want))
	}
}

func TestRetryHonoursRetryAfter(t *testing.T) {
	emu, c := setup(t)
	sleeps := scim.RecordSleeps(c)
	g := emu.AddGroup("AWS_Ops")
	emu.SetRetryAfter(2)
	emu.FailNext(2, http.StatusTooManyRequests)
	got, err := c.GetGroup(context.Background(), g)
	if err != nil || got.ID != g {
		t.Fatalf("GetGroup after throttling = %+v, %v", got, err)
	}
	if s := sleeps(); !slices.Equal(s, []time.Duration{2 * time.Second, 2 * time.Second}) {
		t.Errorf("waited %v, want Retry-After 2s twice", s)
	}
	if n := emu.Requests("GET /Groups/{id}"); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
}

func TestRetryBounded(t *testing.T) {
	emu, c := setup(t)
	c.WithRetry(2, time.Minute)
	sleeps := scim.RecordSleeps(c)
	emu.FailNext(10, http.StatusServiceUnavailable)
	_, err := c.FindGroup(context.Background(), "AWS_Any")
	var apiErr *scim.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 503 || !apiErr.Temporary() {
		t.Fatalf("err = %v, want a temporary 503", err)
	}
	var r *errs.RetryableError
	if !errors.As(errs.Classify(err), &r) {
		t.Errorf("Classify(%v) is not RetryableError", err)
	}
	if n, s := emu.Requests("GET /Groups"), sleeps(); n != 3 || len(s) != 2 {
		t.Errorf("%d requests and waits %v, want 3 requests and 2 waits", n, s)
	}
	for _, d := range sleeps() {
		if d < 0 || d > time.Minute {
			t.Errorf("backoff %v outside [0, 1m]", d)
		}
	}
}

func TestRetryAfterBeyondBudget(t *testing.T) {
	emu, c := setup(t)
	c.WithRetry(5, 5*time.Second)
	sleeps := scim.RecordSleeps(c)
	emu.SetRetryAfter(30)
	emu.FailNext(1, http.StatusTooManyRequests)
	_, err := c.FindUser(context.Background(), "gina@example.com")
	var apiErr *scim.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 429 || apiErr.Type != "ThrottlingException" {
		t.Fatalf("err = %v, want ThrottlingException", err)
	}
	if n, s := emu.Requests("GET /Users"), sleeps(); n != 1 || len(s) != 0 {
		t.Errorf("%d requests, waits %v: a Retry-After beyond the budget must not be waited for", n, s)
	}
}

func TestRetryStopsAtContext(t *testing.T) {
	emu, c := setup(t)
	emu.SetRetryAfter(3)
	emu.FailNext(5, http.StatusTooManyRequests)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := c.FindUser(ctx, "hank@example.com")
	var apiErr *scim.APIError
	if !errors.As(err, &apiErr) || !apiErr.Temporary() {
		t.Fatalf("err = %v, want the temporary 429 (the deadline comes before Retry-After)", err)
	}
	if n := emu.Requests("GET /Users"); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestUnauthorizedKeepsTokenSecret(t *testing.T) {
	emu := scimemu.New(token)
	srv := httptest.NewServer(emu)
	defer srv.Close()
	wrong := "wrong-token-5d2e"
	c := scim.New(srv.URL+"/scim/v2", wrong, srv.Client())
	_, err := c.FindUser(context.Background(), "ivan@example.com")
	var apiErr *scim.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusUnauthorized || apiErr.Temporary() {
		t.Fatalf("err = %v, want a 401", err)
	}
	if strings.Contains(err.Error(), wrong) || strings.Contains(fmt.Sprintf("%+v", apiErr), wrong) {
		t.Errorf("error reveals the token: %v", err)
	}
}

// A 429 without Retry-After (AWS does not document the header) is retried after a bounded
// backoff.
func TestThrottlingWithoutRetryAfterBacksOff(t *testing.T) {
	emu, c := setup(t)
	c.WithRetry(3, time.Minute)
	sleeps := scim.RecordSleeps(c)
	g := emu.AddGroup("AWS_Ops")
	emu.SetRetryAfter(0)
	emu.FailNext(2, http.StatusTooManyRequests)
	if got, err := c.GetGroup(context.Background(), g); err != nil || got.ID != g {
		t.Fatalf("GetGroup after throttling = %+v, %v", got, err)
	}
	s := sleeps()
	if len(s) != 2 {
		t.Fatalf("waits %v, want 2", s)
	}
	for i, d := range s {
		if d < 0 || d > 200*time.Millisecond<<i {
			t.Errorf("wait %d is %v, outside the backoff [0, %v]", i, d, 200*time.Millisecond<<i)
		}
	}
}
