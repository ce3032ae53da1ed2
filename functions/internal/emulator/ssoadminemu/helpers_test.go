package ssoadminemu_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin/types"
	"github.com/aws/smithy-go"

	"github.com/ssoflow/ssoflow/functions/internal/emulator/ssoadminemu"
)

const (
	instanceArn = "arn:aws:sso:::instance/ssoins-1234567890abcdef"
	member      = "111122223333"
	outsider    = "444455556666"
)

// fixture is an emulator with one permission set and one member account, served over HTTP to
// the real SDK client.
type fixture struct {
	emu   *ssoadminemu.Server
	c     *ssoadmin.Client
	url   string
	psArn string
}

func start(t *testing.T) *fixture {
	t.Helper()
	emu := ssoadminemu.New(instanceArn)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	emu.AddAccount(member)
	return &fixture{emu: emu, c: ssoadminemu.NewClient(srv.URL), url: srv.URL, psArn: emu.AddPermissionSet("ReadOnly", "read only")}
}

// principal returns the n-th identity-store-shaped user id.
func principal(n int) string { return fmt.Sprintf("9067%04x-0a1b-4c5d-8e9f-0123456789ab", n) }

func (f *fixture) assignment(account string, n int) ssoadminemu.Assignment {
	return ssoadminemu.Assignment{AccountID: account, PermissionSetArn: f.psArn, PrincipalType: "USER", PrincipalID: principal(n)}
}

func (f *fixture) create(a ssoadminemu.Assignment) (*types.AccountAssignmentOperationStatus, error) {
	out, err := f.c.CreateAccountAssignment(context.Background(), &ssoadmin.CreateAccountAssignmentInput{
		InstanceArn: aws.String(instanceArn), PermissionSetArn: aws.String(a.PermissionSetArn),
		PrincipalId: aws.String(a.PrincipalID), PrincipalType: types.PrincipalType(a.PrincipalType),
		TargetId: aws.String(a.AccountID), TargetType: types.TargetTypeAwsAccount,
	})
	if err != nil {
		return nil, err
	}
	return out.AccountAssignmentCreationStatus, nil
}

func (f *fixture) remove(a ssoadminemu.Assignment) (*types.AccountAssignmentOperationStatus, error) {
	out, err := f.c.DeleteAccountAssignment(context.Background(), &ssoadmin.DeleteAccountAssignmentInput{
		InstanceArn: aws.String(instanceArn), PermissionSetArn: aws.String(a.PermissionSetArn),
		PrincipalId: aws.String(a.PrincipalID), PrincipalType: types.PrincipalType(a.PrincipalType),
		TargetId: aws.String(a.AccountID), TargetType: types.TargetTypeAwsAccount,
	})
	if err != nil {
		return nil, err
	}
	return out.AccountAssignmentDeletionStatus, nil
}

func (f *fixture) creationStatus(id string) (*types.AccountAssignmentOperationStatus, error) {
	out, err := f.c.DescribeAccountAssignmentCreationStatus(context.Background(), &ssoadmin.DescribeAccountAssignmentCreationStatusInput{
		InstanceArn: aws.String(instanceArn), AccountAssignmentCreationRequestId: aws.String(id)})
	if err != nil {
		return nil, err
	}
	return out.AccountAssignmentCreationStatus, nil
}

func (f *fixture) deletionStatus(id string) (*types.AccountAssignmentOperationStatus, error) {
	out, err := f.c.DescribeAccountAssignmentDeletionStatus(context.Background(), &ssoadmin.DescribeAccountAssignmentDeletionStatusInput{
		InstanceArn: aws.String(instanceArn), AccountAssignmentDeletionRequestId: aws.String(id)})
	if err != nil {
		return nil, err
	}
	return out.AccountAssignmentDeletionStatus, nil
}

// mustStatus fails unless st is an operation on a in the given documented status.
func mustStatus(t *testing.T, what string, st *types.AccountAssignmentOperationStatus, err error, a ssoadminemu.Assignment, want types.StatusValues) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if !slices.Contains(types.StatusValues("").Values(), st.Status) {
		t.Fatalf("%s: status %q is not one of the documented %v", what, st.Status, types.StatusValues("").Values())
	}
	if st.Status != want {
		t.Fatalf("%s: status %s (reason %q), want %s", what, st.Status, aws.ToString(st.FailureReason), want)
	}
	if aws.ToString(st.TargetId) != a.AccountID || st.TargetType != types.TargetTypeAwsAccount || aws.ToString(st.PermissionSetArn) != a.PermissionSetArn ||
		aws.ToString(st.PrincipalId) != a.PrincipalID || string(st.PrincipalType) != a.PrincipalType || len(aws.ToString(st.RequestId)) != 36 || st.CreatedDate == nil {
		t.Fatalf("%s: operation %+v does not describe %+v", what, st, a)
	}
}

// apiError returns the error code and HTTP status of an SDK error.
func apiError(t *testing.T, err error) (string, int) {
	t.Helper()
	var ae smithy.APIError
	var re *awshttp.ResponseError
	if !errors.As(err, &ae) || !errors.As(err, &re) {
		t.Fatalf("not an API error: %T %v", err, err)
	}
	return ae.ErrorCode(), re.HTTPStatusCode()
}
