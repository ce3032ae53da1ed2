package grant

import (
	"testing"
	"time"
)

// The end time reads as a time of day on the day it ends, with the date otherwise; either
// way the subject stays whole (SNS cuts subjects at 100 characters).
func TestGrantedSubjectCarriesTheDateOnlyWhenTheGrantEndsAnotherDay(t *testing.T) {
	r := Request{Kind: KindAssignment, User: "jane.doe-longer-name@example.com", AccountID: "111122223333", PermissionSet: "ReadOnly", End: "2026-03-11T01:30:00Z", Reason: "incident 42 and a long explanation of why"}
	for _, c := range []struct {
		now  time.Time
		want string
	}{
		{time.Date(2026, 3, 11, 0, 5, 0, 0, time.UTC), "ssoflow: jane.doe-longer-name@example.com has ReadOnly on 111122223333 until 01:30 UTC"},
		{time.Date(2026, 3, 10, 23, 30, 0, 0, time.UTC), "ssoflow: jane.doe-longer-name@example.com has ReadOnly on 111122223333 until 2026-03-11 01:30 UTC"},
	} {
		got := GrantedSubject(r, c.now)
		if got != c.want {
			t.Errorf("at %s:\n got %q\nwant %q", c.now, got, c.want)
		}
		if len(got) > 100 {
			t.Errorf("subject of %d characters: SNS would cut it", len(got))
		}
	}
	m := Request{Kind: KindMembership, User: "jane@example.com", Group: "AWS_Breakglass", End: "2026-03-10T15:00:00Z"}
	if got, want := GrantedSubject(m, time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC)), "ssoflow: jane@example.com is in group AWS_Breakglass until 15:00 UTC"; got != want {
		t.Errorf("membership: got %q, want %q", got, want)
	}
}
