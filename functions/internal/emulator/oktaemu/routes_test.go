package oktaemu

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

func do(t *testing.T, srv *httptest.Server, method, path string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "SSWS tok")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if resp.StatusCode != http.StatusNoContent {
		decode(t, resp, &body)
	}
	return resp.StatusCode, body
}

// A limit that is not a positive number is Okta's 400 E0000001 (API validation failed).
func TestBadLimitIsE0000001(t *testing.T) {
	emu := New("tok")
	srv := httptest.NewServer(emu)
	defer srv.Close()
	gid := emu.AddGroup("AWS_A")
	for _, path := range []string{"/api/v1/groups?limit=0", "/api/v1/groups?limit=ten", "/api/v1/groups?q=AWS&limit=-1",
		"/api/v1/groups/" + gid + "/users?limit=0"} {
		if st, body := do(t, srv, http.MethodGet, path); st != 400 || body["errorCode"] != "E0000001" {
			t.Errorf("%s: %d %v, want 400 E0000001", path, st, body)
		}
	}
}

// An unknown path is E0000008; a known path with a method it does not serve is E0000022.
func TestUnknownPathAndUnsupportedMethod(t *testing.T) {
	emu := New("tok")
	srv := httptest.NewServer(emu)
	defer srv.Close()
	gid := emu.AddGroup("AWS_A")
	if st, body := do(t, srv, http.MethodGet, "/api/v1/nothing"); st != 404 || body["errorCode"] != "E0000008" {
		t.Errorf("unknown path: %d %v", st, body)
	}
	if st, body := do(t, srv, http.MethodPatch, "/api/v1/groups/"+gid); st != 404 || body["errorCode"] != "E0000022" {
		t.Errorf("unsupported method: %d %v", st, body)
	}
}

// Adding and removing a member answer 204 No Content, and repeating either changes nothing.
// Members are listed whatever their status: deactivated users stay in their groups.
func TestMembershipWritesAndMembersOfAnyStatus(t *testing.T) {
	emu := New("tok")
	srv := httptest.NewServer(emu)
	defer srv.Close()
	gid := emu.AddGroup("AWS_A")
	active, gone := emu.AddUser("a@example.com"), emu.AddUser("d@example.com", WithStatus("DEPROVISIONED"))
	for range 2 {
		for _, u := range []string{active, gone} {
			if st, _ := do(t, srv, http.MethodPut, "/api/v1/groups/"+gid+"/users/"+u); st != 204 {
				t.Fatalf("PUT member: %d", st)
			}
		}
	}
	resp := get(t, srv, "/api/v1/groups/"+gid+"/users", "tok")
	var users []struct{ ID, Status string }
	decode(t, resp, &users)
	if fmt.Sprint(users) != fmt.Sprintf("[{%s ACTIVE} {%s DEPROVISIONED}]", active, gone) {
		t.Errorf("members: %v", users)
	}
	for range 2 {
		if st, _ := do(t, srv, http.MethodDelete, "/api/v1/groups/"+gid+"/users/"+gone); st != 204 {
			t.Fatalf("DELETE member: %d", st)
		}
	}
	if fmt.Sprint(emu.Members(gid)) != fmt.Sprint([]string{active}) {
		t.Errorf("members after removal: %v", emu.Members(gid))
	}
	if st, body := do(t, srv, http.MethodPut, "/api/v1/groups/00gnone/users/"+active); st != 404 || body["errorCode"] != "E0000007" {
		t.Errorf("PUT into a missing group: %d %v", st, body)
	}
}
