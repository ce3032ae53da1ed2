package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/ssoflow/ssoflow/functions/internal/cli"
	"github.com/ssoflow/ssoflow/functions/internal/reconcile"
	"github.com/ssoflow/ssoflow/functions/internal/sandbox"
)

// `ssoflow reconcile` from a laptop: --dry-run prints the plan table and changes nothing,
// --json prints the plan as JSON, the guard refuses a group losing most of its members until
// --force, a run makes Identity Center equal to Okta, and no token is ever printed.
func TestReconcileCommandPlansAppliesAndForces(t *testing.T) {
	ctx := context.Background()
	sb, err := sandbox.Start(ctx, sandbox.Options{SharedDirectory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	ids := httptest.NewServer(sb.Identity)
	defer ids.Close()
	okta, scim := map[string]string{}, map[string]string{}
	var support []string // Identity Center members of AWS_Support, which Okta answers empty
	for _, l := range []string{"jane@example.com", "sam@example.com", "ana@example.com", "li@example.com", "kim@example.com", "omar@example.com", "eve@example.com"} {
		okta[l] = sb.Okta.AddUser(l)
		scim[l] = sb.SCIM.AddUser(l, okta[l])
		support = append(support, scim[l])
	}
	admins, icAdmins := sb.Okta.AddGroup("AWS_Admins"), sb.SCIM.AddGroup("AWS_Admins")
	sb.Okta.AddGroup("AWS_Support")
	icSupport := sb.SCIM.AddGroup("AWS_Support")
	if err := sb.Okta.AddMember(admins, okta["jane@example.com"]); err != nil {
		t.Fatal(err)
	}
	if err := sb.SCIM.AddMembers(icAdmins, scim["sam@example.com"]); err != nil {
		t.Fatal(err)
	}
	if err := sb.SCIM.AddMembers(icSupport, support...); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"SSOFLOW_OKTA_URL": sb.OktaURL, "SSOFLOW_OKTA_TOKEN": sandbox.OktaToken, "SSOFLOW_SCIM_URL": sb.SCIMURL,
		"SSOFLOW_SCIM_TOKEN": sandbox.SCIMToken, "SSOFLOW_IDENTITY_STORE_ID": sandbox.IdentityStoreID, "SSOFLOW_IDENTITY_STORE_ENDPOINT": ids.URL}
	ssoflow := func(want int, args ...string) (string, string) {
		t.Helper()
		var out, errOut bytes.Buffer
		code := cli.Main(ctx, append([]string{"reconcile"}, args...), &cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return vars[k] }})
		if code != want {
			t.Fatalf("reconcile %v: exit %d, want %d\n%s\n%s", args, code, want, out.String(), errOut.String())
		}
		for _, secret := range []string{sandbox.OktaToken, sandbox.SCIMToken} {
			if strings.Contains(out.String()+errOut.String(), secret) {
				t.Fatalf("reconcile %v printed a token", args)
			}
		}
		return out.String(), errOut.String()
	}

	out, errOut := ssoflow(0, "--dry-run", "--max-remove", "0.5", "--group-prefix", "AWS_")
	for _, want := range []string{"GROUP", "AWS_Admins", "1 (jane@example.com)", "1 (sam@example.com)", "AWS_Support", "would remove 7 of 7 members (more than 50%"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry-run table lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "matched 2 Okta groups") || !strings.Contains(errOut, "dry run: nothing changed") {
		t.Errorf("progress on stderr: %q", errOut)
	}
	if !slices.Equal(sb.SCIM.Members(icAdmins), []string{scim["sam@example.com"]}) {
		t.Fatal("a dry run changed Identity Center")
	}

	_, errOut = ssoflow(0)
	if !slices.Equal(sb.SCIM.Members(icAdmins), []string{scim["jane@example.com"]}) || len(sb.SCIM.Members(icSupport)) != 7 {
		t.Errorf("after a run: admins %v, support %d members (want its 7 kept)", sb.SCIM.Members(icAdmins), len(sb.SCIM.Members(icSupport)))
	}
	if !strings.Contains(errOut, "applied: +1 -1 in 1 groups, 1 refused, 0 failed") || !strings.Contains(errOut, "--force") {
		t.Errorf("run summary on stderr: %q", errOut)
	}

	out, _ = ssoflow(0, "--json", "--force")
	var got struct {
		Plan    reconcile.Plan   `json:"plan"`
		Applied reconcile.Report `json:"applied"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, out)
	}
	if got.Applied.Removed != 7 || len(got.Applied.Refused) != 0 || len(got.Plan.Groups) != 2 || !got.Plan.Force {
		t.Errorf("applied %+v from plan %+v", got.Applied, got.Plan)
	}
	if !slices.Equal(sb.SCIM.Members(icAdmins), []string{scim["jane@example.com"]}) || len(sb.SCIM.Members(icSupport)) != 0 {
		t.Errorf("Identity Center after reconcile: admins %v support %v", sb.SCIM.Members(icAdmins), sb.SCIM.Members(icSupport))
	}
}
