package sandbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/ssoflow/ssoflow/functions/internal/dbusers"
	"github.com/ssoflow/ssoflow/functions/internal/localsfn"
	"github.com/ssoflow/ssoflow/functions/internal/resolve"
	"github.com/ssoflow/ssoflow/functions/internal/sandbox"
)

// The names the CDK app gives the provisioner of a workload account (infra/stacks/multiaccount.go).
const (
	farFunction = "arn:aws:lambda:eu-west-1:222222222222:function:ssoflow-local-dbusers-eu-west-1"
	farRole     = "arn:aws:iam::222222222222:role/ssoflow-local-dbusers-invoke-eu-west-1"
)

// makeRemote moves the sandbox database to a "workload account": resolve routes it to
// farFunction with farRole, as SSOFLOW_DATABASE_TARGETS does in AWS, and the real dbusers core
// answers only lambda:invoke calls to farFunction. The pipeline's own provisioner is gone, so a
// call that bypassed the indirection would fail the execution.
func makeRemote(t *testing.T, w *dbWorld, far lambda.Handler) {
	t.Helper()
	raw, _ := json.Marshal(map[string]resolve.Target{sandbox.DatabaseName: {FunctionArn: farFunction, RoleArn: farRole}})
	targets, err := resolve.ParseTargets(string(raw), w.sb.Resolver.Config.Databases)
	if err != nil {
		t.Fatal(err)
	}
	w.sb.Resolver.Config.Targets = targets
	if far == nil {
		far = w.sb.Extra["DbUsersFunctionArn"]
	}
	w.sb.Functions[farFunction] = far
	delete(w.sb.Extra, "DbUsersFunctionArn")
}

// Issue 8, must show 2: Identity Center events provision a database whose provisioner is in
// another account, through the real provision ASL's lambda:invoke + Credentials indirection,
// into the database that checks real IAM tokens. The far side receives resolved names and
// groups only.
func TestRemoteDatabaseProvisionedThroughTaskCredentials(t *testing.T) {
	w := newDBWorld(t)
	makeRemote(t, w, nil)
	id := func(u string) string { return w.users[u] }

	w.add("jane.doe", "AWS_DBA")
	exe := w.runRemote(sandbox.CloudTrailEvent(console, "AddMemberToGroup", map[string]any{"identityStoreId": sandbox.IdentityStoreID, "groupId": w.groups["AWS_DBA"], "member": map[string]any{"memberId": id("jane.doe")}}, ""))
	w.expectLogins("AddMemberToGroup via the far provisioner", map[string]bool{"jane.doe": true, "sam.lee": false})
	if len(exe.Invocations) != 1 {
		t.Fatalf("lambda:invoke calls %+v, want one", exe.Invocations)
	}
	inv := exe.Invocations[0]
	if inv.FunctionName != farFunction || inv.RoleArn != farRole || inv.State != "ProvisionRemoteDatabase" {
		t.Errorf("invocation %s %s with %s, want ProvisionRemoteDatabase %s with %s", inv.State, inv.FunctionName, inv.RoleArn, farFunction, farRole)
	}
	var work resolve.DatabaseWork
	if err := json.Unmarshal(inv.Payload, &work); err != nil {
		t.Fatal(err)
	}
	if work.Database != sandbox.DatabaseName || len(work.Users) != 1 || work.Users[0].UserName != "jane@example.com" || !slices.Equal(work.Users[0].Groups, []string{"AWS_DBA"}) {
		t.Errorf("the far side got %s, want jane's resolved name and groups", inv.Payload)
	}
	if p := strings.ToLower(string(inv.Payload)); strings.Contains(p, sandbox.IdentityStoreID) || strings.Contains(p, "secret") || strings.Contains(p, "token") {
		t.Errorf("the far side's payload carries identity store or secret material: %s", inv.Payload)
	}
	// The Map's result is the provisioner's own output, as for a local database.
	var out struct {
		Result []dbusers.Result `json:"result"`
	}
	if err := json.Unmarshal(exe.Output, &out); err != nil || len(out.Result) != 1 || out.Result[0].Database != sandbox.DatabaseName {
		t.Errorf("execution output %s (%v), want one dbusers result for %s", exe.Output, err, sandbox.DatabaseName)
	}

	// Removal goes the same way: jane leaves, the far provisioner drops her.
	w.sb.Identity.RemoveMember(w.groups["AWS_DBA"], id("jane.doe"))
	exe = w.runRemote(sandbox.CloudTrailEvent(console, "RemoveMemberFromGroup", map[string]any{"identityStoreId": sandbox.IdentityStoreID, "groupId": w.groups["AWS_DBA"], "member": map[string]any{"memberId": id("jane.doe")}}, ""))
	w.expectLogins("RemoveMemberFromGroup via the far provisioner", map[string]bool{"jane.doe": false})
	if len(exe.Invocations) != 1 || exe.Invocations[0].RoleArn != farRole {
		t.Errorf("removal invocations %+v, want one with %s", exe.Invocations, farRole)
	}
	if msgs := w.sb.SNS.Messages(); len(msgs) != 0 {
		t.Errorf("nothing failed, yet notifications were sent: %+v", msgs)
	}
}

// A failure in the far account fails the execution at the remote step, like any other, and is
// emailed through the status-change rule: here the far provisioner is not configured with the
// database (targets pointing at the wrong provisioner), a real error of the real dbusers core.
func TestRemoteFailureIsNotified(t *testing.T) {
	w := newDBWorld(t)
	wrong, err := dbusers.New(nil, w.sb.DB.Handler.Pools, w.sb.DB.Handler.Conn, w.sb.Log)
	if err != nil {
		t.Fatal(err)
	}
	makeRemote(t, w, lambda.NewHandler(wrong.Handle))
	w.add("jane.doe", "AWS_DBA")
	w.n++
	exe, err := w.sb.RunProvision(context.Background(), sandbox.CloudTrailEvent(console, "AddMemberToGroup", map[string]any{"identityStoreId": sandbox.IdentityStoreID, "groupId": w.groups["AWS_DBA"], "member": map[string]any{"memberId": w.users["jane.doe"]}}, ""), fmt.Sprintf("db-remote-fail-%d", w.n))
	if err != nil {
		t.Fatal(err)
	}
	if v := exe.Visited(); exe.Status != "FAILED" || v[len(v)-1] != "ProvisionRemoteDatabase" {
		t.Fatalf("execution %s %s, visited %v; want FAILED at ProvisionRemoteDatabase", exe.Status, exe.Error, v)
	}
	if len(exe.Invocations) == 0 || exe.Invocations[0].RoleArn != farRole || exe.Invocations[0].Error != exe.Error {
		t.Errorf("invocations %+v, want the far call with %s failing with %s", exe.Invocations, farRole, exe.Error)
	}
	msgs := w.sb.SNS.Messages()
	if len(msgs) != 1 || !strings.Contains(fmt.Sprint(msgs[0]), "not configured in this function") {
		t.Errorf("notifications %+v, want one naming the far provisioner's error", msgs)
	}
	if w.canLogIn("jane.doe") {
		t.Error("jane logs in although provisioning failed")
	}
}

// runRemote is run for a remote database: it also requires the far path was taken.
func (w *dbWorld) runRemote(event json.RawMessage) *localsfn.Execution {
	w.t.Helper()
	w.n++
	exe, err := w.sb.RunProvision(context.Background(), event, fmt.Sprintf("db-remote-%d", w.n))
	if err != nil {
		w.t.Fatal(err)
	}
	if exe.Status != "SUCCEEDED" {
		w.t.Fatalf("execution %d: %s %s: %s", w.n, exe.Status, exe.Error, exe.Cause)
	}
	v := exe.Visited()
	remote := slices.Contains(v, "ProvisionRemoteDatabase") || slices.Contains(v, "ProvisionRemoteChunk")
	if !remote || slices.Contains(v, "ProvisionDatabase") || slices.Contains(v, "ProvisionChunk") {
		w.t.Errorf("visited %v, want ProvisionRemoteDatabase (or, by reference, ProvisionRemoteChunk) and not the pipeline's own provisioner", v)
	}
	return exe
}
