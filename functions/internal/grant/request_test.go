package grant_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ssoflow/ssoflow/functions/internal/grant"
)

func TestRequestIDIsDeterministicAndChecksRefuseBadRequests(t *testing.T) {
	now := time.Date(2025, 3, 1, 11, 59, 30, 0, time.UTC)
	a := grant.NewRequest(user, account, "ReadOnly", "", 2*time.Hour, "incident 42", "jane", "", now)
	b := grant.NewRequest(user, account, "ReadOnly", "", 2*time.Hour, "incident 42", "someone else", "", now.Add(20*time.Second))
	if a.GrantID != b.GrantID || a.End != "2025-03-01T14:00:00Z" {
		t.Errorf("ids %s, %s (end %s), want equal ids for the same request within the minute, ending 14:00", a.GrantID, b.GrantID, a.End)
	}
	if c := grant.NewRequest(user, account, "Admin", "", 2*time.Hour, "incident 42", "jane", "", now); c.GrantID == a.GrantID {
		t.Error("another permission set gave the same id")
	}
	for name, tc := range map[string]struct {
		r    grant.Request
		want string
	}{
		"too long":  {grant.NewRequest(user, account, "ReadOnly", "", 13*time.Hour, "r", "", "", now), "more than the maximum"},
		"past":      {func() grant.Request { r := a; r.End = "2025-03-01T11:00:00Z"; return r }(), "not in the future"},
		"both":      {grant.NewRequest(user, account, "ReadOnly", groupName, time.Hour, "r", "", "", now), "not both"},
		"account":   {grant.NewRequest(user, "12345", "ReadOnly", "", time.Hour, "r", "", "", now), "12-digit"},
		"no reason": {grant.NewRequest(user, account, "ReadOnly", "", time.Hour, "", "", "", now), "reason is required"},
	} {
		if err := tc.r.Check(now, 12*time.Hour); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", name, err, tc.want)
		}
	}
	if err := a.Check(now, 12*time.Hour); err != nil {
		t.Errorf("a valid request: %v", err)
	}
}
