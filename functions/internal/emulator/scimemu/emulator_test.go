package scimemu_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/ssoflow/ssoflow/functions/internal/emulator/scimemu"
)

const token = "emu-token-31a7"

type fixture struct {
	t   *testing.T
	emu *scimemu.Emulator
	srv *httptest.Server
}

func newFixture(t *testing.T) *fixture {
	emu := scimemu.New(token)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	return &fixture{t: t, emu: emu, srv: srv}
}

// call sends a raw SCIM request and returns the status, headers and decoded JSON body.
func (f *fixture) call(method, path, body, auth string) (int, http.Header, map[string]any) {
	f.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.srv.URL+"/t1/scim/v2"+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			f.t.Fatalf("%s %s: body %q is not JSON: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode, resp.Header, m
}

func (f *fixture) do(method, path, body string) (int, http.Header, map[string]any) {
	return f.call(method, path, body, "Bearer "+token)
}

func filterQ(filter string) string { return "?filter=" + url.QueryEscape(filter) }

// assertSCIMError checks the Identity Center error body shape.
func assertSCIMError(t *testing.T, status int, body map[string]any, want int) {
	t.Helper()
	if status != want {
		t.Fatalf("status %d, want %d (body %v)", status, want, body)
	}
	if body["status"] != fmt.Sprint(want) || body["exceptionRequestId"] == "" || body["detail"] == "" {
		t.Errorf("error body %v lacks status/exceptionRequestId/detail", body)
	}
	if s, ok := body["schemas"].([]any); !ok || len(s) != 1 || s[0] != "urn:ietf:params:scim:api:messages:2.0:Error" {
		t.Errorf("error body schemas = %v", body["schemas"])
	}
}

func TestBearerToken(t *testing.T) {
	f := newFixture(t)
	for _, auth := range []string{"", "Bearer wrong", token, "Bearer " + token + "x"} {
		st, _, body := f.call("GET", "/Users", "", auth)
		assertSCIMError(t, st, body, http.StatusUnauthorized)
	}
	if st, _, _ := f.do("GET", "/Users", ""); st != http.StatusOK {
		t.Errorf("right token: status %d", st)
	}
}

func TestUnsupportedFilters(t *testing.T) {
	f := newFixture(t)
	f.emu.AddUser("a@example.com", "")
	for _, q := range []string{
		`/Users` + filterQ(`userName co "a"`),
		`/Users` + filterQ(`userName eq "a" or userName eq "b"`),
		`/Users` + filterQ(`displayName eq "a"`),
		`/Users` + filterQ(`emails.value eq "a@example.com"`),
		`/Groups` + filterQ(`userName eq "a"`),
		`/Groups` + filterQ(`displayName eq "a" and externalId eq "b"`),
		`/Groups` + filterQ(`displayName sw "AWS_"`),
		`/Groups?count=ten`,
	} {
		st, _, body := f.do("GET", q, "")
		assertSCIMError(t, st, body, http.StatusBadRequest)
	}
}

func TestGroupReadsHideMembers(t *testing.T) {
	f := newFixture(t)
	g := f.emu.AddGroup("AWS_X")
	u := f.emu.AddUser("m@example.com", "")
	if err := f.emu.AddMembers(g, u); err != nil {
		t.Fatal(err)
	}
	st, _, body := f.do("GET", "/Groups/"+g, "")
	if st != 200 || body["id"] != g || len(body["members"].([]any)) != 0 {
		t.Errorf("GET group: %d %v", st, body)
	}
	_, _, body = f.do("GET", "/Groups"+filterQ(fmt.Sprintf(`id eq %q and members eq %q`, g, u)), "")
	if body["totalResults"] != 1.0 {
		t.Errorf("membership query found %v groups", body["totalResults"])
	}
	_, _, body = f.do("GET", "/Groups"+filterQ(fmt.Sprintf(`members.value eq %q`, u)), "")
	if body["totalResults"] != 1.0 {
		t.Errorf("members.value query found %v groups", body["totalResults"])
	}
	st, _, body = f.do("GET", "/Groups"+filterQ(fmt.Sprintf(`members eq "nobody" and id eq %q`, g)), "")
	assertSCIMError(t, st, body, http.StatusNotFound)
}

func patchBody(ops ...string) string {
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + strings.Join(ops, ",") + `]}`
}

func TestPatchLimits(t *testing.T) {
	f := newFixture(t)
	g := f.emu.AddGroup("AWS_P")
	var ops []string
	for i := range 101 {
		u := f.emu.AddUser(fmt.Sprintf("p%03d@example.com", i), "")
		ops = append(ops, fmt.Sprintf(`{"op":"add","path":"members","value":[{"value":%q}]}`, u))
	}
	st, _, body := f.do("PATCH", "/Groups/"+g, patchBody(ops...))
	assertSCIMError(t, st, body, http.StatusBadRequest)
	if n := len(f.emu.Members(g)); n != 0 {
		t.Errorf("a refused PATCH changed %d memberships", n)
	}
	if st, _, _ := f.do("PATCH", "/Groups/"+g, patchBody(ops[:100]...)); st != http.StatusNoContent {
		t.Fatalf("100 adds: status %d", st)
	}
	if n := len(f.emu.Members(g)); n != 100 {
		t.Errorf("%d members after 100 adds", n)
	}
	for _, op := range []string{
		`{"op":"replace","path":"members","value":[{"value":"x"}]}`,
		`{"op":"replace","value":{"members":[]}}`,
		`{"op":"remove","path":"members"}`,
		`{"op":"remove","path":"members[display eq \"x\"]"}`,
		`{"op":"add","path":"members","value":"x"}`,
	} {
		st, _, body := f.do("PATCH", "/Groups/"+g, patchBody(op))
		assertSCIMError(t, st, body, http.StatusBadRequest)
	}
	if n := len(f.emu.Members(g)); n != 100 {
		t.Errorf("refused operations changed membership: %d members", n)
	}
	st, _, body = f.do("PATCH", "/Groups/nope", patchBody(ops[0]))
	assertSCIMError(t, st, body, http.StatusNotFound)
}

func TestDuplicatesConflict(t *testing.T) {
	f := newFixture(t)
	user := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"Dup@Example.com","displayName":"D","name":{"givenName":"D","familyName":"U"}}`
	if st, _, body := f.do("POST", "/Users", user); st != http.StatusCreated || body["id"] == "" {
		t.Fatalf("create user: %d %v", st, body)
	}
	st, _, body := f.do("POST", "/Users", strings.Replace(user, "Dup@Example.com", "dup@example.com", 1))
	assertSCIMError(t, st, body, http.StatusConflict)
	group := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"AWS_D"}`
	if st, _, _ := f.do("POST", "/Groups", group); st != http.StatusCreated {
		t.Fatalf("create group: %d", st)
	}
	st, _, body = f.do("POST", "/Groups", group)
	assertSCIMError(t, st, body, http.StatusConflict)
}

func TestFailNextAndCounters(t *testing.T) {
	f := newFixture(t)
	f.emu.FailNext(2, http.StatusTooManyRequests)
	for range 2 {
		st, h, body := f.do("GET", "/Groups", "")
		assertSCIMError(t, st, body, http.StatusTooManyRequests)
		if h.Get("Retry-After") != "1" {
			t.Errorf("Retry-After = %q", h.Get("Retry-After"))
		}
	}
	if st, _, _ := f.do("GET", "/Groups", ""); st != 200 {
		t.Errorf("third request: %d", st)
	}
	f.do("GET", "/Groups/abc", "")
	if f.emu.Requests("GET /Groups") != 3 || f.emu.Requests("GET /Groups/{id}") != 1 || f.emu.TotalRequests() != 4 {
		t.Errorf("counters: %d %d %d", f.emu.Requests("GET /Groups"), f.emu.Requests("GET /Groups/{id}"), f.emu.TotalRequests())
	}
}

func TestConcurrentPatches(t *testing.T) {
	f := newFixture(t)
	g := f.emu.AddGroup("AWS_C")
	var users []string
	for i := range 40 {
		users = append(users, f.emu.AddUser(fmt.Sprintf("c%02d@example.com", i), ""))
	}
	var wg sync.WaitGroup
	for _, u := range users {
		wg.Go(func() {
			op := fmt.Sprintf(`{"op":"add","path":"members","value":[{"value":%q}]}`, u)
			if st, _, _ := f.do("PATCH", "/Groups/"+g, patchBody(op)); st != http.StatusNoContent {
				t.Errorf("PATCH %s: %d", u, st)
			}
		})
	}
	wg.Wait()
	if n := len(f.emu.Members(g)); n != len(users) {
		t.Errorf("%d members after %d concurrent adds", n, len(users))
	}
}
