package orgsemu_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/ssoflow/ssoflow/functions/internal/emulator/orgsemu"
)

func serve(t *testing.T) (*orgsemu.Server, *organizations.Client, string) {
	t.Helper()
	emu := orgsemu.New("999988887777")
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	return emu, orgsemu.NewClient(srv.URL), srv.URL
}

func describe(c *organizations.Client, id string) (*organizations.DescribeAccountOutput, error) {
	return c.DescribeAccount(context.Background(), &organizations.DescribeAccountInput{AccountId: aws.String(id)})
}

// The real SDK client reads a seeded account: its ARN in the organization, State and Status.
func TestDescribeAccountAnswersTheSeededAccount(t *testing.T) {
	emu, c, _ := serve(t)
	emu.AddAccount("111122223333", "workloads", orgsemu.Active)
	emu.AddAccount("444455556666", "old", orgsemu.Suspended)
	emu.AddAccount("777788889999", "gone", orgsemu.Closed)

	out, err := describe(c, "111122223333")
	if err != nil {
		t.Fatal(err)
	}
	a := out.Account
	if aws.ToString(a.Id) != "111122223333" || aws.ToString(a.Name) != "workloads" || a.State != types.AccountStateActive || a.Status != types.AccountStatusActive {
		t.Errorf("account: id %s name %s state %s status %s", aws.ToString(a.Id), aws.ToString(a.Name), a.State, a.Status)
	}
	if arn := aws.ToString(a.Arn); !strings.HasPrefix(arn, "arn:aws:organizations::999988887777:account/o-") || !strings.HasSuffix(arn, "/111122223333") {
		t.Errorf("ARN %s, want arn:aws:organizations::<management>:account/o-<org>/<id>", arn)
	}
	if a.JoinedTimestamp == nil || a.JoinedTimestamp.IsZero() {
		t.Error("no JoinedTimestamp")
	}
	if out, err = describe(c, "444455556666"); err != nil || out.Account.State != types.AccountStateSuspended || out.Account.Status != types.AccountStatusSuspended {
		t.Errorf("suspended account: %+v %v", out, err)
	}
	if out, err = describe(c, "777788889999"); err != nil || out.Account.State != types.AccountStateClosed || out.Account.Status != "" {
		t.Errorf("closed account: %+v %v, want State CLOSED and no Status", out, err)
	}
	emu.SetState("111122223333", orgsemu.PendingClosure)
	if out, err = describe(c, "111122223333"); err != nil || out.Account.State != types.AccountStatePendingClosure {
		t.Errorf("after SetState: %+v %v", out, err)
	}
	if out, err = describe(c, "999988887777"); err != nil || out.Account.State != types.AccountStateActive {
		t.Errorf("management account: %+v %v", out, err)
	}
	if got := emu.Requests("DescribeAccount"); got != 5 {
		t.Errorf("DescribeAccount requests: %d, want 5", got)
	}
}

// Each refusal reaches the SDK as its modeled error type.
func TestDescribeAccountRefusalsAreModeledErrors(t *testing.T) {
	emu, c, _ := serve(t)
	_, err := describe(c, "123456789012")
	var nf *types.AccountNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("unknown account: %v, want AccountNotFoundException", err)
	}
	_, err = describe(c, "12345")
	var inv *types.InvalidInputException
	if !errors.As(err, &inv) || inv.Reason != types.InvalidInputExceptionReasonInvalidPattern {
		t.Errorf("malformed id: %v, want InvalidInputException INVALID_PATTERN", err)
	}
	emu.ThrottleNext(1)
	_, err = describe(c, "999988887777")
	var tm *types.TooManyRequestsException
	if !errors.As(err, &tm) {
		t.Errorf("throttled: %v, want TooManyRequestsException", err)
	}
	if _, err = describe(c, "999988887777"); err != nil {
		t.Errorf("after one throttled request: %v", err)
	}
	emu.SetAccessDenied(true)
	_, err = describe(c, "999988887777")
	var ad *types.AccessDeniedException
	if !errors.As(err, &ad) {
		t.Errorf("access denied mode: %v, want AccessDeniedException", err)
	}
	emu.SetAccessDenied(false)
	emu.SetNotInUse(true)
	_, err = describe(c, "999988887777")
	var niu *types.AWSOrganizationsNotInUseException
	if !errors.As(err, &niu) {
		t.Errorf("not-in-use mode: %v, want AWSOrganizationsNotInUseException", err)
	}
	if got := emu.Requests("DescribeAccount"); got != 6 {
		t.Errorf("DescribeAccount requests: %d, want 6 (refused ones included)", got)
	}
}

// The protocol is enforced: an unsigned request or another service's target is refused.
func TestProtocolIsEnforced(t *testing.T) {
	emu, _, url := serve(t)
	post := func(target string, signed bool) int {
		req, _ := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(`{"AccountId":"999988887777"}`))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", target)
		if signed {
			req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=x")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("AWSOrganizationsV20161128.DescribeAccount", false); code != http.StatusForbidden {
		t.Errorf("unsigned: HTTP %d, want 403 (MissingAuthenticationToken)", code)
	}
	if code := post("SWBExternalService.DescribeAccount", true); code != http.StatusBadRequest {
		t.Errorf("wrong service target: HTTP %d, want 400", code)
	}
	if code := post("AWSOrganizationsV20161128.DescribeAccount", true); code != http.StatusOK {
		t.Errorf("signed DescribeAccount: HTTP %d, want 200", code)
	}
	if got := emu.Requests("DescribeAccount"); got != 1 {
		t.Errorf("counted requests: %d, want 1 (refused-before-dispatch ones are not an operation)", got)
	}
}
