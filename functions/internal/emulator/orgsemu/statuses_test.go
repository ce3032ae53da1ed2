package orgsemu_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/smithy-go"
)

// Every DescribeAccount error the emulator answers is HTTP 400 with its documented code.
func TestErrorsAreHTTP400(t *testing.T) {
	emu, c, _ := serve(t)
	cases := []struct {
		name, id, want string
		setup, undo    func()
	}{
		{"unknown account", "123456789012", "AccountNotFoundException", func() {}, func() {}},
		{"malformed id", "12345", "InvalidInputException", func() {}, func() {}},
		{"throttled", "999988887777", "TooManyRequestsException", func() { emu.ThrottleNext(1) }, func() {}},
		{"access denied", "999988887777", "AccessDeniedException", func() { emu.SetAccessDenied(true) }, func() { emu.SetAccessDenied(false) }},
		{"not in use", "999988887777", "AWSOrganizationsNotInUseException", func() { emu.SetNotInUse(true) }, func() { emu.SetNotInUse(false) }},
	}
	for _, tc := range cases {
		tc.setup()
		_, err := describe(c, tc.id)
		tc.undo()
		var ae smithy.APIError
		var re *awshttp.ResponseError
		if !errors.As(err, &ae) || !errors.As(err, &re) {
			t.Errorf("%s: %v, want an API error", tc.name, err)
			continue
		}
		if ae.ErrorCode() != tc.want || re.HTTPStatusCode() != http.StatusBadRequest {
			t.Errorf("%s: %s HTTP %d, want %s 400", tc.name, ae.ErrorCode(), re.HTTPStatusCode(), tc.want)
		}
	}
}

// Every documented account state is answered in State; Status, being retired, only carries
// the three values it has (ACTIVE, SUSPENDED, PENDING_CLOSURE). The account's email, join
// method and an ARN under the management account are answered too.
func TestEveryAccountState(t *testing.T) {
	emu, c, _ := serve(t)
	for i, state := range types.AccountState("").Values() {
		id := fmt.Sprintf("1000000000%02d", i+1)
		emu.AddAccount(id, "acct-"+string(state), string(state))
		out, err := describe(c, id)
		if err != nil {
			t.Fatalf("%s: %v", state, err)
		}
		a := out.Account
		if a.State != state {
			t.Errorf("%s: State %q", state, a.State)
		}
		var wantStatus types.AccountStatus
		for _, s := range types.AccountStatus("").Values() {
			if string(s) == string(state) {
				wantStatus = s
			}
		}
		if a.Status != wantStatus {
			t.Errorf("%s: Status %q, want %q", state, a.Status, wantStatus)
		}
		if aws.ToString(a.Email) == "" || a.JoinedMethod != types.AccountJoinedMethodCreated || aws.ToString(a.Name) != "acct-"+string(state) {
			t.Errorf("%s: account %+v", state, a)
		}
	}
}
