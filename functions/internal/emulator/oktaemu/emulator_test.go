package oktaemu

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func get(t *testing.T, srv *httptest.Server, path, token string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "SSWS "+token)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func decode(t *testing.T, resp *http.Response, v any) {
	t.Helper()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("decode: %v", err)
	}
}

func TestWrongTokenIsE0000011(t *testing.T) {
	emu := New("right")
	srv := httptest.NewServer(emu)
	defer srv.Close()
	for _, tok := range []string{"", "wrong", "righ"} {
		resp := get(t, srv, "/api/v1/groups", tok)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("token %q: status %d, want 401", tok, resp.StatusCode)
		}
		var body map[string]any
		decode(t, resp, &body)
		if body["errorCode"] != "E0000011" {
			t.Errorf("token %q: errorCode %v", tok, body["errorCode"])
		}
	}
	if got := emu.Requests("GET /api/v1/groups"); got != 3 {
		t.Errorf("Requests = %d, want 3", got)
	}
}

func TestMembersPaginateWithLinkHeaders(t *testing.T) {
	emu := New("tok")
	emu.SetPageSize(2)
	srv := httptest.NewServer(emu)
	defer srv.Close()
	gid := emu.AddGroup("AWS_Admins")
	var want []string
	for i := range 5 {
		uid := emu.AddUser(fmt.Sprintf("u%d@example.com", i))
		if err := emu.AddMember(gid, uid); err != nil {
			t.Fatal(err)
		}
		want = append(want, uid)
	}
	var got []string
	path := "/api/v1/groups/" + gid + "/users?limit=200"
	for pages := 0; path != ""; pages++ {
		if pages > 5 {
			t.Fatal("too many pages")
		}
		resp := get(t, srv, path, "tok")
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		links := resp.Header.Values("Link")
		if !strings.HasSuffix(links[0], `rel="self"`) {
			t.Errorf("first Link %q is not self", links[0])
		}
		var users []struct {
			ID      string                 `json:"id"`
			Profile struct{ Login string } `json:"profile"`
		}
		decode(t, resp, &users)
		for _, u := range users {
			got = append(got, u.ID)
		}
		path = ""
		if len(links) == 2 {
			next := strings.TrimSuffix(strings.TrimPrefix(links[1], "<"), `>; rel="next"`)
			path = strings.TrimPrefix(next, srv.URL)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) || fmt.Sprint(emu.Members(gid)) != fmt.Sprint(want) {
		t.Errorf("members %v, want %v", got, want)
	}
	if n := emu.Requests("GET /api/v1/groups/{id}/users"); n != 3 {
		t.Errorf("pages requested = %d, want 3", n)
	}
}

func TestRateLimitHeadersAndBudget(t *testing.T) {
	emu := New("tok")
	now := time.Date(2026, 11, 2, 9, 14, 7, 0, time.UTC)
	emu.SetClock(func() time.Time { return now })
	emu.SetRateLimit(2)
	srv := httptest.NewServer(emu)
	defer srv.Close()
	reset := strconv.FormatInt(time.Date(2026, 11, 2, 9, 15, 0, 0, time.UTC).Unix(), 10)
	for i, want := range []struct {
		status    int
		remaining string
	}{{200, "1"}, {200, "0"}, {429, "0"}} {
		resp := get(t, srv, "/api/v1/groups", "tok")
		if resp.StatusCode != want.status || resp.Header.Get("X-Rate-Limit-Remaining") != want.remaining ||
			resp.Header.Get("X-Rate-Limit-Reset") != reset || resp.Header.Get("X-Rate-Limit-Limit") != "2" {
			t.Fatalf("request %d: %d remaining=%s reset=%s", i, resp.StatusCode,
				resp.Header.Get("X-Rate-Limit-Remaining"), resp.Header.Get("X-Rate-Limit-Reset"))
		}
	}
	now = now.Add(time.Minute) // next window
	if resp := get(t, srv, "/api/v1/groups", "tok"); resp.StatusCode != 200 {
		t.Fatalf("after reset: %d", resp.StatusCode)
	}
}

func TestFailNext(t *testing.T) {
	emu := New("tok")
	srv := httptest.NewServer(emu)
	defer srv.Close()
	emu.FailNextRetryAfter(1, 429, 7)
	emu.FailNext(1, 500)
	resp := get(t, srv, "/api/v1/groups", "tok")
	var body map[string]any
	decode(t, resp, &body)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "7" || body["errorCode"] != "E0000047" {
		t.Fatalf("first: %d %v %v", resp.StatusCode, resp.Header, body)
	}
	if resp := get(t, srv, "/api/v1/groups", "tok"); resp.StatusCode != 500 {
		t.Fatalf("second: %d", resp.StatusCode)
	}
	if resp := get(t, srv, "/api/v1/groups", "tok"); resp.StatusCode != 200 {
		t.Fatalf("third: %d", resp.StatusCode)
	}
	if emu.Requests("") != 3 {
		t.Errorf("total = %d", emu.Requests(""))
	}
}

func TestNotFoundAndLoginLookup(t *testing.T) {
	emu := New("tok")
	srv := httptest.NewServer(emu)
	defer srv.Close()
	uid := emu.AddUser("jane.doe@example.com", WithEmail("jane@example.com"))
	resp := get(t, srv, "/api/v1/users/jane.doe@example.com", "tok")
	var u struct {
		ID      string
		Profile struct{ Login, Email string }
	}
	decode(t, resp, &u)
	if u.ID != uid || u.Profile.Email != "jane@example.com" {
		t.Errorf("user %+v", u)
	}
	resp = get(t, srv, "/api/v1/groups/00gmissing", "tok")
	var body map[string]any
	decode(t, resp, &body)
	if resp.StatusCode != 404 || body["errorCode"] != "E0000007" {
		t.Errorf("missing group: %d %v", resp.StatusCode, body)
	}
}

func TestConcurrentUse(t *testing.T) {
	emu := New("tok")
	emu.SetRateLimit(0)
	srv := httptest.NewServer(emu)
	defer srv.Close()
	gid := emu.AddGroup("g")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			uid := emu.AddUser(fmt.Sprintf("u%d", i))
			_ = emu.AddMember(gid, uid)
			resp, err := srv.Client().Do(mustReq(srv.URL+"/api/v1/groups/"+gid+"/users", "tok"))
			if err == nil {
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	if n := len(emu.Members(gid)); n != 8 {
		t.Errorf("members = %d, want 8", n)
	}
	if n := emu.Requests("GET /api/v1/groups/{id}/users"); n != 8 {
		t.Errorf("requests = %d, want 8", n)
	}
}

func mustReq(url, token string) *http.Request {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "SSWS "+token)
	return req
}
