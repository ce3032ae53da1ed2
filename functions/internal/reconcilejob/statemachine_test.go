package reconcilejob_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/ssoflow/ssoflow/functions/internal/awsconf"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/sfnemu"
	"github.com/ssoflow/ssoflow/functions/internal/lambdaenv"
	"github.com/ssoflow/ssoflow/functions/internal/localsfn"
	"github.com/ssoflow/ssoflow/functions/internal/reconcile"
	"github.com/ssoflow/ssoflow/functions/internal/reconcilejob"
	"github.com/ssoflow/ssoflow/functions/internal/sandbox"
)

// scheduled is the event an EventBridge schedule rule starts the state machine with.
const scheduled = `{"version":"0","id":"53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa","detail-type":"Scheduled Event","source":"aws.events",` +
	`"account":"111122223333","time":"2026-11-21T16:00:00Z","region":"us-east-1","resources":["arn:aws:events:us-east-1:111122223333:rule/ssoflow-dev-reconcile"],"detail":{}}`

// Issue 5, the reconcile state machine: reconcile.asl.json runs locally with the real handlers
// over the real clients against the sandbox. A group whose removals exceed the guard is
// refused: the others converge, the execution FAILS with ReconcileRefused and a person is told
// which group and why. Once Okta is right again the next run SUCCEEDS and every prefixed
// Identity Center group equals its Okta group; the group outside the prefix is untouched.
func TestReconcileStateMachineConvergesAndNotifiesRefusals(t *testing.T) {
	ctx := context.Background()
	sb, err := sandbox.Start(ctx, sandbox.Options{SharedDirectory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	ids := httptest.NewServer(sb.Identity)
	t.Cleanup(ids.Close)

	users := map[string]string{} // login → Okta id
	icUser := map[string]string{}
	for i := range 9 {
		l := fmt.Sprintf("user%d@example.com", i)
		users[l] = sb.Okta.AddUser(l)
		icUser[l] = sb.SCIM.AddUser(l, users[l])
	}
	logins := slices.Sorted(func(yield func(string) bool) {
		for l := range users {
			if !yield(l) {
				return
			}
		}
	})
	oktaG, icG := map[string]string{}, map[string]string{}
	for _, g := range []string{"AWS_Admins", "AWS_Developers", "AWS_ReadOnly", "Marketing"} {
		oktaG[g], icG[g] = sb.Okta.AddGroup(g), sb.SCIM.AddGroup(g)
	}
	member := func(g string, ls ...string) {
		for _, l := range ls {
			if err := sb.Okta.AddMember(oktaG[g], users[l]); err != nil {
				t.Fatal(err)
			}
		}
	}
	icMember := func(g string, ls ...string) {
		for _, l := range ls {
			if err := sb.SCIM.AddMembers(icG[g], icUser[l]); err != nil {
				t.Fatal(err)
			}
		}
	}
	member("AWS_Admins", logins[0], logins[1])
	icMember("AWS_Admins", logins[1], logins[2]) // one to add, one to remove
	member("AWS_Developers", logins[3:6]...)
	icMember("AWS_ReadOnly", logins...) // Okta answers it empty: 9 removals, beyond the guard
	icMember("Marketing", logins[7])    // outside the prefix

	settings, err := reconcilejob.LoadSettings(lambdaenv.From(map[string]string{
		"SSOFLOW_OKTA_URL": sb.OktaURL, "SSOFLOW_OKTA_TOKEN_SECRET_ARN": "arn:okta", "SSOFLOW_SCIM_URL": sb.SCIMURL,
		"SSOFLOW_SCIM_TOKEN_SECRET_ARN": "arn:scim", "SSOFLOW_IDENTITY_STORE_ID": sandbox.IdentityStoreID,
	}))
	if err != nil || settings.Config.GroupPrefix != "AWS_" || settings.Config.MaxRemoveShare != reconcile.DefaultMaxRemoveShare {
		t.Fatalf("settings %+v: %v", settings, err)
	}
	setup := reconcilejob.Setup{OktaURL: sb.OktaURL, OktaToken: sandbox.OktaToken, SCIMURL: sb.SCIMURL, SCIMToken: sandbox.SCIMToken,
		AWS: awsconf.Local(), IdentityStoreEndpoint: ids.URL, RequestsPerSecond: -1}
	// One group per shard, so the Map has several items.
	h := &reconcilejob.Handler{New: setup.Reconciler, Config: settings.Config, GroupsPerShard: 1}
	m, err := localsfn.LoadNamed("reconcile", nil)
	if err != nil {
		t.Fatal(err)
	}
	// Behind the Step Functions emulator, whose failures reach the notify function through the
	// synthesized status-change rule, as on AWS.
	smArn := sfnemu.ARN("reconcile")
	emu := sfnemu.New(sfnemu.Machine{ARN: smArn, Definition: m, Options: localsfn.Options{Handlers: map[string]lambda.Handler{
		"ReconcileFunctionArn": lambda.NewHandler(h.Handle)}}})
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	t.Cleanup(emu.Close)
	if err := sb.WatchFailures(emu, srv.URL); err != nil {
		t.Fatal(err)
	}
	api := sfnemu.NewClient(srv.URL)
	run := func(name string) *localsfn.Execution {
		t.Helper()
		out, err := api.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(smArn), Name: aws.String(name), Input: aws.String(scheduled)})
		if err != nil {
			t.Fatal(err)
		}
		x, err := emu.Wait(ctx, aws.ToString(out.ExecutionArn))
		if err != nil || x.Local == nil {
			t.Fatalf("execution %s: %v %+v", name, err, x)
		}
		return x.Local
	}
	icLogins := func(g string) []string {
		var out []string
		for _, id := range sb.SCIM.Members(icG[g]) {
			for l, uid := range icUser {
				if uid == id {
					out = append(out, l)
				}
			}
		}
		slices.Sort(out)
		return out
	}
	oktaLogins := func(g string) []string {
		var out []string
		for _, id := range sb.Okta.Members(oktaG[g]) {
			for l, uid := range users {
				if uid == id {
					out = append(out, l)
				}
			}
		}
		slices.Sort(out)
		return out
	}

	first := run("first")
	if first.Status != "FAILED" || first.Error != "ReconcileRefused" || !strings.Contains(first.Cause, "AWS_ReadOnly: would remove 9 of 9 members") {
		t.Fatalf("first run: %s %s: %s", first.Status, first.Error, first.Cause)
	}
	var mapped int
	for _, e := range first.Events {
		if e.State != nil && e.State.Name == "ApplyShard" && e.Type == "StateEntered" {
			mapped++
		}
	}
	if mapped < 2 {
		t.Errorf("the Map applied %d shards, want several (one group per shard)", mapped)
	}
	msgs := sb.SNS.Messages()
	for _, m := range msgs {
		t.Logf("notification: %s\n%s", m.Subject, m.Message)
	}
	if len(msgs) != 1 || !strings.Contains(msgs[0].Message, "ReconcileRefused") || !strings.Contains(msgs[0].Message, "ssoflow reconcile --dry-run, then --force") {
		t.Fatalf("want one notification naming the refusal and the way out, got %+v", msgs)
	}
	for _, g := range []string{"AWS_Admins", "AWS_Developers"} {
		if got, want := icLogins(g), oktaLogins(g); !slices.Equal(got, want) {
			t.Errorf("after the first run %s: Identity Center %v, Okta %v", g, got, want)
		}
	}
	if got := icLogins("AWS_ReadOnly"); len(got) != 9 {
		t.Errorf("the refused group lost members: %v", got)
	}

	member("AWS_ReadOnly", logins[:8]...) // Okta is right again: one removal, within the guard
	second := run("second")
	if second.Status != "SUCCEEDED" {
		t.Fatalf("second run: %s %s: %s", second.Status, second.Error, second.Cause)
	}
	var out reconcilejob.Outcome
	if err := json.Unmarshal(second.Output, &out); err != nil || !out.OK || out.Removed != 1 {
		t.Errorf("second run output %s (%v), want ok with 1 removal", second.Output, err)
	}
	for _, g := range []string{"AWS_Admins", "AWS_Developers", "AWS_ReadOnly"} {
		if got, want := icLogins(g), oktaLogins(g); !slices.Equal(got, want) {
			t.Errorf("%s: Identity Center %v, Okta %v", g, got, want)
		}
	}
	if got := icLogins("Marketing"); !slices.Equal(got, []string{logins[7]}) {
		t.Errorf("Marketing (outside the prefix) changed: %v", got)
	}
}
