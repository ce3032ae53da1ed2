package ctevent_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ssoflow/ssoflow/functions/internal/ctevent"
	"github.com/ssoflow/ssoflow/functions/internal/errs"
)

func FuzzParse(f *testing.F) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds in testdata: %v", err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ctevent.Parse(data)
		if err != nil {
			var inv *errs.InvalidInputError
			if !errors.As(err, &inv) {
				t.Fatalf("error %v is not an InvalidInputError", err)
			}
			return
		}
		switch c.Kind {
		case ctevent.KindUserGroup:
			if c.UserID == "" || c.GroupID == "" {
				t.Fatalf("user-group change without both ids: %+v", c)
			}
		case ctevent.KindUser:
			if c.UserID == "" {
				t.Fatalf("user change without a user id: %+v", c)
			}
		case ctevent.KindGroup:
			if c.GroupID == "" {
				t.Fatalf("group change without a group id: %+v", c)
			}
		case ctevent.KindAllGroups:
			if c.Reason == "" {
				t.Fatalf("all-groups change without a reason: %+v", c)
			}
		case ctevent.KindIgnore:
			if c.Reason == "" || c.UserID != "" || c.GroupID != "" {
				t.Fatalf("ignored change without a reason, or with ids: %+v", c)
			}
		default:
			t.Fatalf("unknown kind %q", c.Kind)
		}
		for _, id := range []string{c.UserID, c.GroupID} {
			for _, r := range id {
				if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
					t.Fatalf("id %q has character %q", id, r)
				}
			}
		}
	})
}
