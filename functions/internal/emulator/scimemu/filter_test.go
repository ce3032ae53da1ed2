package scimemu

import (
	"strconv"
	"testing"
)

func TestParseFilter(t *testing.T) {
	good := map[string][]clause{
		`userName eq "a@b.c"`:                      {{"username", "a@b.c"}},
		`id eq "g1" and members eq "u1"`:           {{"id", "g1"}, {"members", "u1"}},
		`members.value EQ "u\"1" AND id eq "g\\2"`: {{"members.value", `u"1`}, {"id", `g\2`}},
	}
	for in, want := range good {
		got, err := parseFilter(in)
		if err != nil || len(got) != len(want) {
			t.Errorf("parseFilter(%q) = %v, %v; want %v", in, got, err, want)
			continue
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("parseFilter(%q)[%d] = %v, want %v", in, i, got[i], want[i])
			}
		}
	}
	for _, in := range []string{
		``, `userName co "a"`, `userName sw "a"`, `userName pr`, `userName ne "a"`,
		`userName eq a`, `userName eq "a" or id eq "b"`, `not (userName eq "a")`,
		`(userName eq "a")`, `members[value eq "u"] eq "x"`, `userName eq "a`,
		`a eq "1" and b eq "2" and c eq "3"`, `userName eq "a" and`, `userName eq "a" extra`,
	} {
		if got, err := parseFilter(in); err == nil {
			t.Errorf("parseFilter(%q) = %v, want an error", in, got)
		}
	}
}

// FuzzParseFilter checks that no filter makes the parser panic and that what it accepts is one
// or two clauses which, written back with quoted values, parse to the same clauses.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{`userName eq "a@b.c"`, `id eq "g" and members eq "u"`, `displayName eq "x\" or \"y"`, `userName co "a"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cs, err := parseFilter(s)
		if err != nil {
			return
		}
		if len(cs) < 1 || len(cs) > 2 {
			t.Fatalf("parseFilter(%q) gave %d clauses", s, len(cs))
		}
		re := ""
		for i, c := range cs {
			if i > 0 {
				re += " and "
			}
			re += c.Attr + " eq " + strconv.Quote(c.Value)
		}
		back, err := parseFilter(re)
		if err != nil {
			// strconv.Quote may use escapes JSON lacks (\x..); only compare what JSON can read.
			return
		}
		for i := range cs {
			if back[i] != cs[i] {
				t.Fatalf("parseFilter(%q) = %v, re-parsed %q as %v", s, cs, re, back)
			}
		}
	})
}
