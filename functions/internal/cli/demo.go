package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/ssoflow/ssoflow/functions/internal/emulator/idstoreemu"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/sfnemu"
	"github.com/ssoflow/ssoflow/functions/internal/localsfn"
	"github.com/ssoflow/ssoflow/functions/internal/sandbox"
)

func init() {
	register(Command{Name: "demo", Summary: "run the pipeline end to end on this machine, on embedded defaults", Run: runDemo})
}

// demo is the state of one demo run.
type demo struct {
	out    io.Writer
	sb     *sandbox.Sandbox
	okta   map[string]string // login → Okta id
	oktaG  map[string]string // group → Okta id
	scim   map[string]string // login → Identity Center id (SCIM)
	scimG  map[string]string // group → Identity Center id (SCIM)
	ids    map[string]string // login → identity store id
	idsG   map[string]string // group → identity store id
	nExecs int

	// The provision state machine behind the Step Functions emulator, whose failures reach the
	// notify function through the status-change rule, as on AWS.
	sfn    *sfnemu.Emulator
	sfnAPI *sfn.Client
	sfnURL string
	smArn  string
}

func runDemo(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "demo", "")
	if err := fs.Parse(args); err != nil {
		return err
	}
	sb, err := sandbox.Start(ctx, sandbox.Options{Grants: map[string][]string{"AWS_DBA": {"dba"}, "AWS_Developers": {"app_read"}}})
	if err != nil {
		return fmt.Errorf("start the local pipeline: %w", err)
	}
	defer sb.Close()
	d := &demo{out: env.Stdout, sb: sb, okta: map[string]string{}, oktaG: map[string]string{}, scim: map[string]string{},
		scimG: map[string]string{}, ids: map[string]string{}, idsG: map[string]string{}, smArn: sfnemu.ARN(sb.Provision.Name)}
	d.sfn = sfnemu.New(sfnemu.Machine{ARN: d.smArn, Definition: sb.Provision, Options: localsfn.Options{Handlers: sb.Handlers(), Functions: sb.Functions}})
	srv := httptest.NewServer(d.sfn)
	defer srv.Close()
	defer d.sfn.Close() // executions end before the server closes
	d.sfnAPI, d.sfnURL = sfnemu.NewClient(srv.URL), srv.URL
	if err := sb.WatchFailures(d.sfn, srv.URL); err != nil {
		return err
	}
	if err := d.seed(); err != nil {
		return err
	}
	fmt.Fprintln(d.out, "ssoflow demo: Okta, IAM Identity Center (SCIM and identity store), EventBridge, Secrets Manager, SNS")
	fmt.Fprintln(d.out, "and an RDS MySQL that checks IAM tokens run on this machine; the state machines are the real")
	fmt.Fprintln(d.out, "statemachines/*.asl.json, each Task answered by the same Go handler the Lambda runs.")
	for _, scene := range []func(context.Context) error{d.oktaToIdentityCenter, d.identityCenterToDatabase, d.failureReachesAPerson, d.justInTimeAccess, d.failureThenReplay} {
		if err := scene(ctx); err != nil {
			return err
		}
	}
	fmt.Fprintf(d.out, "\n%d executions ran. Deploy with `npx cdk deploy --all` (README, Deploy).\n", d.nExecs)
	return nil
}

func (d *demo) seed() error {
	for _, login := range []string{"jane@example.com", "sam@example.com", "ana@example.com"} {
		d.okta[login] = d.sb.Okta.AddUser(login)
		d.scim[login] = d.sb.SCIM.AddUser(login, d.okta[login])
	}
	for _, g := range []string{"AWS_Admins", "AWS_Developers", "Marketing"} {
		d.oktaG[g] = d.sb.Okta.AddGroup(g)
		d.scimG[g] = d.sb.SCIM.AddGroup(g)
	}
	// Identity Center starts out of step: ana is still an admin there.
	if err := d.sb.SCIM.AddMembers(d.scimG["AWS_Admins"], d.scim["ana@example.com"]); err != nil {
		return err
	}
	for _, u := range []struct{ login, email string }{{"jane@example.com", "Jane.Doe@example.com"}, {"sam@example.com", "sam.lee@example.com"}} {
		id, err := d.sb.Identity.AddUser(idstoreemu.UserSpec{UserName: u.login, DisplayName: u.login, Email: u.email})
		if err != nil {
			return err
		}
		d.ids[u.login] = id
	}
	for _, g := range []string{"AWS_DBA", "AWS_Developers"} {
		id, err := d.sb.Identity.AddGroup(g)
		if err != nil {
			return err
		}
		d.idsG[g] = id
	}
	return nil
}

func (d *demo) heading(s string) { fmt.Fprintf(d.out, "\n== %s\n", s) }

// run starts the provision state machine for event, waits for it and traces what it did.
func (d *demo) run(ctx context.Context, event json.RawMessage, name string) (*localsfn.Execution, error) {
	d.nExecs++
	out, err := d.sfnAPI.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(d.smArn), Name: aws.String(name), Input: aws.String(string(event))})
	if err != nil {
		return nil, fmt.Errorf("start execution %s: %w", name, err)
	}
	x, err := d.sfn.Wait(ctx, aws.ToString(out.ExecutionArn))
	if err != nil {
		return nil, err
	}
	if x.Local == nil {
		return nil, fmt.Errorf("execution %s: %s %s", name, x.Status, x.Cause)
	}
	x.Local.Trace(d.out, detail)
	return x.Local, nil
}

// detail summarizes a state's output for the trace.
func detail(state string, out json.RawMessage) string {
	var v struct {
		Plan *struct {
			Kind, Reason, Summary string
		} `json:"plan"`
		Result json.RawMessage `json:"result"`
	}
	_ = json.Unmarshal(out, &v)
	switch state {
	case "Resolve":
		if v.Plan == nil {
			return ""
		}
		if v.Plan.Kind == "ignore" {
			return "nothing to do: " + v.Plan.Reason
		}
		return v.Plan.Kind + ": " + v.Plan.Summary
	case "PushToIdentityCenter":
		var r struct{ Action string }
		_ = json.Unmarshal(v.Result, &r)
		return "SCIM: " + r.Action
	case "ProvisionDatabase":
		var r struct {
			Database string
			Report   struct {
				Users []struct {
					DBUser  string
					Actions []string
				}
			}
		}
		_ = json.Unmarshal(out, &r)
		var parts []string
		for _, u := range r.Report.Users {
			parts = append(parts, u.DBUser+" "+strings.Join(u.Actions, "+"))
		}
		return r.Database + ": " + strings.Join(parts, ", ")
	}
	return ""
}

func (d *demo) oktaToIdentityCenter(ctx context.Context) error {
	d.heading("1. Okta group membership -> IAM Identity Center groups (SCIM)")
	type op struct {
		add          bool
		login, group string
	}
	ops := []op{{true, "jane@example.com", "AWS_Admins"}, {true, "sam@example.com", "AWS_Developers"},
		{false, "ana@example.com", "AWS_Admins"}, {true, "jane@example.com", "Marketing"}}
	var changes []sandbox.Change
	for i, o := range ops {
		var err error
		if o.add {
			err = d.sb.Okta.AddMember(d.oktaG[o.group], d.okta[o.login])
		} else {
			err = d.sb.Okta.RemoveMember(d.oktaG[o.group], d.okta[o.login])
		}
		if err != nil {
			return err
		}
		changes = append(changes, sandbox.Change{Add: o.add, UserID: d.okta[o.login], Login: o.login, GroupID: d.oktaG[o.group],
			GroupName: o.group, At: time.Now().Add(time.Duration(i) * time.Second), UUID: fmt.Sprintf("demo-%d", i)})
	}
	body := sandbox.HookDelivery(changes)
	resp, err := d.sb.Deliver(ctx, body)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "Okta delivers one event hook batch of %d events (%d bytes): the hook answers %d %s\n", len(changes), len(body), resp.StatusCode, resp.Body)
	// Okta delivers at least once: the same batch again, which must change nothing.
	if _, err := d.sb.Deliver(ctx, body); err != nil {
		return err
	}
	fmt.Fprintf(d.out, "...and delivers it again (at least once): %d events are now on the bus\n", len(d.sb.Bus.Events()))
	for i, ev := range d.sb.Bus.Events() {
		if _, err := d.run(ctx, ev, fmt.Sprintf("okta-%d", i+1)); err != nil {
			return err
		}
	}
	for _, g := range []string{"AWS_Admins", "AWS_Developers", "Marketing"} {
		fmt.Fprintf(d.out, "  %-15s Okta %-40s Identity Center %s\n", g, d.names(d.sb.Okta.Members(d.oktaG[g]), d.okta), d.names(d.sb.SCIM.Members(d.scimG[g]), d.scim))
	}
	fmt.Fprintln(d.out, "  (Marketing has no AWS_ prefix and no mapping: ssoflow leaves it alone.)")
	return nil
}

func (d *demo) names(ids []string, byLogin map[string]string) string {
	var out []string
	for _, id := range ids {
		for login, uid := range byLogin {
			if uid == id {
				out = append(out, login)
			}
		}
	}
	sort.Strings(out)
	return "[" + strings.Join(out, " ") + "]"
}

func (d *demo) identityCenterToDatabase(ctx context.Context) error {
	d.heading("2. Identity Center group membership -> RDS database user with IAM authentication")
	jane := d.ids["jane@example.com"]
	if _, err := d.sb.Identity.AddMember(d.idsG["AWS_DBA"], jane); err != nil {
		return err
	}
	fmt.Fprintln(d.out, "An admin adds jane to AWS_DBA in the Identity Center console; CloudTrail reports AddMemberToGroup.")
	params := map[string]any{"identityStoreId": sandbox.IdentityStoreID, "groupId": d.idsG["AWS_DBA"], "member": map[string]any{"memberId": jane}}
	if _, err := d.run(ctx, sandbox.CloudTrailEvent("sso-directory.amazonaws.com", "AddMemberToGroup", params, ""), "idc-add"); err != nil {
		return err
	}
	d.login(ctx, "jane.doe")
	d.sb.Identity.RemoveMember(d.idsG["AWS_DBA"], jane)
	fmt.Fprintln(d.out, "The admin removes jane from AWS_DBA; CloudTrail reports RemoveMemberFromGroup.")
	if _, err := d.run(ctx, sandbox.CloudTrailEvent("sso-directory.amazonaws.com", "RemoveMemberFromGroup", params, ""), "idc-remove"); err != nil {
		return err
	}
	d.login(ctx, "jane.doe")
	return nil
}

func (d *demo) login(ctx context.Context, user string) {
	if err := d.sb.DB.Login(ctx, user); err != nil {
		fmt.Fprintf(d.out, "  %s logs in with an IAM token over verified TLS: refused (%v)\n", user, firstLine(err))
		return
	}
	fmt.Fprintf(d.out, "  %s logs in with an IAM token over verified TLS: ok\n", user)
}

func firstLine(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 && len(s)-i < 120 {
		s = s[i+2:]
	}
	return s
}

func (d *demo) failureReachesAPerson(ctx context.Context) error {
	d.heading("3. A change that cannot be applied reaches a person")
	id := d.sb.Okta.AddUser("new.hire@example.com")
	if err := d.sb.Okta.AddMember(d.oktaG["AWS_Admins"], id); err != nil {
		return err
	}
	fmt.Fprintln(d.out, "new.hire is added to AWS_Admins in Okta, but Okta has not provisioned the user into Identity Center.")
	before := len(d.sb.Bus.Events())
	if _, err := d.sb.Deliver(ctx, sandbox.HookDelivery([]sandbox.Change{{Add: true, UserID: id, Login: "new.hire@example.com",
		GroupID: d.oktaG["AWS_Admins"], GroupName: "AWS_Admins", At: time.Now(), UUID: "demo-new-hire"}})); err != nil {
		return err
	}
	if _, err := d.run(ctx, d.sb.Bus.Events()[before], "new-hire"); err != nil {
		return err
	}
	for _, m := range d.sb.SNS.Messages() {
		fmt.Fprintf(d.out, "\n  SNS email to the platform team:\n  Subject: %s\n\n  %s\n", m.Subject, strings.ReplaceAll(strings.TrimSpace(m.Message), "\n", "\n  "))
	}
	return nil
}
