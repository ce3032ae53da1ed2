package notify

import "fmt"

// grantInput is the part of a grant execution's state the message needs: the request (its JSON
// is grant.State's), and whether the grant was already ending.
type grantInput struct {
	GrantID       string    `json:"grantId"`
	Kind          string    `json:"kind"`
	User          string    `json:"user"`
	AccountID     string    `json:"accountId"`
	PermissionSet string    `json:"permissionSet"`
	Group         string    `json:"group"`
	Mode          string    `json:"mode"`
	Others        *struct{} `json:"others"`
	Op            *struct{} `json:"op"`
	Grant         *struct{} `json:"grant"`
	End           string    `json:"end"`
	Reason        string    `json:"reason"`
}

func (g grantInput) what() string {
	if g.Kind == "membership" {
		return "group " + g.Group
	}
	return g.PermissionSet + " on " + g.AccountID
}

// ending: the failure was in the grant's end (a revoke, or past the check of other grants).
func (g grantInput) ending() bool { return g.Others != nil || g.Mode == "revoke" }

func (g grantInput) describe() string {
	if g.ending() {
		return fmt.Sprintf("remove %s from %s", g.what(), g.User)
	}
	return fmt.Sprintf("grant %s %s", g.User, g.what())
}

// request is the message's account of the grant.
func (g grantInput) request() string {
	return fmt.Sprintf("Grant request\n  grant %s: user %s, %s, until %s, reason: %s\n\n", g.GrantID, g.User, g.what(), g.End, g.Reason)
}

// advice for a grant's failures; "" when the error is not a grant's own.
func (g grantInput) advice(errorName string) string {
	if g.GrantID == "" {
		return ""
	}
	switch errorName {
	case "AssignmentFailed":
		return "Identity Center refused the assignment (the reason above). The access was NOT granted."
	case "AssignmentTimedOut":
		return "Identity Center did not finish in time. Check the assignment in the console; if it is there, run\n  ssoflow revoke " + g.GrantID + "."
	case "AssignmentDeletionFailed", "AssignmentDeletionTimedOut":
		return "The access may still be in place. Remove the assignment in the console, or replay this execution."
	case "InvalidInputError":
		return "The request can never succeed as it is (the error names what). Nothing was granted; request again."
	}
	if g.ending() {
		return "The grant's end failed: the access may still be in place. Check it, then replay or remove it by hand."
	}
	return ""
}
