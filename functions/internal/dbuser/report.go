package dbuser

import (
	"errors"
	"fmt"

	"github.com/ssoflow/ssoflow/functions/internal/errs"
)

// Action is one thing Apply did (or did not do) for a user.
type Action string

// Actions in a UserReport.
const (
	ActionCreated   Action = "created"
	ActionGranted   Action = "granted"
	ActionRevoked   Action = "revoked"
	ActionDropped   Action = "dropped"
	ActionUnchanged Action = "unchanged"
	ActionRefused   Action = "refused" // invalid or conflicting name: never retried
	ActionSkipped   Action = "skipped" // exists, not managed by ssoflow: left alone
	ActionFailed    Action = "failed"  // a database error; Apply's error has it too
)

// UserReport is what Apply did for one Identity Center user.
type UserReport struct {
	IdentityStoreUserID string   `json:"identityStoreUserId"`
	DBUser              string   `json:"dbUser,omitempty"`
	Actions             []Action `json:"actions"`
	Granted             []string `json:"granted,omitempty"`
	Revoked             []string `json:"revoked,omitempty"`
	Reason              string   `json:"reason,omitempty"` // why refused, skipped or failed
}

// Has reports whether the user report contains action a.
func (u UserReport) Has(a Action) bool {
	for _, x := range u.Actions {
		if x == a {
			return true
		}
	}
	return false
}

// Skipped reports whether the user was left alone because ssoflow does not manage it.
func (u UserReport) Skipped() bool { return u.Has(ActionSkipped) }

func (u UserReport) skip(reason string) UserReport {
	u.Actions, u.Reason, u.Granted, u.Revoked = []Action{ActionSkipped}, reason, nil, nil
	return u
}

func (u UserReport) unchanged() UserReport {
	u.Actions = []Action{ActionUnchanged}
	return u
}

// Report is the outcome of one Apply, in the order of the desired list.
type Report struct {
	Users  []UserReport   `json:"users"`
	Counts map[Action]int `json:"counts"`
	// Omitted is how many users Brief left out.
	Omitted int `json:"omitted,omitempty"`
}

// Brief returns the report with only the users something happened to (anything but
// unchanged), at most max of them; Counts still count everyone and Omitted says how many
// users with changes were left out.
func (r Report) Brief(max int) Report {
	out := Report{Counts: r.Counts, Users: []UserReport{}, Omitted: r.Omitted}
	for _, u := range r.Users {
		if len(u.Actions) == 1 && u.Actions[0] == ActionUnchanged {
			continue
		}
		if len(out.Users) == max {
			out.Omitted++
			continue
		}
		out.Users = append(out.Users, u)
	}
	return out
}

func (r *Report) add(u UserReport) {
	if r.Counts == nil {
		r.Counts = map[Action]int{}
	}
	r.Users = append(r.Users, u)
	for _, a := range u.Actions {
		r.Counts[a]++
	}
}

// Changed reports whether Apply changed anything.
func (r Report) Changed() bool {
	return r.Counts[ActionCreated]+r.Counts[ActionGranted]+r.Counts[ActionRevoked]+r.Counts[ActionDropped] > 0
}

// RefusedError returns an errs.InvalidInputError naming every refused user, or nil: the
// notification path for names that no retry will fix.
func (r Report) RefusedError() error {
	var es []error
	for _, u := range r.Users {
		if u.Has(ActionRefused) {
			es = append(es, fmt.Errorf("Identity Center user %s: %s", u.IdentityStoreUserID, u.Reason))
		}
	}
	if len(es) == 0 {
		return nil
	}
	return &errs.InvalidInputError{Err: fmt.Errorf("%d database user(s) refused: %w", len(es), errors.Join(es...))}
}
