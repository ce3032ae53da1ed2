package ssoadminemu_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin/types"

	"github.com/ssoflow/ssoflow/functions/internal/emulator/ssoadminemu"
)

// A creation answers IN_PROGRESS, stays so until its status has been polled the configured
// number of times, then SUCCEEDED; only then does the assignment exist.
func TestAssignmentCreationIsAsynchronous(t *testing.T) {
	f := start(t)
	a := f.assignment(member, 1)
	st, err := f.create(a)
	mustStatus(t, "CreateAccountAssignment", st, err, a, types.StatusValuesInProgress)
	if f.emu.Assigned(a) {
		t.Fatal("the assignment exists before its creation succeeded")
	}
	id := aws.ToString(st.RequestId)
	st, err = f.creationStatus(id)
	mustStatus(t, "first poll", st, err, a, types.StatusValuesInProgress)
	if f.emu.Assigned(a) {
		t.Fatal("the assignment exists while its creation is IN_PROGRESS")
	}
	st, err = f.creationStatus(id)
	mustStatus(t, "second poll", st, err, a, types.StatusValuesSucceeded)
	if !f.emu.Assigned(a) {
		t.Fatal("SUCCEEDED but the assignment does not exist")
	}
	st, err = f.creationStatus(id)
	mustStatus(t, "poll after success", st, err, a, types.StatusValuesSucceeded)

	out, err := f.c.ListAccountAssignments(context.Background(), &ssoadmin.ListAccountAssignmentsInput{
		InstanceArn: aws.String(instanceArn), AccountId: aws.String(member), PermissionSetArn: aws.String(f.psArn)})
	if err != nil || len(out.AccountAssignments) != 1 || aws.ToString(out.AccountAssignments[0].PrincipalId) != a.PrincipalID {
		t.Fatalf("ListAccountAssignments after success: %+v %v", out, err)
	}

	f.emu.SetPollsToFinish(1)
	b := f.assignment(member, 2)
	st, err = f.create(b)
	mustStatus(t, "create with one poll to finish", st, err, b, types.StatusValuesInProgress)
	st, err = f.creationStatus(aws.ToString(st.RequestId))
	mustStatus(t, "the first poll finishes it", st, err, b, types.StatusValuesSucceeded)
}

// A deletion is asynchronous too: the assignment is there until the deletion SUCCEEDED.
func TestAssignmentDeletionIsAsynchronous(t *testing.T) {
	f := start(t)
	a := f.assignment(member, 1)
	f.emu.Assign(a)
	st, err := f.remove(a)
	mustStatus(t, "DeleteAccountAssignment", st, err, a, types.StatusValuesInProgress)
	id := aws.ToString(st.RequestId)
	st, err = f.deletionStatus(id)
	mustStatus(t, "first poll", st, err, a, types.StatusValuesInProgress)
	if !f.emu.Assigned(a) {
		t.Fatal("the assignment disappeared before its deletion succeeded")
	}
	st, err = f.deletionStatus(id)
	mustStatus(t, "second poll", st, err, a, types.StatusValuesSucceeded)
	if f.emu.Assigned(a) {
		t.Fatal("deletion SUCCEEDED but the assignment still exists")
	}
	// A creation's id is not a deletion's, and the other way round.
	if _, err := f.creationStatus(id); !isNotFound(err) {
		t.Errorf("a deletion id through DescribeAccountAssignmentCreationStatus: %v, want ResourceNotFoundException", err)
	}
	_, err = f.remove(a)
	if !isNotFound(err) {
		t.Errorf("deleting an assignment that does not exist: %v, want ResourceNotFoundException", err)
	}
}

func isNotFound(err error) bool {
	var nf *types.ResourceNotFoundException
	return errors.As(err, &nf)
}

// A creation can end FAILED with a FailureReason (an account outside the organization, or an
// injected failure); the assignment is then not created.
func TestCreationFailsWithReason(t *testing.T) {
	f := start(t)
	f.emu.SetPollsToFinish(1)
	a := f.assignment(outsider, 1)
	st, err := f.create(a)
	mustStatus(t, "create for an account outside the organization", st, err, a, types.StatusValuesInProgress)
	st, err = f.creationStatus(aws.ToString(st.RequestId))
	mustStatus(t, "its status", st, err, a, types.StatusValuesFailed)
	if !strings.Contains(aws.ToString(st.FailureReason), outsider) || f.emu.Assigned(a) {
		t.Errorf("FailureReason %q, assigned %v", aws.ToString(st.FailureReason), f.emu.Assigned(a))
	}

	f.emu.FailNextCreation("Received a 404 status error: Not supported policy arn:aws:iam::aws:policy/Nope.")
	b := f.assignment(member, 2)
	st, err = f.create(b)
	mustStatus(t, "create with an injected failure", st, err, b, types.StatusValuesInProgress)
	st, err = f.creationStatus(aws.ToString(st.RequestId))
	mustStatus(t, "its status", st, err, b, types.StatusValuesFailed)
	if !strings.HasPrefix(aws.ToString(st.FailureReason), "Received a 404") || f.emu.Assigned(b) {
		t.Errorf("FailureReason %q, assigned %v", aws.ToString(st.FailureReason), f.emu.Assigned(b))
	}
	st, err = f.create(b)
	mustStatus(t, "the next creation", st, err, b, types.StatusValuesInProgress)
	st, err = f.creationStatus(aws.ToString(st.RequestId))
	mustStatus(t, "is not failed", st, err, b, types.StatusValuesSucceeded)
}

// A second operation on an assignment whose operation is IN_PROGRESS is refused with
// ConflictException (HTTP 400); injected conflicts refuse only Create/Delete.
func TestConflicts(t *testing.T) {
	f := start(t)
	a := f.assignment(member, 1)
	st, err := f.create(a)
	mustStatus(t, "create", st, err, a, types.StatusValuesInProgress)
	var ce *types.ConflictException
	if _, err := f.create(a); !errors.As(err, &ce) {
		t.Fatalf("second creation while the first is IN_PROGRESS: %v, want ConflictException", err)
	} else if code, status := apiError(t, err); code != "ConflictException" || status != 400 {
		t.Errorf("got %s HTTP %d, want ConflictException 400", code, status)
	}
	if _, err := f.remove(a); !errors.As(err, &ce) && !isNotFound(err) {
		t.Fatalf("deletion while the creation is IN_PROGRESS: %v, want a refusal", err)
	}
	for range 2 {
		_, _ = f.creationStatus(aws.ToString(st.RequestId))
	}
	if st, err := f.remove(a); err != nil {
		t.Fatalf("deletion after the creation SUCCEEDED: %v", err)
	} else {
		mustStatus(t, "deletion", st, err, a, types.StatusValuesInProgress)
	}

	f.emu.ConflictNext(1)
	if _, err := f.creationStatus(aws.ToString(st.RequestId)); err != nil {
		t.Errorf("a read during an injected conflict: %v (only Create/Delete are refused)", err)
	}
	b := f.assignment(member, 2)
	if _, err := f.create(b); !errors.As(err, &ce) {
		t.Fatalf("injected conflict: %v, want ConflictException", err)
	}
	if st, err := f.create(b); err != nil {
		t.Fatalf("after one injected conflict: %v", err)
	} else {
		mustStatus(t, "create", st, err, b, types.StatusValuesInProgress)
	}
	if got := f.emu.Requests("CreateAccountAssignment"); got != 4 {
		t.Errorf("Requests(CreateAccountAssignment) = %d, want 4 (refused ones included)", got)
	}
}

// At most MaxOutstandingCreations creations are IN_PROGRESS at once (IAM Identity Center
// quotas); the next is refused with ThrottlingException, HTTP 400, until one finishes.
func TestOutstandingCreationsLimit(t *testing.T) {
	f := start(t)
	f.emu.SetPollsToFinish(1)
	seeded := f.assignment(member, 900)
	f.emu.Assign(seeded)
	var first string
	for n := range ssoadminemu.MaxOutstandingCreations {
		st, err := f.create(f.assignment(member, n))
		mustStatus(t, "creation within the limit", st, err, f.assignment(member, n), types.StatusValuesInProgress)
		if n == 0 {
			first = aws.ToString(st.RequestId)
		}
	}
	over := f.assignment(member, ssoadminemu.MaxOutstandingCreations)
	_, err := f.create(over)
	var te *types.ThrottlingException
	if !errors.As(err, &te) {
		t.Fatalf("creation %d while %d are IN_PROGRESS: %v, want ThrottlingException", ssoadminemu.MaxOutstandingCreations+1, ssoadminemu.MaxOutstandingCreations, err)
	}
	if code, status := apiError(t, err); code != "ThrottlingException" || status != 400 {
		t.Errorf("got %s HTTP %d, want ThrottlingException 400", code, status)
	}
	if f.emu.Assigned(over) {
		t.Error("the refused creation took effect")
	}
	// Deletions are not creations.
	if st, err := f.remove(seeded); err != nil {
		t.Fatalf("a deletion while the creations are outstanding: %v", err)
	} else {
		mustStatus(t, "deletion", st, err, seeded, types.StatusValuesInProgress)
	}
	st, err := f.creationStatus(first)
	mustStatus(t, "one creation finishes", st, err, f.assignment(member, 0), types.StatusValuesSucceeded)
	st, err = f.create(over)
	mustStatus(t, "the refused creation, retried", st, err, over, types.StatusValuesInProgress)
}

// ThrottleNext refuses the next requests of any operation with ThrottlingException.
func TestInjectedThrottling(t *testing.T) {
	f := start(t)
	f.emu.ThrottleNext(2)
	var te *types.ThrottlingException
	if _, err := f.c.ListPermissionSets(context.Background(), &ssoadmin.ListPermissionSetsInput{InstanceArn: aws.String(instanceArn)}); !errors.As(err, &te) {
		t.Errorf("first throttled request: %v", err)
	}
	if _, err := f.create(f.assignment(member, 1)); !errors.As(err, &te) {
		t.Errorf("second throttled request: %v", err)
	} else if code, status := apiError(t, err); code != "ThrottlingException" || status != 400 {
		t.Errorf("got %s HTTP %d, want ThrottlingException 400", code, status)
	}
	if _, err := f.create(f.assignment(member, 1)); err != nil {
		t.Errorf("after the injected throttling: %v", err)
	}
	if got := f.emu.Requests("CreateAccountAssignment"); got != 2 {
		t.Errorf("Requests(CreateAccountAssignment) = %d, want 2", got)
	}
}
