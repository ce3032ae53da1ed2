package cli_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/ssoflow/ssoflow/functions/internal/cli"
	"github.com/ssoflow/ssoflow/functions/internal/sandbox"
)

func syncEnv(sb *sandbox.Sandbox, out, errOut *bytes.Buffer) *cli.Env {
	vars := map[string]string{"SSOFLOW_OKTA_URL": sb.OktaURL, "SSOFLOW_OKTA_TOKEN": sandbox.OktaToken,
		"SSOFLOW_SCIM_URL": sb.SCIMURL, "SSOFLOW_SCIM_TOKEN": sandbox.SCIMToken}
	return &cli.Env{Stdout: out, Stderr: errOut, Getenv: func(k string) string { return vars[k] }}
}

// `ssoflow sync` applies one pair through the same resolve and push code, by login and group
// name, and never prints a token.
func TestSyncAppliesOnePairNow(t *testing.T) {
	ctx := context.Background()
	sb, err := sandbox.Start(ctx, sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	uid := sb.Okta.AddUser("jane@example.com")
	scimUser := sb.SCIM.AddUser("jane@example.com", uid)
	gid := sb.Okta.AddGroup("AWS_Admins")
	scimGroup := sb.SCIM.AddGroup("AWS_Admins")
	if err := sb.Okta.AddMember(gid, uid); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := cli.Main(ctx, []string{"sync", "--user", "jane@example.com", "--group", "AWS_Admins", "-v"}, syncEnv(sb, &out, &errOut)); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !slices.Equal(sb.SCIM.Members(scimGroup), []string{scimUser}) {
		t.Errorf("Identity Center AWS_Admins = %v, want jane", sb.SCIM.Members(scimGroup))
	}
	if !strings.Contains(out.String(), "jane@example.com is a member of AWS_Admins in Okta; Identity Center group AWS_Admins: added") {
		t.Errorf("output %q", out.String())
	}
	for _, secret := range []string{sandbox.OktaToken, sandbox.SCIMToken} {
		if strings.Contains(out.String()+errOut.String(), secret) {
			t.Errorf("a token was printed")
		}
	}
	// Removed in Okta, synced by group id: removed in Identity Center.
	if err := sb.Okta.RemoveMember(gid, uid); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := cli.Main(ctx, []string{"sync", "--user", uid, "--group", gid}, syncEnv(sb, &out, &errOut)); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if len(sb.SCIM.Members(scimGroup)) != 0 || !strings.Contains(out.String(), "removed") {
		t.Errorf("after removal: members %v, output %q", sb.SCIM.Members(scimGroup), out.String())
	}
}

func TestSyncNamesMissingConfiguration(t *testing.T) {
	var out, errOut bytes.Buffer
	code := cli.Main(context.Background(), []string{"sync", "--user", "a", "--group", "b"}, &cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }})
	if code != 1 || !strings.Contains(errOut.String(), "SSOFLOW_OKTA_TOKEN") || !strings.Contains(errOut.String(), "SSOFLOW_SCIM_URL") {
		t.Errorf("exit %d, stderr %q: want 1 and the missing variables named", code, errOut.String())
	}
}
