package scimemu_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
)

func resources(body map[string]any) []any {
	r, _ := body["Resources"].([]any)
	return r
}

// Lists page by cursor: the first request carries an empty cursor, each next one the
// nextCursor of the answer before; cursored answers carry itemsPerPage and nextCursor, not
// totalResults or startIndex, and the last page has no nextCursor.
func TestListsPageByCursor(t *testing.T) {
	f := newFixture(t)
	for i := range 150 {
		f.emu.AddUser(fmt.Sprintf("u%03d@example.com", i), "")
	}
	var names []string
	path := "/Users?cursor"
	for pages := 0; path != ""; pages++ {
		if pages > 3 {
			t.Fatal("too many pages")
		}
		st, _, body := f.do("GET", path, "")
		if st != 200 {
			t.Fatalf("GET %s: %d %v", path, st, body)
		}
		if _, ok := body["totalResults"]; ok {
			t.Errorf("a cursored page carries totalResults: %v", body["totalResults"])
		}
		if body["itemsPerPage"] != float64(len(resources(body))) {
			t.Errorf("itemsPerPage %v for %d resources", body["itemsPerPage"], len(resources(body)))
		}
		for _, r := range resources(body) {
			names = append(names, r.(map[string]any)["userName"].(string))
		}
		path = ""
		if next, ok := body["nextCursor"].(string); ok {
			path = "/Users?cursor=" + url.QueryEscape(next)
		}
	}
	if len(names) != 150 || names[0] != "u000@example.com" || names[149] != "u149@example.com" {
		t.Errorf("%d users over the pages", len(names))
	}
	_, _, body := f.do("GET", "/Users?cursor=&count=40", "")
	if len(resources(body)) != 40 || body["nextCursor"] == nil {
		t.Errorf("cursor= with count=40: %d resources, nextCursor %v", len(resources(body)), body["nextCursor"])
	}
}

// Without a cursor a list answers one page (count, at most 100) and its totalResults is the
// number of resources returned, not of those that match.
func TestUncursoredListIsOnePage(t *testing.T) {
	f := newFixture(t)
	for i := range 150 {
		f.emu.AddGroup(fmt.Sprintf("AWS_%03d", i))
	}
	for q, want := range map[string]float64{"": 100, "?count=30": 30} {
		st, _, body := f.do("GET", "/Groups"+q, "")
		if st != 200 || body["totalResults"] != want || body["itemsPerPage"] != want || body["startIndex"] != 1.0 ||
			len(resources(body)) != int(want) || body["nextCursor"] != nil {
			t.Errorf("GET /Groups%s: %d total %v items %v start %v next %v", q, st, body["totalResults"],
				body["itemsPerPage"], body["startIndex"], body["nextCursor"])
		}
	}
}

// startIndex, attributes and excludedAttributes are not supported, count must be 1 to 100 and a
// cursor must be one the tenant issued for the same listing: each is a ValidationException.
func TestListRefusals(t *testing.T) {
	f := newFixture(t)
	for i := range 3 {
		f.emu.AddGroup(fmt.Sprintf("AWS_%d", i))
	}
	f.emu.ShortenCursorPages(1)
	_, _, body := f.do("GET", "/Groups?cursor", "")
	groupsCursor := body["nextCursor"].(string)
	for _, path := range []string{
		"/Users?startIndex=1", "/Groups?startIndex=101&count=100", "/Groups?cursor&startIndex=1",
		"/Users?attributes=userName", "/Groups?excludedAttributes=members",
		"/Groups?count=0", "/Groups?count=101", "/Groups?count=500", "/Users?cursor&count=ten",
		"/Groups?cursor=" + url.QueryEscape("not a cursor!"), "/Groups?cursor=Zm9v",
		"/Users?cursor=" + url.QueryEscape(groupsCursor),
		"/Groups" + filterQ(`displayName eq "AWS_1"`) + "&cursor=" + url.QueryEscape(groupsCursor),
	} {
		st, _, body := f.do("GET", path, "")
		assertSCIMError(t, st, body, http.StatusBadRequest)
	}
	if st, _, _ := f.do("GET", "/Groups?cursor="+url.QueryEscape(groupsCursor), ""); st != 200 {
		t.Errorf("the issued cursor: %d", st)
	}
}

// ShortenCursorPages makes pages shorter than count while nextCursor says more remain.
func TestShortCursorPages(t *testing.T) {
	f := newFixture(t)
	for i := range 5 {
		f.emu.AddGroup(fmt.Sprintf("AWS_%d", i))
	}
	f.emu.ShortenCursorPages(2)
	sizes := []int{}
	path := "/Groups?cursor&count=100"
	for path != "" && len(sizes) < 5 {
		_, _, body := f.do("GET", path, "")
		sizes = append(sizes, len(resources(body)))
		path = ""
		if next, ok := body["nextCursor"].(string); ok {
			path = "/Groups?count=100&cursor=" + url.QueryEscape(next)
		}
	}
	if fmt.Sprint(sizes) != "[2 2 1]" {
		t.Errorf("page sizes %v, want [2 2 1]", sizes)
	}
}
