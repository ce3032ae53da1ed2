package sandbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/ssoflow/ssoflow/functions/internal/emulator/idstoreemu"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/sfnemu"
	"github.com/ssoflow/ssoflow/functions/internal/localsfn"
	"github.com/ssoflow/ssoflow/functions/internal/replay"
	"github.com/ssoflow/ssoflow/functions/internal/resolve"
	"github.com/ssoflow/ssoflow/functions/internal/sandbox"
)

// chunked passes every database plan by reference, in chunks of about two users.
func chunked(o *sandbox.Options) { o.PlanInlineBytes, o.PlanChunkBytes = 1, 700 }

// addPeople adds n users named <prefix>NN to the identity store and to group.
func (w *dbWorld) addPeople(prefix string, n int, group string) []string {
	w.t.Helper()
	var names []string
	for i := range n {
		db := fmt.Sprintf("%s%02d", prefix, i)
		id, err := w.sb.Identity.AddUser(idstoreemu.UserSpec{UserName: db + "@example.com", DisplayName: db, Email: db + "@example.com"})
		if err != nil {
			w.t.Fatal(err)
		}
		w.users[db] = id
		w.add(db, group)
		names = append(names, db)
	}
	return names
}

func plannedChunks(t *testing.T, exe *localsfn.Execution) []resolve.DatabaseWork {
	t.Helper()
	for _, ev := range exe.Events {
		if ev.Type == "StateExited" && ev.State != nil && ev.State.Name == "Resolve" {
			var out struct {
				Plan resolve.Plan `json:"plan"`
			}
			if err := json.Unmarshal(ev.State.Output, &out); err != nil {
				t.Fatal(err)
			}
			return out.Plan.Databases
		}
	}
	t.Fatal("Resolve never exited")
	return nil
}

// Issue 5, lists larger than a state payload passed by reference, through the real provision
// ASL: the plan names stored chunks, each Map iteration loads its own chunk (LoadWork) and the
// provisioner converges the users in the chunk's id range; members removed from any range lose
// their database login, the others keep theirs, and no state ever holds the whole list.
func TestDatabasePlanPassedByReferenceConverges(t *testing.T) {
	w := newDBWorld(t, chunked)
	devs := w.addPeople("dev", 12, "AWS_Developers")
	dbas := w.addPeople("dba", 3, "AWS_DBA")

	exe, err := w.sb.RunProvision(context.Background(), reconcileEvent("reconcile-1"), "planref-1")
	if err != nil {
		t.Fatal(err)
	}
	if exe.Status != "SUCCEEDED" {
		t.Fatalf("%s %s: %s", exe.Status, exe.Error, exe.Cause)
	}
	items := plannedChunks(t, exe)
	if len(items) != 1 || len(items[0].Chunks) < 5 || len(items[0].Users) != 0 {
		t.Fatalf("plan items %+v: want one database naming at least 5 chunks, carrying no users", items)
	}
	chunks := items[0].Chunks
	if exe.Count("StateEntered", "LoadWork") != len(chunks) || exe.Count("StateEntered", "ProvisionChunk") != len(chunks) {
		t.Fatalf("%d chunks, %d LoadWork, %d ProvisionChunk: want one of each per chunk",
			len(chunks), exe.Count("StateEntered", "LoadWork"), exe.Count("StateEntered", "ProvisionChunk"))
	}
	for _, c := range chunks {
		if _, ok := w.sb.S3.Object(sandbox.PlanBucket, c.Stored.Key); !ok {
			t.Fatalf("chunk %s is not in the plan bucket", c.Stored.Key)
		}
	}
	for _, u := range append(append([]string{}, devs...), dbas...) {
		if !w.canLogIn(u) {
			t.Errorf("%s cannot log in after the reconcile", u)
		}
	}

	// Members leave from every part of the id space, two join: the next reconcile's chunks
	// cover different ranges, and each takes access away only within its own.
	gone := map[string]bool{}
	for i, u := range devs {
		if i%3 == 0 {
			w.sb.Identity.RemoveMember(w.groups["AWS_Developers"], w.users[u])
			gone[u] = true
		}
	}
	w.sb.Identity.RemoveMember(w.groups["AWS_DBA"], w.users[dbas[1]])
	gone[dbas[1]] = true
	late := w.addPeople("late", 2, "AWS_DBA")
	w.run(reconcileEvent("reconcile-2"))
	for _, u := range append(append(append([]string{}, devs...), dbas...), late...) {
		if got := w.canLogIn(u); got == gone[u] {
			t.Errorf("%s logs in = %v after leaving = %v", u, got, gone[u])
		}
	}
	if msgs := w.sb.SNS.Messages(); len(msgs) != 0 {
		t.Errorf("nothing failed, yet %d notifications: %+v", len(msgs), msgs)
	}
}

// The far-account path of a plan passed by reference: LoadWork runs in the pipeline account
// (the far side has no access to the plan bucket) and the provisioner there receives the work
// itself, never a reference.
func TestDatabasePlanPassedByReferenceToARemoteProvisioner(t *testing.T) {
	w := newDBWorld(t, chunked)
	makeRemote(t, w, nil)
	devs := w.addPeople("dev", 6, "AWS_Developers")
	exe := w.runRemote(sandbox.CloudTrailEvent(scimSrc, "PatchGroup", map[string]any{"tenantId": "9f8e7d6c-5b4a", "id": w.groups["AWS_Developers"], "operations": "HIDDEN_DUE_TO_SECURITY_REASONS"}, ""))
	items := plannedChunks(t, exe)
	if len(items) != 1 || len(items[0].Chunks) < 2 || len(exe.Invocations) != len(items[0].Chunks) {
		t.Fatalf("plan items %+v, %d far invocations: want one database of at least 2 chunks, one invocation per chunk", items, len(exe.Invocations))
	}
	users := 0
	for _, inv := range exe.Invocations {
		var work resolve.DatabaseWork
		if err := json.Unmarshal(inv.Payload, &work); err != nil {
			t.Fatal(err)
		}
		if len(work.Chunks) != 0 || strings.Contains(string(inv.Payload), "stored") {
			t.Fatalf("the far side got a reference: %s", inv.Payload)
		}
		users += len(work.Users)
	}
	if users != len(devs) {
		t.Errorf("the far side got %d users over its invocations, want %d", users, len(devs))
	}
	for _, u := range devs {
		if !w.canLogIn(u) {
			t.Errorf("%s cannot log in", u)
		}
	}
}

// A chunk that is gone when a redrive reaches LoadWork (the bucket's lifecycle removes chunks
// 15 days after they were written, so an execution redriven late finds them gone): the database
// is down, the execution fails at the chunk's provisioning and is emailed; the chunks expire;
// the replay redrives (the history says a redrive can help), the redrive resumes at the Map and
// finds the chunk gone, a PlanGoneError, emailed as "starts it anew"; the next `ssoflow replay`
// reads that from the history and starts the execution anew, which plans again and succeeds.
func TestGoneChunkIsNotifiedAndReplayedAnew(t *testing.T) {
	w := newDBWorld(t, chunked)
	devs := w.addPeople("dev", 4, "AWS_Developers")
	ctx := context.Background()
	smArn := sfnemu.ARN(w.sb.Provision.Name)
	emu := sfnemu.New(sfnemu.Machine{ARN: smArn, Definition: w.sb.Provision, Options: localsfn.Options{Handlers: w.sb.Handlers(), Functions: w.sb.Functions}})
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	t.Cleanup(emu.Close)
	if err := w.sb.WatchFailures(emu, srv.URL); err != nil {
		t.Fatal(err)
	}
	api := sfnemu.NewClient(srv.URL)
	wait := func(arn string) sfnemu.Execution {
		t.Helper()
		x, err := emu.Wait(ctx, arn)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}

	w.sb.BreakDatabase(sandbox.DatabaseName, true)
	out, err := api.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(smArn), Name: aws.String("gone-1"), Input: aws.String(string(reconcileEvent("r-gone")))})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(out.ExecutionArn)
	if x := wait(arn); x.Status != "FAILED" || x.Error != "RetryableError" {
		t.Fatalf("database down: %s %s %s, want FAILED RetryableError", x.Status, x.Error, x.Cause)
	}
	w.sb.BreakDatabase(sandbox.DatabaseName, false)
	for _, k := range w.sb.S3.Keys(sandbox.PlanBucket) {
		w.sb.S3.Delete(sandbox.PlanBucket, k) // the lifecycle rule expired them
	}
	s, err := replay.Run(ctx, api, replay.Options{StateMachineArn: smArn, Executions: []string{"gone-1"}})
	if err != nil || s.Redriven != 1 {
		t.Fatalf("replay: %+v %v, want a redrive", s, err)
	}
	if x := wait(arn); x.Status != "FAILED" || x.Error != "PlanGoneError" || !strings.Contains(x.Cause, "--anew") || x.Local.Visited()[0] != "ProvisionDatabases" {
		t.Fatalf("redriven with its chunks gone: %s %s %s (visited %v), want FAILED PlanGoneError from the Map on", x.Status, x.Error, x.Cause, x.Local.Visited())
	}
	msgs := w.sb.SNS.Messages()
	if len(msgs) != 2 || !strings.Contains(msgs[1].Message, "it starts the execution anew") || !strings.Contains(msgs[1].Message, "ssoflow replay") {
		t.Fatalf("want a second notification that says the replay starts anew; got %d: %+v", len(msgs), msgs)
	}
	for _, u := range devs {
		if w.canLogIn(u) {
			t.Fatalf("%s logs in although no chunk was applied", u)
		}
	}

	s, err = replay.Run(ctx, api, replay.Options{StateMachineArn: smArn, Executions: []string{"gone-1"}})
	if err != nil || s.Restarted != 1 || !strings.Contains(s.Items[0].Why, "PlanGoneError") {
		t.Fatalf("replay after the plan was gone: %+v %v, want a new start because of the PlanGoneError", s, err)
	}
	if x := wait(s.Items[0].NewARN); x.Status != "SUCCEEDED" {
		t.Fatalf("started anew: %s %s %s", x.Status, x.Error, x.Cause)
	}
	for _, u := range devs {
		if !w.canLogIn(u) {
			t.Errorf("%s cannot log in after the replay", u)
		}
	}
}
