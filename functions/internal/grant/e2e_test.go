package grant_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/ssoflow/ssoflow/functions/internal/grant"
	"github.com/ssoflow/ssoflow/functions/internal/localsfn"
)

// Must show 1: grant, then the automatic revoke at the end, through the real ASL. Throttling
// (on the first sso-admin call) and a ConflictException (on the creation) are retried; the
// grant is announced only after Identity Center reported SUCCEEDED. The clock is fixed late in
// the evening, so the two-hour grant ends on the next day and its announcement carries the
// date: the subject must still be whole (it once ran past SNS's 100 characters and was cut
// whenever the suite ran after 22:00 UTC).
func TestGrantIsAnnouncedAfterSuccessThenRevokedAtTheEnd(t *testing.T) {
	w := startAt(t, time.Date(2026, time.March, 10, 23, 30, 0, 0, time.UTC))
	w.sso.SetPollsToFinish(3)
	w.sso.ThrottleNext(1)
	w.sso.ConflictNext(1)
	out := w.cli(t, "grant", "--user", user, "--account", account, "--permission-set", "ReadOnly", "--for", "2h", "--reason", "incident 42", "--id", "g-auto")
	if !strings.Contains(out, "grant g-auto requested") {
		t.Errorf("grant output: %q", out)
	}
	x := w.wait(t, "g-auto")
	if x.Status != "SUCCEEDED" {
		t.Fatalf("execution %s: %s %s", x.Status, x.Error, x.Cause)
	}
	if w.sso.Assigned(w.readOnly()) {
		t.Error("the assignment is still there after the grant ended")
	}
	if got := w.sso.Requests("CreateAccountAssignment"); got != 2 {
		t.Errorf("CreateAccountAssignment requests: %d, want 2 (a ConflictException, then the retry)", got)
	}
	if got := w.sso.Requests("DescribeAccountAssignmentCreationStatus"); got != 3 {
		t.Errorf("creation status polls: %d, want 3 (IN_PROGRESS twice, then SUCCEEDED)", got)
	}
	if got := w.sso.Requests("DeleteAccountAssignment"); got != 1 {
		t.Errorf("DeleteAccountAssignment requests: %d, want 1", got)
	}
	visited := x.Local.Visited()
	if a, p := index(visited, "Announce"), lastIndex(visited, "PollCreation"); a < 0 || a < p {
		t.Errorf("Announce (at %d) must come after the last creation poll (at %d): %v", a, p, visited)
	}
	if x.Local.Count("StateRetried", "Validate") != 1 || x.Local.Count("StateRetried", "CreateAssignment") != 1 {
		t.Errorf("retries: Validate %d, CreateAssignment %d, want 1 each", x.Local.Count("StateRetried", "Validate"), x.Local.Count("StateRetried", "CreateAssignment"))
	}
	var req grant.Request
	if err := json.Unmarshal([]byte(x.Input), &req); err != nil {
		t.Fatal(err)
	}
	if req.End != "2026-03-11T01:30:00Z" {
		t.Errorf("the grant ends at %s, want 2026-03-11T01:30:00Z (two hours after the CLI's clock)", req.End)
	}
	want := []string{
		"ssoflow: jane@example.com has ReadOnly on 111122223333 until 2026-03-11 01:30 UTC",
		"ssoflow: jane@example.com no longer has ReadOnly on 111122223333 (grant g-auto ended)",
	}
	if subjects := w.subjects(); strings.Join(subjects, "\n") != strings.Join(want, "\n") {
		t.Errorf("announcements:\n%s\nwant:\n%s", strings.Join(subjects, "\n"), strings.Join(want, "\n"))
	}
	if m := w.sns.Messages(); len(m) == 0 || !strings.Contains(m[0].Message, "Reason    incident 42") {
		t.Errorf("the announcement's message does not give the reason: %+v", m)
	}
}

// Must show 1: a group membership through the identity store, removed at the end.
func TestGroupMembershipGrantIsRemovedAtTheEnd(t *testing.T) {
	w := start(t)
	w.cli(t, "grant", "--user", user, "--group", groupName, "--for", "30m", "--reason", "on call", "--id", "g-group")
	x := w.wait(t, "g-group")
	if x.Status != "SUCCEEDED" {
		t.Fatalf("execution %s: %s %s", x.Status, x.Error, x.Cause)
	}
	if got := w.ids.Members(w.group); len(got) != 0 {
		t.Errorf("members of %s after the grant: %v, want none", groupName, got)
	}
	if w.ids.Requests("CreateGroupMembership") != 1 || w.ids.Requests("DeleteGroupMembership") != 1 {
		t.Errorf("CreateGroupMembership %d, DeleteGroupMembership %d, want 1 each", w.ids.Requests("CreateGroupMembership"), w.ids.Requests("DeleteGroupMembership"))
	}
	if !w.published("ssoflow: jane@example.com is in group AWS_Breakglass until ") || !w.published("ssoflow: jane@example.com is no longer in group AWS_Breakglass (grant g-group ended)") {
		t.Errorf("announcements: %q", w.subjects())
	}
}

// Must show 1: ssoflow revoke removes the access now and stops the waiting execution.
func TestEarlyRevokeRemovesAccessAndStopsTheTimer(t *testing.T) {
	w := start(t)
	w.hook("g-early", waitLong)
	w.cli(t, "grant", "--user", user, "--account", account, "--permission-set", "ReadOnly", "--for", "4h", "--reason", "deploy", "--id", "g-early")
	until(t, "the grant to be announced", func() bool { return w.published("ssoflow: jane@example.com has ReadOnly") })
	if !w.sso.Assigned(w.readOnly()) {
		t.Fatal("announced, but the assignment is not there")
	}
	if out := w.cli(t, "grants"); !strings.Contains(out, "g-early") || !strings.Contains(out, "ReadOnly on 111122223333") {
		t.Errorf("ssoflow grants while active:\n%s", out)
	}

	out := w.cli(t, "revoke", "g-early")
	if !strings.Contains(out, "grant g-early stopped") {
		t.Errorf("revoke output: %q", out)
	}
	if x := w.wait(t, "g-early"); x.Status != "ABORTED" {
		t.Errorf("the grant's execution is %s, want ABORTED (its timer stopped)", x.Status)
	}
	r := w.wait(t, "g-early"+grant.RevokeSuffix)
	if r.Status != "SUCCEEDED" {
		t.Fatalf("revocation %s: %s %s", r.Status, r.Error, r.Cause)
	}
	if w.sso.Assigned(w.readOnly()) {
		t.Error("the assignment is still there after ssoflow revoke")
	}
	if !w.published("ssoflow: jane@example.com no longer has ReadOnly on 111122223333 (grant g-early revoked)") {
		t.Errorf("announcements: %q", w.subjects())
	}
	if out := w.cli(t, "grants"); !strings.Contains(out, "no active grants") {
		t.Errorf("ssoflow grants after the revoke:\n%s", out)
	}
	if out := w.cli(t, "revoke", "g-early"); !strings.Contains(out, "revoked already") {
		t.Errorf("a second revoke: %q", out)
	}
}

// Must show 1: a FAILED assignment status ends the execution FAILED in the CreationFailed Fail
// state, and the failure is emailed through the status-change rule; nothing announces the access.
func TestFailedAssignmentStatusIsAFailureNotASuccess(t *testing.T) {
	w := start(t)
	w.sso.FailNextCreation("Received a 409 status error: the permission set is being provisioned")
	w.cli(t, "grant", "--user", user, "--account", account, "--permission-set", "ReadOnly", "--for", "1h", "--reason", "debug", "--id", "g-fail")
	x := w.wait(t, "g-fail")
	if x.Status != "FAILED" || x.Error != "AssignmentFailed" || !strings.Contains(x.Cause, "being provisioned") {
		t.Fatalf("execution %s %q %q, want FAILED AssignmentFailed with Identity Center's reason", x.Status, x.Error, x.Cause)
	}
	visited := x.Local.Visited()
	if index(visited, "Announce") >= 0 || visited[len(visited)-1] != "CreationFailed" {
		t.Errorf("states: %v, want the CreationFailed Fail state last and no Announce", visited)
	}
	subjects := w.subjects()
	if len(subjects) != 1 || subjects[0] != "ssoflow: could not grant jane@example.com ReadOnly on 111122223333" {
		t.Errorf("messages: %q, want only the failure", subjects)
	}
	if body := w.sns.Messages()[0].Message; !strings.Contains(body, "was NOT granted") || !strings.Contains(body, "being provisioned") {
		t.Errorf("failure body:\n%s", body)
	}
	if w.sso.Assigned(w.readOnly()) {
		t.Error("a FAILED creation left an assignment")
	}
}

// Must show 2: two overlapping grants of the same access. The first to end leaves the access
// in place for the second; the second's end removes it.
func TestOverlappingGrantsFirstEndKeepsAccessSecondRemovesIt(t *testing.T) {
	w := start(t)
	reached, release := make(chan struct{}), make(chan struct{})
	// The longer grant pauses at CheckOtherGrants until the shorter one has ended.
	w.hook("g-long", func(o *localsfn.Options) {
		o.Handlers["GrantFunctionArn"] = lambda.NewHandler(func(ctx context.Context, ev grant.Event) (any, error) {
			if ev.Action == "checkOthers" {
				close(reached)
				<-release
			}
			return w.svc.Handle(ctx, ev)
		})
	})
	w.cli(t, "grant", "--user", user, "--account", account, "--permission-set", "ReadOnly", "--for", "3h", "--reason", "migration", "--id", "g-long")
	<-reached
	if !w.sso.Assigned(w.readOnly()) {
		t.Fatal("the first grant's access is not in place")
	}
	w.cli(t, "grant", "--user", user, "--account", account, "--permission-set", "ReadOnly", "--for", "1h", "--reason", "hotfix", "--id", "g-short")
	short := w.wait(t, "g-short")
	if short.Status != "SUCCEEDED" {
		t.Fatalf("g-short %s: %s %s", short.Status, short.Error, short.Cause)
	}
	if !w.sso.Assigned(w.readOnly()) {
		t.Fatal("the first grant to end removed access that g-long still needs")
	}
	kept := w.sns.Messages()[len(w.sns.Messages())-1]
	if kept.Subject != "ssoflow: jane@example.com keeps ReadOnly on 111122223333 (another grant needs it)" ||
		!strings.Contains(kept.Message, "Grant g-short ended. jane@example.com keeps ReadOnly on 111122223333 because grant g-long still needs it.") {
		t.Errorf("end of g-short announced as %q:\n%s", kept.Subject, kept.Message)
	}
	if got := w.sso.Requests("CreateAccountAssignment"); got != 1 {
		t.Errorf("CreateAccountAssignment requests: %d, want 1 (the second grant finds the access in place)", got)
	}
	close(release)
	long := w.wait(t, "g-long")
	if long.Status != "SUCCEEDED" {
		t.Fatalf("g-long %s: %s %s", long.Status, long.Error, long.Cause)
	}
	if w.sso.Assigned(w.readOnly()) {
		t.Error("the last grant to end left the access in place")
	}
	if got := w.sso.Requests("DeleteAccountAssignment"); got != 1 {
		t.Errorf("DeleteAccountAssignment requests: %d, want 1", got)
	}
}

// Must show 3: a repeated grant request with the same id starts one execution.
func TestRepeatedGrantRequestStartsOneExecution(t *testing.T) {
	w := start(t)
	w.hook("g-same", waitLong)
	args := []string{"grant", "--user", user, "--account", account, "--permission-set", "ReadOnly", "--for", "2h", "--reason", "audit", "--id", "g-same"}
	first := w.cli(t, args...)
	second := w.cli(t, args...)
	if !strings.Contains(first, "g-same") || !strings.Contains(second, "g-same") {
		t.Errorf("outputs:\n%s\n%s", first, second)
	}
	if got := w.sfn.Requests("StartExecution"); got != 2 {
		t.Errorf("StartExecution requests: %d, want 2", got)
	}
	if got := w.sfn.Executions(w.smArn); len(got) != 1 {
		t.Fatalf("executions: %d, want 1", len(got))
	}
	until(t, "the grant to be announced", func() bool { return w.published("ssoflow: jane@example.com has ReadOnly") })
	if got := w.sso.Requests("CreateAccountAssignment"); got != 1 {
		t.Errorf("CreateAccountAssignment requests: %d, want 1", got)
	}
}
