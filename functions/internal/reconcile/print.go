package reconcile

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
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
	}
	return tw.Flush()
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
