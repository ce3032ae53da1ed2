package oktaemu

import (
	"fmt"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// listNames GETs path and returns the group names of the answer and its Link headers.
func listNames(t *testing.T, srv *httptest.Server, path string) ([]string, []string) {
	t.Helper()
	resp := get(t, srv, path, "tok")
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: status %d", path, resp.StatusCode)
	}
	var groups []struct {
		Profile struct{ Name string } `json:"profile"`
	}
	decode(t, resp, &groups)
	names := make([]string, len(groups))
	for i, g := range groups {
		names[i] = g.Profile.Name
	}
	return names, resp.Header.Values("Link")
}

func nextOf(links []string, base string) string {
	for _, l := range links {
		if u, ok := strings.CutSuffix(l, `>; rel="next"`); ok {
			return strings.TrimPrefix(strings.TrimPrefix(u, "<"), base)
		}
	}
	return ""
}

// A q= query answers at most min(limit, 300) groups, exact matches first, and never a next
// link: Okta's "Paging and searching are currently mutually exclusive".
func TestQueryIsNeitherPagedNorLongerThan300(t *testing.T) {
	emu := New("tok")
	emu.SetRateLimit(0)
	srv := httptest.NewServer(emu)
	defer srv.Close()
	for i := range 350 {
		emu.AddGroup(fmt.Sprintf("AWS_%03d", i))
	}
	emu.AddGroup("aws_") // the exact match (ignoring case), created last: its id sorts last
	emu.AddGroup("Engineering")
	for _, c := range []struct {
		query string
		want  int
	}{{"?q=AWS_&limit=200", 200}, {"?q=AWS_", 300}, {"?q=AWS_&limit=1000", 300}, {"?q=aws_0&limit=200", 100}} {
		names, links := listNames(t, srv, "/api/v1/groups"+c.query)
		if len(names) != c.want {
			t.Errorf("%s: %d groups, want %d", c.query, len(names), c.want)
		}
		if next := nextOf(links, srv.URL); next != "" {
			t.Errorf("%s: a query was given a next link %q", c.query, next)
		}
		if c.query != "?q=aws_0&limit=200" && (len(names) == 0 || names[0] != "aws_") {
			t.Errorf("%s: the exact match is not first: %v", c.query, names[:min(3, len(names))])
		}
	}
}

// search= pages with after cursors in Link rel="next", whatever the expression.
func TestSearchPagesWithAfterCursors(t *testing.T) {
	emu := New("tok")
	emu.SetPageSize(2)
	srv := httptest.NewServer(emu)
	defer srv.Close()
	for _, n := range []string{"AWS_A", "AWS_B", "aws_c", "AWS_D", "AWS_E", "Eng"} {
		emu.AddGroup(n)
	}
	cases := map[string][]string{
		`profile.name sw "aws_"`:                          {"AWS_A", "AWS_B", "aws_c", "AWS_D", "AWS_E"},
		`profile.name eq "AWS_c"`:                         {"aws_c"},
		`profile.name SW "AWS_" and type eq "OKTA_GROUP"`: {"AWS_A", "AWS_B", "aws_c", "AWS_D", "AWS_E"},
		`profile.name eq "Eng" or (profile.name sw "AWS_" and profile.name eq "AWS_E")`: {"AWS_E", "Eng"},
		`type eq "APP_GROUP"`: nil,
	}
	for expr, want := range cases {
		var got []string
		path := "/api/v1/groups?limit=200&search=" + url.QueryEscape(expr)
		for pages := 0; path != ""; pages++ {
			if pages > 5 {
				t.Fatalf("%s: too many pages", expr)
			}
			names, links := listNames(t, srv, path)
			got = append(got, names...)
			path = nextOf(links, srv.URL)
		}
		slices.Sort(got)
		slices.Sort(want)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: %v, want %v", expr, got, want)
		}
	}
}

// A malformed or unsupported search= is refused with Okta's 400 E0000031 error body.
func TestMalformedSearchIsE0000031(t *testing.T) {
	emu := New("tok")
	srv := httptest.NewServer(emu)
	defer srv.Close()
	emu.AddGroup("AWS_A")
	for _, expr := range []string{
		``,
		`profile.name sw AWS_`,
		`profile.name sw "AWS_`,
		`profile.name sw "AWS_" and`,
		`(profile.name sw "AWS_"`,
		`profile.name co "AWS"`,
		`Profile.Name sw "AWS_"`,
		`profile.name sw "bad \q escape"`,
		`profile.name sw "AWS_" "extra"`,
	} {
		resp := get(t, srv, "/api/v1/groups?search="+url.QueryEscape(expr), "tok")
		var body struct {
			ErrorCode   string `json:"errorCode"`
			ErrorCauses []struct {
				ErrorSummary string `json:"errorSummary"`
			} `json:"errorCauses"`
		}
		decode(t, resp, &body)
		if resp.StatusCode != 400 || body.ErrorCode != "E0000031" || len(body.ErrorCauses) != 1 {
			t.Errorf("search %q: %d %+v, want 400 E0000031 with its cause", expr, resp.StatusCode, body)
		}
	}
}
