package reconcile

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/ssoflow/ssoflow/functions/internal/dbuser"
)

// maxListed bounds the user names printed per cell.
const maxListed = 5

// WriteTable prints the plan for a person: one row per group with changes, refusals or
// problems, then one row per database.
func (p *Plan) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "GROUP\tOKTA\tIDENTITY CENTER\tADD\tREMOVE\tNOTE")
	unchanged := 0
	for _, g := range p.Groups {
		note := firstOf(g.Error, g.Problem, g.Refused)
		if note == "" && len(g.NotProvisioned) > 0 {
			note = fmt.Sprintf("%d not provisioned in Identity Center: %s", len(g.NotProvisioned), list(g.NotProvisioned))
		}
		if len(g.Add)+len(g.Remove) == 0 && note == "" {
			unchanged++
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\n", orID(g), g.OktaMembers, g.Members, members(g.Add), members(g.Remove), note)
	}
	adds, removes := p.Totals()
	fmt.Fprintf(tw, "total: %d groups (%d unchanged)\t\t\t+%d\t-%d\t%d refused\n", len(p.Groups), unchanged, adds, removes, len(p.Refused()))
	if len(p.Databases) > 0 {
		fmt.Fprintln(tw, "\nDATABASE\tUSERS\tGRANTS\tSCOPE GROUPS\tMISSING GROUPS\t")
		for _, d := range p.Databases {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t\n", d.Database, d.Users, d.Grants, list(d.ScopeGroups), list(d.MissingGroups))
		}
		for _, d := range p.Databases {
			writeDatabaseChanges(tw, d)
		}
	}
	return tw.Flush()
}

// writeDatabaseChanges prints one database's section: the users to create, grant, revoke and
// drop (counts and names), those unchanged, skipped or refused, and why it is held back.
func writeDatabaseChanges(w io.Writer, d DatabasePlan) {
	if d.Changes == nil && d.Error == "" {
		return
	}
	fmt.Fprintf(w, "\nDATABASE %s\tCHANGE\tUSERS\n", d.Database)
	if d.Error != "" {
		fmt.Fprintf(w, "\terror\t%s\n", d.Error)
		return
	}
	rows := []struct {
		action dbuser.Action
		label  string
		always bool
		detail func(dbuser.UserReport) string
	}{
		{dbuser.ActionCreated, "create", true, nil},
		{dbuser.ActionGranted, "grant", true, func(u dbuser.UserReport) string { return strings.Join(u.Granted, " ") }},
		{dbuser.ActionRevoked, "revoke", true, func(u dbuser.UserReport) string { return strings.Join(u.Revoked, " ") }},
		{dbuser.ActionDropped, "drop", true, nil},
		{dbuser.ActionUnchanged, "unchanged", false, nil},
		{dbuser.ActionSkipped, "skipped", false, func(u dbuser.UserReport) string { return u.Reason }},
		{dbuser.ActionRefused, "refused", false, func(u dbuser.UserReport) string { return u.Reason }},
	}
	for _, r := range rows {
		var names []string
		for _, u := range d.Changes.Users {
			if !u.Has(r.action) {
				continue
			}
			n := firstOf(u.DBUser, u.IdentityStoreUserID)
			if r.detail != nil {
				n += " (" + r.detail(u) + ")"
			}
			names = append(names, n)
		}
		slices.Sort(names)
		if len(names) == 0 && !r.always {
			continue
		}
		cell := "0"
		if len(names) > 0 {
			cell = fmt.Sprintf("%d: %s", len(names), list(names))
		}
		if r.action == dbuser.ActionUnchanged {
			cell = strconv.Itoa(len(names))
		}
		fmt.Fprintf(w, "\t%s\t%s\n", r.label, cell)
	}
	note := fmt.Sprintf("%d users managed by ssoflow now", d.Managed)
	if d.Refused != "" {
		note = "drops refused: " + d.Refused
	}
	fmt.Fprintf(w, "\tnote\t%s\n", note)
}

func members(ms []Member) string {
	if len(ms) == 0 {
		return "-"
	}
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = m.UserName
	}
	return fmt.Sprintf("%d (%s)", len(ms), list(names))
}

func list(s []string) string {
	if len(s) == 0 {
		return "-"
	}
	if len(s) > maxListed {
		return strings.Join(s[:maxListed], ", ") + fmt.Sprintf(", … %d more", len(s)-maxListed)
	}
	return strings.Join(s, ", ")
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
