package oktahook

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	ssoflow "github.com/ssoflow/ssoflow/functions"
	"github.com/ssoflow/ssoflow/functions/internal/errs"
)

func TestParseLogStreamEvent(t *testing.T) {
	ev, ok, err := ParseLogStreamEvent(fixture(t, "logstream-membership-add.json"))
	want := ssoflow.OktaMembershipEvent{EventID: "c2000001-5b0f-11ef-9a7c-2b9f3d4e5a61", EventType: ssoflow.OktaMembershipAdd,
		Published: ts("2026-11-02T10:01:12.345Z"), UserID: "00u1jane000000000000x7", UserLogin: "jane.doe@example.com",
		GroupID: "00g1platform0000000x7", GroupName: "AWS_PlatformAdmins"}
	if err != nil || !ok || ev != want {
		t.Fatalf("membership: %+v %v %v", ev, ok, err)
	}
	if _, ok, err := ParseLogStreamEvent(fixture(t, "logstream-session-start.json")); ok || err != nil {
		t.Errorf("session start: ok=%v err=%v", ok, err)
	}
	_, ok, err = ParseLogStreamEvent(fixture(t, "logstream-missing-group.json"))
	var inv *errs.InvalidInputError
	if ok || !errors.As(err, &inv) || !strings.Contains(err.Error(), "UserGroup") {
		t.Errorf("missing group: ok=%v err=%v", ok, err)
	}
	if _, _, err := ParseLogStreamEvent([]byte(`{"uuid":`)); !errors.As(err, &inv) {
		t.Errorf("bad JSON: %v", err)
	}
}

func TestParseHookPayloadCounts(t *testing.T) {
	b, err := ParseHookPayload(fixture(t, "okta-hook-duplicates-unordered.json"))
	if err != nil {
		t.Fatal(err)
	}
	if b.Total != 6 || len(b.Events) != 3 || b.Other != 1 || b.Duplicates != 1 || len(b.Skipped) != 1 || b.Ignored() != 3 {
		t.Errorf("batch = %+v", b)
	}
	if !strings.Contains(b.Skipped[0], "a1000004") {
		t.Errorf("skip reason %q does not name the event", b.Skipped[0])
	}
}

func FuzzParseHookPayload(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no fixtures: %v", err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := ParseHookPayload(body)
		if err != nil {
			return
		}
		if len(b.Events)+b.Other+b.Duplicates+len(b.Skipped) != b.Total {
			t.Fatalf("counts do not add up: %+v", b)
		}
		seen := map[string]bool{}
		for i, ev := range b.Events {
			if ev.UserID == "" || ev.GroupID == "" || ev.EventID == "" || seen[ev.EventID] {
				t.Fatalf("bad event %+v", ev)
			}
			seen[ev.EventID] = true
			if ev.EventType != ssoflow.OktaMembershipAdd && ev.EventType != ssoflow.OktaMembershipRemove {
				t.Fatalf("event type %q", ev.EventType)
			}
			if i > 0 && ev.Published.Before(b.Events[i-1].Published) {
				t.Fatalf("not sorted at %d", i)
			}
		}
		if !slices.IsSortedFunc(b.Events, func(x, y ssoflow.OktaMembershipEvent) int { return x.Published.Compare(y.Published) }) {
			t.Fatal("not sorted")
		}
		// The same body parsed as a log stream event must not panic either.
		_, _, _ = ParseLogStreamEvent(body)
	})
}
