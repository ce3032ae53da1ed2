package grant_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ssoflow/ssoflow/functions/internal/emulator/orgsemu"
	"github.com/ssoflow/ssoflow/functions/internal/grant"
)

const (
	outsider = "444455556666" // an account that is not in the organization
	warning  = "cannot read AWS Organizations"
)

// failedValidation checks that execution name ended FAILED with an InvalidInputError naming
// want, in Validate, and ended there without reaching any assignment step.
func failedValidation(t *testing.T, w *world, name string, want ...string) {
	t.Helper()
	x := w.wait(t, name)
	if x.Status != "FAILED" || x.Error != "InvalidInputError" {
		t.Fatalf("execution %s %q %q, want FAILED InvalidInputError", x.Status, x.Error, x.Cause)
	}
	for _, s := range want {
		if !strings.Contains(x.Cause, s) {
			t.Errorf("cause %q does not name %q", x.Cause, s)
		}
	}
	visited := x.Local.Visited()
	if len(visited) == 0 || visited[len(visited)-1] != "Validate" || index(visited, "CreateAssignment") >= 0 || index(visited, "Announce") >= 0 {
		t.Errorf("states: %v, want the execution to end at Validate, no CreateAssignment or Announce", visited)
	}
}

// failureNotice checks the one message published: a failure naming the account, saying nothing
// was granted.
func failureNotice(t *testing.T, w *world, acct string) {
	t.Helper()
	msgs := w.sns.Messages()
	if len(msgs) != 1 || msgs[0].Subject != "ssoflow: could not grant jane@example.com ReadOnly on "+acct {
		t.Fatalf("messages: %q, want only the failure for %s", w.subjects(), acct)
	}
	if body := msgs[0].Message; !strings.Contains(body, "InvalidInputError") || !strings.Contains(body, acct) || !strings.Contains(body, "Nothing was granted") {
		t.Errorf("failure body:\n%s", body)
	}
}

// Issue #6: a grant for an account that is not in the organization fails in Validate, before
// any assignment is created, and a person is told.
func TestGrantForAnAccountOutsideTheOrganizationFailsBeforeAnyAssignment(t *testing.T) {
	w := start(t)
	w.cli(t, "grant", "--user", user, "--account", outsider, "--permission-set", "ReadOnly", "--for", "1h", "--reason", "typo", "--id", "g-outsider")
	failedValidation(t, w, "g-outsider", "account "+outsider+" is not in the organization")
	if got := w.sso.Requests("CreateAccountAssignment"); got != 0 {
		t.Errorf("CreateAccountAssignment requests: %d, want 0", got)
	}
	if got := w.orgs.Requests("DescribeAccount"); got != 1 {
		t.Errorf("DescribeAccount requests: %d, want 1", got)
	}
	failureNotice(t, w, outsider)
}

// Issue #6: a SUSPENDED (or PENDING_CLOSURE) account is refused the same way, even though
// Identity Center lists it; a throttled DescribeAccount is retried first.
func TestGrantForASuspendedAccountFailsBeforeAnyAssignment(t *testing.T) {
	w := start(t)
	w.sso.AddAccount(outsider)
	w.orgs.AddAccount(outsider, "retired", orgsemu.Suspended)
	w.orgs.ThrottleNext(1)
	w.cli(t, "grant", "--user", user, "--account", outsider, "--permission-set", "ReadOnly", "--for", "1h", "--reason", "cleanup", "--id", "g-suspended")
	failedValidation(t, w, "g-suspended", "account "+outsider+" (retired) is SUSPENDED")
	x := w.wait(t, "g-suspended")
	if got := x.Local.Count("StateRetried", "Validate"); got != 1 {
		t.Errorf("Validate retries: %d, want 1 (the throttled DescribeAccount)", got)
	}
	if got := w.orgs.Requests("DescribeAccount"); got != 2 {
		t.Errorf("DescribeAccount requests: %d, want 2 (throttled, then the retry)", got)
	}
	if got := w.sso.Requests("CreateAccountAssignment"); got != 0 {
		t.Errorf("CreateAccountAssignment requests: %d, want 0", got)
	}
	failureNotice(t, w, outsider)

	const closing = "555566667777"
	w.sso.AddAccount(closing)
	w.orgs.AddAccount(closing, "closing", orgsemu.PendingClosure)
	w.cli(t, "grant", "--user", user, "--account", closing, "--permission-set", "ReadOnly", "--for", "1h", "--reason", "cleanup", "--id", "g-closing")
	failedValidation(t, w, "g-closing", "account "+closing+" (closing) is PENDING_CLOSURE")
	if got := w.sso.Requests("CreateAccountAssignment"); got != 0 {
		t.Errorf("CreateAccountAssignment requests: %d, want 0", got)
	}
}

// Removing access never depends on the account: a revoke for an account suspended since the
// grant began still removes the assignment, without asking Organizations.
func TestRevokeOfAGrantOnASuspendedAccountStillRemovesTheAccess(t *testing.T) {
	w := start(t)
	w.hook("g-then-suspended", waitLong)
	w.cli(t, "grant", "--user", user, "--account", account, "--permission-set", "ReadOnly", "--for", "4h", "--reason", "deploy", "--id", "g-then-suspended")
	until(t, "the grant to be announced", func() bool { return w.published("ssoflow: jane@example.com has ReadOnly") })
	w.orgs.SetState(account, orgsemu.Suspended)
	w.cli(t, "revoke", "g-then-suspended")
	r := w.wait(t, "g-then-suspended"+grant.RevokeSuffix)
	if r.Status != "SUCCEEDED" {
		t.Fatalf("revocation %s: %s %s", r.Status, r.Error, r.Cause)
	}
	if w.sso.Assigned(w.readOnly()) {
		t.Error("the assignment is still there after ssoflow revoke")
	}
	if got := w.orgs.Requests("DescribeAccount"); got != 1 {
		t.Errorf("DescribeAccount requests: %d, want 1 (the grant's Validate only)", got)
	}
}

// Without Organizations read access (a delegated administrator account) grants proceed: the
// warning is logged once, and Identity Center's FAILED status still fails a grant for an
// account outside the organization.
func TestWithoutOrganizationsAccessGrantsProceedAndAssignmentStatusStillCounts(t *testing.T) {
	w := start(t)
	w.orgs.SetAccessDenied(true)
	w.cli(t, "grant", "--user", user, "--account", account, "--permission-set", "ReadOnly", "--for", "1h", "--reason", "incident 7", "--id", "g-denied")
	x := w.wait(t, "g-denied")
	if x.Status != "SUCCEEDED" {
		t.Fatalf("execution %s: %s %s", x.Status, x.Error, x.Cause)
	}
	if !w.published("ssoflow: jane@example.com has ReadOnly on 111122223333 until ") || w.sso.Assigned(w.readOnly()) {
		t.Errorf("want the grant announced and its assignment removed at the end; announcements %q", w.subjects())
	}

	w.cli(t, "grant", "--user", user, "--account", outsider, "--permission-set", "ReadOnly", "--for", "1h", "--reason", "typo", "--id", "g-denied-outsider")
	f := w.wait(t, "g-denied-outsider")
	if f.Status != "FAILED" || f.Error != "AssignmentFailed" || !strings.Contains(f.Cause, "not a member of the organization") {
		t.Fatalf("execution %s %q %q, want FAILED AssignmentFailed from Identity Center's status", f.Status, f.Error, f.Cause)
	}
	if !w.published("ssoflow: could not grant jane@example.com ReadOnly on " + outsider) {
		t.Errorf("announcements: %q, want the failure for %s", w.subjects(), outsider)
	}
	if got := w.sso.Requests("CreateAccountAssignment"); got != 2 {
		t.Errorf("CreateAccountAssignment requests: %d, want 2 (both grants went on to Identity Center)", got)
	}
	if got := w.orgs.Requests("DescribeAccount"); got != 2 {
		t.Errorf("DescribeAccount requests: %d, want 2 (one per grant, each denied)", got)
	}
	if got := strings.Count(w.logs.String(), warning); got != 1 {
		t.Errorf("the Organizations warning was logged %d times, want once:\n%s", got, w.logs.String())
	}
}

// An account in no organization (AWSOrganizationsNotInUseException) is treated like a denial:
// Validate resolves the grant instead of failing it.
func TestValidateWithOrganizationsNotInUseSkipsTheAccountCheck(t *testing.T) {
	w := start(t)
	w.orgs.SetNotInUse(true)
	req := grant.NewRequest(user, outsider, "ReadOnly", "", time.Hour, "standalone", "tester", "g-standalone", w.now())
	out, err := w.svc.Handle(context.Background(), grant.Event{Action: "validate", State: grant.State{Request: req}, ExecutionName: "g-standalone"})
	if err != nil {
		t.Fatalf("validate: %v, want the grant resolved", err)
	}
	r := out.(*grant.Resolved)
	if r.AccountID != outsider || r.UserID != w.userID || r.PermissionSetArn != w.psArn {
		t.Errorf("resolved %+v", r)
	}
	if got := w.orgs.Requests("DescribeAccount"); got != 1 {
		t.Errorf("DescribeAccount requests: %d, want 1", got)
	}
	if got := strings.Count(w.logs.String(), warning); got != 1 {
		t.Errorf("the Organizations warning was logged %d times, want once", got)
	}
}
