package grant_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/ssoflow/ssoflow/functions/envnames"
	"github.com/ssoflow/ssoflow/functions/internal/awsconf"
	"github.com/ssoflow/ssoflow/functions/internal/cli"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/idstoreemu"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/orgsemu"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/sfnemu"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/snsemu"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/ssoadminemu"
	"github.com/ssoflow/ssoflow/functions/internal/grant"
	idstore "github.com/ssoflow/ssoflow/functions/internal/identitystore"
	"github.com/ssoflow/ssoflow/functions/internal/localsfn"
	"github.com/ssoflow/ssoflow/functions/internal/notify"
	"github.com/ssoflow/ssoflow/functions/internal/sandbox"
)

const (
	instanceArn = "arn:aws:sso:::instance/ssoins-1234567890abcdef"
	storeID     = "d-93670a1b2c"
	topicArn    = "arn:aws:sns:us-east-1:111122223333:ssoflow-local-notifications"
	account     = "111122223333"
	management  = "999988887777" // the organization's management account
	user        = "jane@example.com"
	groupName   = "AWS_Breakglass"
)

// world is the whole just-in-time path on one machine: the identity store, sso-admin,
// Organizations, SNS and Step Functions emulators, the real grant handlers behind the real SDK
// clients, and the real grant.asl.json run by the Step Functions emulator.
type world struct {
	ids    *idstoreemu.Server
	sso    *ssoadminemu.Server
	orgs   *orgsemu.Server
	sns    *snsemu.Emulator
	sfn    *sfnemu.Emulator
	sfnURL string
	smArn  string
	svc    *grant.Service
	psArn  string
	userID string
	group  string
	logs   *syncBuffer // the grant handlers' log
	clock  time.Time   // "now" for the CLI and the grant handlers alike: never the wall clock

	mu    sync.Mutex
	hooks map[string]func(*localsfn.Options) // by execution name
}

// afternoon is the default clock of a test world: a fixed time, so that what the grant path
// writes (end times, announcements) never depends on when the suite runs.
var afternoon = time.Date(2026, time.March, 10, 14, 0, 0, 0, time.UTC)

func start(t *testing.T) *world { return startAt(t, afternoon) }

// startAt builds a world whose clock stands at now.
func startAt(t *testing.T, now time.Time) *world {
	t.Helper()
	w := &world{clock: now,
		ids: idstoreemu.New(storeID), sso: ssoadminemu.New(instanceArn), orgs: orgsemu.New(management), sns: snsemu.New(), sfn: sfnemu.New(),
		smArn: sfnemu.ARN("grant"), hooks: map[string]func(*localsfn.Options){}, logs: &syncBuffer{},
	}
	serve := func(h http.Handler) string {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv.URL
	}
	idsURL, ssoURL, orgsURL, snsURL := serve(w.ids), serve(w.sso), serve(w.orgs), serve(w.sns)
	w.sfnURL = serve(w.sfn)
	t.Cleanup(w.sfn.Close) // runs before the servers close: executions end first

	var err error
	if w.userID, err = w.ids.AddUser(idstoreemu.UserSpec{UserName: user, Email: user}); err != nil {
		t.Fatal(err)
	}
	if w.group, err = w.ids.AddGroup(groupName); err != nil {
		t.Fatal(err)
	}
	w.psArn = w.sso.AddPermissionSet("ReadOnly", "read-only access")
	w.sso.AddPermissionSet("Admin", "administrator")
	w.sso.AddAccount(account)
	w.orgs.AddAccount(account, "workloads", orgsemu.Active)

	idc := idstoreemu.NewClient(idsURL, idstore.WithoutThrottleRetries)
	w.svc = &grant.Service{
		Config:    grant.Config{InstanceArn: instanceArn, MaxDuration: 12 * time.Hour, TopicArn: topicArn, StateMachineArn: w.smArn},
		SSO:       ssoadminemu.NewClient(ssoURL),
		Orgs:      orgsemu.NewClient(orgsURL),
		Directory: idstore.NewReader(idc, storeID, idstore.Options{}),
		Members:   idstore.NewWriter(idc, storeID, idstore.Options{}),
		Grants:    &grant.Registry{API: sfnemu.NewClient(w.sfnURL), StateMachineArn: w.smArn},
		SNS:       sns.NewFromConfig(awsconf.Local(), func(o *sns.Options) { o.BaseEndpoint = aws.String(snsURL) }),
		Log:       slog.New(slog.NewTextHandler(w.logs, nil)),
		Now:       w.now,
	}
	// Failures reach SNS as on AWS: the execution's status change, through the synthesized
	// status-change rule, to the notify function, which reads the execution back.
	n := notify.Notifier{TopicArn: topicArn, SNS: w.svc.SNS, Log: w.svc.Log}
	if _, err := sandbox.WatchFailures(w.sfn, w.sfnURL, n, w.svc.Log); err != nil {
		t.Fatal(err)
	}
	m, err := localsfn.LoadNamed("grant", nil)
	if err != nil {
		t.Fatal(err)
	}
	w.sfn.AddMachine(sfnemu.Machine{
		ARN: w.smArn, Definition: m,
		Options: localsfn.Options{Handlers: map[string]lambda.Handler{"GrantFunctionArn": lambda.NewHandler(w.svc.Handle)}},
		ForExecution: func(name string, o *localsfn.Options) {
			w.mu.Lock()
			hook := w.hooks[name]
			w.mu.Unlock()
			if hook != nil {
				hook(o)
			}
		},
	})
	return w
}

func (w *world) now() time.Time { return w.clock }

// hook adjusts the execution named name: a long wait, or a pause at a step.
func (w *world) hook(name string, f func(*localsfn.Options)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.hooks[name] = f
}

// waitLong makes execution name wait at WaitUntilEnd far longer than any test runs.
func waitLong(o *localsfn.Options) {
	o.Waits = map[string]time.Duration{"WaitUntilEnd": time.Hour}
}

// cli runs the ssoflow command against the Step Functions emulator.
func (w *world) cli(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	env := map[string]string{envnames.GrantStateMachineARN: w.smArn, envnames.SFNEndpoint: w.sfnURL, "USER": "tester"}
	code := cli.Main(context.Background(), args, &cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return env[k] }, Now: w.now})
	if code != 0 {
		t.Fatalf("ssoflow %s: exit %d: %s%s", strings.Join(args, " "), code, out.String(), errOut.String())
	}
	return out.String()
}

// wait waits for the execution to end (a run of the real ASL takes seconds; the deadline only
// keeps a broken run from hanging the suite).
func (w *world) wait(t *testing.T, name string) sfnemu.Execution {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	x, err := w.sfn.Wait(ctx, sfnemu.ExecutionARN(w.smArn, name))
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// until polls cond until it holds.
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (w *world) subjects() []string {
	var out []string
	for _, m := range w.sns.Messages() {
		out = append(out, m.Subject)
	}
	return out
}

func (w *world) published(prefix string) bool {
	return slices.ContainsFunc(w.subjects(), func(s string) bool { return strings.HasPrefix(s, prefix) })
}

func (w *world) readOnly() ssoadminemu.Assignment {
	return ssoadminemu.Assignment{AccountID: account, PermissionSetArn: w.psArn, PrincipalType: "USER", PrincipalID: w.userID}
}

func index(list []string, s string) int { return slices.Index(list, s) }

func lastIndex(list []string, s string) int {
	for i := len(list) - 1; i >= 0; i-- {
		if list[i] == s {
			return i
		}
	}
	return -1
}

// syncBuffer is a log sink the handlers, running in the executions' goroutines, write to.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
