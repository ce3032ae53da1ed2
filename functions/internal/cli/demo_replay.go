package cli

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/ssoflow/ssoflow/functions/envnames"
	"github.com/ssoflow/ssoflow/functions/internal/sandbox"
)

// failureThenReplay: the provision state machine runs behind the Step Functions API emulator;
// SCIM rejects the token, the execution FAILS at the push, and its status change event reaches
// the notify function through the status-change rule, which emails a person; the token is
// renewed, and the replay command the message names, run as written, redrives the execution from
// the push (the emulator redrives as AWS does: Resolve is not run again), and it SUCCEEDS.
func (d *demo) failureThenReplay(ctx context.Context) error {
	d.heading("5. A failure arrives as a message, and a replay succeeds")
	smArn, emu, api := d.smArn, d.sfn, d.sfnAPI

	login, group := "sam@example.com", "AWS_Admins"
	if err := d.sb.Okta.AddMember(d.oktaG[group], d.okta[login]); err != nil {
		return err
	}
	before := len(d.sb.Bus.Events())
	if _, err := d.sb.Deliver(ctx, sandbox.HookDelivery([]sandbox.Change{{Add: true, UserID: d.okta[login], Login: login,
		GroupID: d.oktaG[group], GroupName: group, At: time.Now(), UUID: "demo-replay"}})); err != nil {
		return err
	}
	d.sb.SCIM.FailNext(1<<20, http.StatusUnauthorized)
	fmt.Fprintf(d.out, "sam is added to %s in Okta, but Identity Center's SCIM token has expired (every request: 401).\n", group)
	started, err := api.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(smArn), Name: aws.String("okta-sam-admins"),
		Input: aws.String(string(d.sb.Bus.Events()[before]))})
	if err != nil {
		return fmt.Errorf("start the provision execution: %w", err)
	}
	x, err := emu.Wait(ctx, aws.ToString(started.ExecutionArn))
	if err != nil {
		return err
	}
	d.nExecs++
	fmt.Fprintf(d.out, "  execution %s: %s (%s) at %s\n", x.Name, x.Status, x.Error, strings.Join(x.Local.Visited(), " -> "))
	msgs := d.sb.SNS.Messages()
	if len(msgs) == 0 {
		return fmt.Errorf("the failure was not notified")
	}
	m := msgs[len(msgs)-1]
	command := ""
	for line := range strings.Lines(m.Message) {
		if l := strings.TrimSpace(line); strings.HasPrefix(l, "ssoflow replay ") {
			command = l
		}
	}
	if command == "" {
		return fmt.Errorf("the message names no replay command:\n%s", m.Message)
	}
	fmt.Fprintf(d.out, "  the status change reached the notify function through the status-change rule (%d deliveries)\n", len(d.sb.StatusDeliveries()))
	fmt.Fprintf(d.out, "  SNS: %s\n  ...the message says what to do, then: %s\n", m.Subject, command)

	d.sb.SCIM.FailNext(0, 0)
	fmt.Fprintln(d.out, "The team puts a new token into the secret, and runs the command from the message:")
	vars := map[string]string{envnames.SFNEndpoint: d.sfnURL}
	var out, errOut bytes.Buffer
	args := strings.Fields(command)[1:]
	if code := Main(ctx, args, &Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return vars[k] }}); code != 0 {
		return fmt.Errorf("%s: exit %d: %s", command, code, errOut.String())
	}
	fmt.Fprintf(d.out, "$ %s\n%s", command, indent(out.String()))
	if x, err = emu.Wait(ctx, x.ARN); err != nil {
		return err
	}
	d.nExecs++
	fmt.Fprintf(d.out, "  execution %s after the redrive: %s (redrive %d reran only %s)\n  %-15s Okta %s Identity Center %s\n", x.Name, x.Status, x.RedriveCount, strings.Join(x.Local.Visited(), " -> "), group,
		d.names(d.sb.Okta.Members(d.oktaG[group]), d.okta), d.names(d.sb.SCIM.Members(d.scimG[group]), d.scim))
	return nil
}
