package cli

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ssoflow/ssoflow/functions/envnames"
)

// demoGrantAccount is the account the demo grants access to.
const demoGrantAccount = "111122223333"

// justInTimeAccess grants jane ReadOnly on an account through `ssoflow grant`, shows the
// access, and lets the real grant state machine end it (its wait shortened to 5 s).
func (d *demo) justInTimeAccess(ctx context.Context) error {
	d.heading("4. Just-in-time access, granted now and revoked automatically")
	g, err := d.sb.StartGrants(5 * time.Second)
	if err != nil {
		return err
	}
	g.SSO.AddPermissionSet("ReadOnly", "read-only access")
	g.SSO.AddAccount(demoGrantAccount)
	vars := map[string]string{envnames.GrantStateMachineARN: g.StateMachineArn, envnames.SFNEndpoint: g.SFNURL, "USER": "demo"}
	ssoflow := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		if code := Main(ctx, args, &Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return vars[k] }}); code != 0 {
			return "", fmt.Errorf("ssoflow %s: exit %d: %s", strings.Join(args, " "), code, errOut.String())
		}
		return out.String(), nil
	}
	args := []string{"grant", "--user", "jane@example.com", "--account", demoGrantAccount, "--permission-set", "ReadOnly", "--for", "1h", "--reason", "incident 4711"}
	out, err := ssoflow(args...)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "$ ssoflow %s\n%s", shellJoin(args), indent(out))
	// The assignment exists only once Identity Center reports SUCCEEDED for it. Should the
	// execution end first, its own error says why.
	deadline := time.Now().Add(3 * time.Minute)
	for len(g.SSO.Assignments()) == 0 {
		execs := g.SFN.Executions(g.StateMachineArn)
		if len(execs) == 1 && execs[0].Status != "RUNNING" {
			return fmt.Errorf("grant execution %s ended %s before the access existed: %s: %s", execs[0].Name, execs[0].Status, execs[0].Error, execs[0].Cause)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the grant's assignment did not appear within 3 minutes (executions: %+v)", execs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if out, err = ssoflow("grants"); err != nil {
		return err
	}
	fmt.Fprintf(d.out, "$ ssoflow grants\n%s", indent(out))
	fmt.Fprintf(d.out, "  Identity Center assignments now: %d (jane has ReadOnly on %s)\n", len(g.SSO.Assignments()), demoGrantAccount)
	execs := g.SFN.Executions(g.StateMachineArn)
	if len(execs) != 1 {
		return fmt.Errorf("want one grant execution, have %d", len(execs))
	}
	fmt.Fprintln(d.out, "  ...the grant's time runs out (shortened to 5 s for the demo)...")
	x, err := g.SFN.Wait(ctx, execs[0].ARN)
	if err != nil {
		return err
	}
	d.nExecs++
	fmt.Fprintf(d.out, "  grant execution %s: %s; Identity Center assignments now: %d\n", x.Name, x.Status, len(g.SSO.Assignments()))
	for _, m := range d.sb.SNS.Messages() {
		if strings.Contains(m.Subject, "ReadOnly") {
			fmt.Fprintf(d.out, "  SNS: %s\n", m.Subject)
		}
	}
	return nil
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	return "  " + strings.ReplaceAll(s, "\n", "\n  ") + "\n"
}

// shellJoin quotes the arguments that need it, so the echoed command can be pasted.
func shellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " '\"$`\\") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}
