package cli_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/ssoflow/ssoflow/functions/internal/cli"
)

// `make demo` must work on a fresh clone: the demo exits 0 and shows each path's outcome.
func TestDemoRunsEveryScene(t *testing.T) {
	var out, errOut bytes.Buffer
	code := cli.Main(context.Background(), []string{"demo"}, &cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }})
	if code != 0 {
		t.Fatalf("demo exited %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	for _, want := range []string{
		"AWS_Admins      Okta [jane@example.com]                       Identity Center [jane@example.com]",
		"SCIM: unchanged", // the redelivered batch changes nothing
		"orders: jane.doe created+granted",
		"jane.doe logs in with an IAM token over verified TLS: ok",
		"jane.doe logs in with an IAM token over verified TLS: refused",
		"Subject: ssoflow: could not add new.hire@example.com to AWS_Admins",
		"Identity Center assignments now: 1 (jane has ReadOnly on 111122223333)",
		"SUCCEEDED; Identity Center assignments now: 0", // the grant ended by itself
		"SNS: ssoflow: jane@example.com no longer has ReadOnly on 111122223333",
		"execution okta-sam-admins: FAILED (ConfigError)",
		"$ ssoflow replay --state-machine arn:aws:states:us-east-1:000000000000:stateMachine:provision --execution okta-sam-admins",
		"1 replay started (1 redriven, 0 started anew), 0 could not be started", // the replay command from the message, run as written
		"through the status-change rule",
		"(redrive 1 reran only PushToIdentityCenter)", // AWS's redrive: the failed step alone
		"execution okta-sam-admins after the redrive: SUCCEEDED",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q\n%s", want, out.String())
		}
	}
}

func TestUnknownCommandIsUsageError(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := cli.Main(context.Background(), []string{"frobnicate"}, &cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}); code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	if !strings.Contains(errOut.String(), `unknown command "frobnicate"`) || !strings.Contains(errOut.String(), "demo") {
		t.Errorf("stderr %q should name the bad command and list the commands", errOut.String())
	}
}
