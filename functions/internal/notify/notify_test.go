package notify_test

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/ssoflow/ssoflow/functions/internal/awsconf"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/snsemu"
	"github.com/ssoflow/ssoflow/functions/internal/execution"
	"github.com/ssoflow/ssoflow/functions/internal/notify"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const (
	smArn   = "arn:aws:states:eu-west-1:111122223333:stateMachine:ssoflow-dev-provision"
	execArn = "arn:aws:states:eu-west-1:111122223333:execution:ssoflow-dev-provision:5f1c2d3e-okta-add"
)

// failure reads testdata/<name>.failure.json: what Read returns for a failed execution. The
// state machine is named by the fixture's prefix (provision, reconcile or grant).
func failure(t *testing.T, name string) execution.Failure {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name+".failure.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f execution.Failure
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	machine := "provision"
	for _, m := range []string{"reconcile", "grant"} {
		if strings.HasPrefix(name, m) {
			machine = m
		}
	}
	f.StateMachineArn = strings.Replace(smArn, "provision", machine, 1)
	f.ExecutionArn = strings.Replace(execArn, "provision", machine, 1)
	f.ExecutionName = "5f1c2d3e-okta-add"
	return f
}

// Golden: the exact text a person receives, for each kind of failure.
func TestComposeGolden(t *testing.T) {
	for _, name := range []string{"okta-add-not-provisioned", "okta-event-before-plan", "cloudtrail-db-invalid-name", "reconcile-refused", "grant-assignment-failed", "provision-aborted"} {
		t.Run(name, func(t *testing.T) {
			msg, err := notify.Compose(failure(t, name))
			if err != nil {
				t.Fatal(err)
			}
			got := "Subject: " + msg.Subject + "\n\n" + msg.Body
			golden := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("message differs from %s (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", golden, got, want)
			}
			if len(msg.Subject) >= 100 {
				t.Errorf("subject is %d characters; SNS needs fewer than 100", len(msg.Subject))
			}
		})
	}
}

func TestSubjectIsAlwaysValidForSNS(t *testing.T) {
	long := notify.Subject("ssoflow: could not add " + strings.Repeat("jöhn.doe", 30) + "@example.com\nto AWS_Admins")
	if len(long) >= 100 || strings.ContainsAny(long, "\nö") {
		t.Errorf("Subject(...) = %q: must be ASCII, one line, under 100 characters", long)
	}
}

// The real SNS client against the SNS emulator: what is published is what Compose wrote.
func TestNotifierPublishes(t *testing.T) {
	emu := snsemu.New()
	srv := httptest.NewServer(emu)
	defer srv.Close()
	client := sns.NewFromConfig(awsconf.Local(), func(o *sns.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	n := &notify.Notifier{TopicArn: "arn:aws:sns:eu-west-1:111122223333:ssoflow-dev-notifications", SNS: client, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}

	f := failure(t, "okta-add-not-provisioned")
	res, err := n.Handle(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	msgs := emu.Messages()
	if len(msgs) != 1 {
		t.Fatalf("published %d messages, want 1", len(msgs))
	}
	want, _ := notify.Compose(f)
	if msgs[0].Subject != want.Subject || msgs[0].Message != want.Body || msgs[0].TopicArn != n.TopicArn {
		t.Errorf("published %+v, want subject %q on %s", msgs[0], want.Subject, n.TopicArn)
	}
	if res.MessageID == "" {
		t.Error("no message id returned")
	}

	// A failed publish is an error, so the rule's retry policy delivers the event again.
	emu.FailNext(5)
	if _, err := n.Handle(context.Background(), f); err == nil {
		t.Error("publish to a failing SNS succeeded")
	}
}

// The replay a message offers: a redrive, a new start where a redrive would re-enter the same
// Fail state, and none where the input itself is wrong.
func TestReplayOf(t *testing.T) {
	for name, want := range map[string]execution.Replay{
		"okta-add-not-provisioned": execution.ReplayRedrive, "reconcile-refused": execution.ReplayAnew,
		"grant-assignment-failed": execution.ReplayAnew, "cloudtrail-db-invalid-name": execution.ReplayNone, "provision-aborted": execution.ReplayRedrive,
	} {
		f := failure(t, name)
		if got := execution.ReplayOf(f); got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
		msg, err := notify.Compose(f)
		if err != nil {
			t.Fatal(err)
		}
		if offered := strings.Contains(msg.Body, "ssoflow replay --state-machine"); offered != (want != execution.ReplayNone) {
			t.Errorf("%s: the message offers the replay command: %v, want %v", name, offered, want != execution.ReplayNone)
		}
	}
}

func TestComposeRejectsGarbage(t *testing.T) {
	_, err := notify.Compose(execution.Failure{Input: json.RawMessage(`not json`)})
	if err == nil {
		t.Error("Compose accepted input that is not JSON")
	}
}
