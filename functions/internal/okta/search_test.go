package okta

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// A name with quotes and backslashes is written into the search expression as a JSON string,
// so it finds exactly its group; a value Okta cannot hold is refused before any request.
func TestGroupSearchEscapesAndValidatesNames(t *testing.T) {
	f := newFixture(t)
	hostile := `AWS_"Ops" \ Team`
	id := f.emu.AddGroup(hostile)
	f.emu.AddGroup(`AWS_"Ops"`)
	g, err := f.c.FindGroupByName(context.Background(), hostile)
	if err != nil || g != (Group{ID: id, Name: hostile}) {
		t.Fatalf("FindGroupByName(%q) = %+v, %v", hostile, g, err)
	}
	gs, err := f.c.ListGroups(context.Background(), `AWS_"Ops" \`)
	if err != nil || fmt.Sprint(gs) != fmt.Sprint([]Group{{id, hostile}}) {
		t.Fatalf("ListGroups = %v, %v", gs, err)
	}
	if got, _ := nameSearch("sw", `a"b\c<d>`); got != `profile.name sw "a\"b\\c<d>"` {
		t.Errorf("nameSearch = %s", got)
	}

	before := f.emu.Requests("")
	for _, bad := range []string{"AWS_\n", "AWS_\x00", "AWS_\xff", "AWS_😀"} {
		if _, err := f.c.ListGroups(context.Background(), bad); !errors.Is(err, ErrBadSearchValue) {
			t.Errorf("ListGroups(%q): %v, want ErrBadSearchValue", bad, err)
		}
		if _, err := f.c.FindGroupByName(context.Background(), bad); !errors.Is(err, ErrBadSearchValue) {
			t.Errorf("FindGroupByName(%q): %v, want ErrBadSearchValue", bad, err)
		}
	}
	if got := f.emu.Requests(""); got != before {
		t.Errorf("refused values made %d requests", got-before)
	}
}

// More prefixed groups than a q= query returns are all listed, page by page.
func TestListGroupsPagesPastAQuery(t *testing.T) {
	f := newFixture(t)
	f.emu.SetRateLimit(0)
	for i := range 301 {
		f.emu.AddGroup(fmt.Sprintf("AWS_%03d", i))
	}
	gs, err := f.c.ListGroups(context.Background(), "AWS_")
	if err != nil || len(gs) != 301 {
		t.Fatalf("ListGroups = %d groups, %v; want 301", len(gs), err)
	}
	if n := f.emu.Requests("GET /api/v1/groups"); n != 2 {
		t.Errorf("pages = %d, want 2", n)
	}
}
