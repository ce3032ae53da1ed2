package scim

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func fixtures(t testing.TB, pattern string) [][]byte {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil || len(names) == 0 {
		t.Fatalf("no fixtures %s: %v", pattern, err)
	}
	var out [][]byte
	for _, n := range names {
		out = append(out, readFixture(t, filepath.Base(n)))
	}
	return out
}

func TestParseErrorFixtures(t *testing.T) {
	tests := []struct {
		file      string
		status    int
		wantType  string
		wantInDet string
		wantReqID string
	}{
		{"error_validation.json", 400, "ValidationException", "violates schema", "59370c32-f096-4892-8e37-94b4581f1f03"},
		{"error_conflict.json", 409, "ConflictException", "Duplicate userName", "6a2c5e0c-7a4b-4a51-9b68-0f0d5b3c1a2e"},
		{"error_numeric_status.json", 400, "invalidFilter", "Unsupported filter", ""},
		{"error_html.txt", 502, "InternalServerException", "502 Bad Gateway", ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			e := parseError(tt.status, readFixture(t, tt.file))
			if e.Status != tt.status || e.Type != tt.wantType || e.RequestID != tt.wantReqID {
				t.Errorf("got status %d type %q request id %q, want %d %q %q", e.Status, e.Type, e.RequestID, tt.status, tt.wantType, tt.wantReqID)
			}
			if !strings.Contains(e.Detail, tt.wantInDet) {
				t.Errorf("detail %q lacks %q", e.Detail, tt.wantInDet)
			}
			if e.Temporary() != (tt.status >= 500 || tt.status == 429) {
				t.Errorf("Temporary() = %v for %d", e.Temporary(), tt.status)
			}
		})
	}
}

func TestParseListFixtures(t *testing.T) {
	groups, err := parseList[wireGroup](readFixture(t, "list_groups.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(groups.Resources) != 2 || groups.Resources[1].group().DisplayName != "Group Beta" {
		t.Errorf("groups: %+v", groups.Resources)
	}
	cur, err := parseList[wireGroup](readFixture(t, "list_groups_cursor.json"))
	if err != nil {
		t.Fatal(err)
	}
	if cur.NextCursor == "" || len(cur.Resources) != 1 {
		t.Errorf("cursor page: %+v", cur)
	}
	users, err := parseList[wireUser](readFixture(t, "list_users.json"))
	if err != nil {
		t.Fatal(err)
	}
	u := users.Resources[0].user()
	if u.UserName != "test.user@example.com" || u.ExternalID != "00u1abcd" || !u.Active || u.GivenName != "Test" {
		t.Errorf("user: %+v", u)
	}
	empty, err := parseList[wireUser](readFixture(t, "list_empty.json"))
	if err != nil || len(empty.Resources) != 0 {
		t.Errorf("empty list: %+v, %v", empty, err)
	}
	if _, err := parseList[wireGroup](readFixture(t, "list_bad_total.json")); err == nil {
		t.Error("a page with more resources than totalResults was accepted")
	}
	if _, err := parseList[wireGroup](readFixture(t, "error_validation.json")); err == nil {
		t.Error("an error body was accepted as a list")
	}
}

// FuzzParseList checks that no response body makes the list parser panic, and that what it
// accepts is self-consistent.
func FuzzParseList(f *testing.F) {
	for _, b := range fixtures(f, "*.json") {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		l, err := parseList[wireGroup](body)
		if err != nil {
			return
		}
		if l.TotalResults < 0 || l.StartIndex < 0 || l.ItemsPerPage < 0 {
			t.Fatalf("accepted negative paging: %+v", l)
		}
		if l.TotalResults > 0 && l.NextCursor == "" && len(l.Resources) > l.TotalResults {
			t.Fatalf("accepted %d resources with totalResults %d", len(l.Resources), l.TotalResults)
		}
		if !json.Valid(body) {
			t.Fatalf("accepted invalid JSON %q", body)
		}
	})
}

// FuzzParseError checks that any error body yields an APIError with the HTTP status and a
// short, printable detail (it ends up in notifications and logs).
func FuzzParseError(f *testing.F) {
	for _, b := range fixtures(f, "error_*") {
		f.Add(400, b)
		f.Add(503, b)
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := parseError(status, body)
		if e.Status != status {
			t.Fatalf("status %d, want %d", e.Status, status)
		}
		for _, s := range []string{e.Detail, e.RequestID, e.Type} {
			if !utf8.ValidString(s) || utf8.RuneCountInString(s) > 301 {
				t.Fatalf("unsafe text %q", s)
			}
			for _, r := range s {
				if r < 0x20 || r == 0x7f {
					t.Fatalf("control character in %q", s)
				}
			}
		}
		if e.Temporary() != (status == 429 || status >= 500) {
			t.Fatalf("Temporary() = %v for %d", e.Temporary(), status)
		}
	})
}

// FuzzQuote checks that any value renders as one JSON string, so it cannot end a filter value.
func FuzzQuote(f *testing.F) {
	for _, s := range []string{"alice@example.com", `o"brien`, `back\slash`, `x" or userName pr or "`, "tab\there", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		q := quote(s)
		var back string
		if err := json.Unmarshal([]byte(q), &back); err != nil {
			t.Fatalf("quote(%q) = %s is not a JSON string: %v", s, q, err)
		}
		if back != s {
			t.Fatalf("quote(%q) round-trips to %q", s, back)
		}
	})
}
