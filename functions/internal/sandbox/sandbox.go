// Package sandbox runs ssoflow's whole pipeline on one machine: emulators for Okta, Identity
// Center (SCIM and the identity store), EventBridge, Secrets Manager, SNS and S3, the real handler
// cores reached through the real SDK and HTTP clients, and the real state machine definitions
// executed by the local runner. `ssoflow demo` and the end-to-end tests both stand on it.
package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/ssoflow/ssoflow/functions/internal/awsconf"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/ebemu"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/idstoreemu"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/oktaemu"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/s3emu"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/scimemu"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/sfnemu"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/smemu"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/snsemu"
	idstore "github.com/ssoflow/ssoflow/functions/internal/identitystore"
	"github.com/ssoflow/ssoflow/functions/internal/localsfn"
	"github.com/ssoflow/ssoflow/functions/internal/notify"
	"github.com/ssoflow/ssoflow/functions/internal/okta"
	"github.com/ssoflow/ssoflow/functions/internal/oktahook"
	"github.com/ssoflow/ssoflow/functions/internal/planstore"
	"github.com/ssoflow/ssoflow/functions/internal/resolve"
	"github.com/ssoflow/ssoflow/functions/internal/scim"
	"github.com/ssoflow/ssoflow/functions/internal/scimpush"
)

// Fixed identities of the sandbox.
const (
	Account         = "111122223333"
	IdentityStoreID = "d-93670a1b2c"
	BusName         = "ssoflow-local"
	HookSecretID    = "ssoflow-local/okta-hook-authorization"
	PlanBucket      = "ssoflow-local-plans"
	TopicArn        = "arn:aws:sns:us-east-1:111122223333:ssoflow-local-notifications"
	// OktaToken and SCIMToken are the emulators' tokens (local values, not secrets).
	OktaToken  = "okta-local-api-token"
	SCIMToken  = "scim-local-access-token"
	hookSecret = "local-hook-secret-0123456789abcdef"
)

// Options configure a sandbox.
type Options struct {
	GroupPrefix   string            // default "AWS_"
	GroupMappings map[string]string // Okta group id → Identity Center group id
	// Grants, when set, starts an IAM-authenticated database whose users follow these
	// Identity Center group → role mappings.
	Grants map[string][]string
	// Databases names the databases Grants applies to, each an embedded server of its own
	// (default: one, DatabaseName).
	Databases []string
	Log       *slog.Logger // default: discard
	// SharedDirectory makes the SCIM and identity store emulators one directory, as in AWS
	// (idstoreemu.NewShared): seed it through either, never both.
	SharedDirectory bool
	// PlanInlineBytes and PlanChunkBytes override resolve's limits for passing a database plan
	// by reference (resolve.Config.InlineBytes, ChunkBytes), so a test can exercise the
	// stored-chunk path with a few users.
	PlanInlineBytes, PlanChunkBytes int
}

// Sandbox is a running local pipeline. Close it.
type Sandbox struct {
	Okta     *oktaemu.Emulator
	SCIM     *scimemu.Emulator
	Identity *idstoreemu.Server
	Bus      *ebemu.Emulator
	Secrets  *smemu.Emulator
	SNS      *snsemu.Emulator
	// S3 holds the plan bucket (PlanBucket), where Resolve stores plans too large for a state.
	S3 *s3emu.Server

	OktaURL, SCIMURL string

	OktaClient *okta.Client
	SCIMClient *scim.Client
	Hook       *oktahook.Handler
	Resolver   *resolve.Resolver
	Pusher     *scimpush.Pusher
	Notifier   *notify.Notifier
	Provision  *localsfn.Machine
	// DB is the (first) database, when Options.Grants started one; DBs are all of them.
	DB  *Database
	DBs []*Database
	// Extra handlers, by placeholder, added by later pipelines (databases).
	Extra map[string]lambda.Handler
	// Functions answer the provision machine's lambda:invoke states by function ARN: the
	// provisioners of databases in other accounts (resolve.Config.Targets routes to them).
	Functions map[string]lambda.Handler

	Log     *slog.Logger
	servers []*httptest.Server

	identityURL  string
	grantMachine *localsfn.Machine
	grants       *Grants

	mu           sync.Mutex
	watchers     []*FailureWatch
	brokenDBs    map[string]bool // BreakDatabase
	provision    *sfnemu.Emulator
	provisionAPI *sfn.Client
}

func (s *Sandbox) serve(h http.Handler) string {
	srv := httptest.NewServer(h)
	s.servers = append(s.servers, srv)
	return srv.URL
}

// Start starts the emulators and builds the handlers.
func Start(ctx context.Context, o Options) (*Sandbox, error) {
	if o.GroupPrefix == "" {
		o.GroupPrefix = "AWS_"
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	s := &Sandbox{
		Okta: oktaemu.New(OktaToken), SCIM: scimemu.New(SCIMToken), Identity: idstoreemu.New(IdentityStoreID),
		Bus: ebemu.New(Account, awsconf.LocalRegion), Secrets: smemu.New(), SNS: snsemu.New(), S3: s3emu.New(PlanBucket),
		Extra: map[string]lambda.Handler{}, Functions: map[string]lambda.Handler{}, Log: log,
	}
	if o.SharedDirectory {
		s.Identity, s.SCIM = idstoreemu.NewShared(IdentityStoreID, SCIMToken)
	}
	cfg := awsconf.Local()
	oktaURL := s.serve(s.Okta)
	scimURL := s.serve(s.SCIM)
	s.OktaURL, s.SCIMURL = oktaURL, scimURL
	idsURL := s.serve(s.Identity)
	s.identityURL = idsURL
	busURL := s.serve(s.Bus)
	smURL := s.serve(s.Secrets)
	snsURL := s.serve(s.SNS)
	s3URL := s.serve(s.S3)
	s.Secrets.Put(HookSecretID, hookSecret)

	s.OktaClient = okta.New(oktaURL, OktaToken, nil)
	s.SCIMClient = scim.New(scimURL, SCIMToken, nil).WithLogger(log)
	s.Hook = &oktahook.Handler{
		Secret:       oktahook.NewSecretsManagerSource(secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(smURL) }), HookSecretID),
		Events:       eventbridge.NewFromConfig(cfg, func(o *eventbridge.Options) { o.BaseEndpoint = aws.String(busURL) }),
		EventBusName: BusName,
		Logger:       log,
	}
	ids := idstoreemu.NewClient(idsURL, idstore.WithoutThrottleRetries)
	s.Resolver = resolve.New(s.OktaClient, idstore.NewReader(ids, IdentityStoreID, idstore.Options{}), resolve.Config{
		GroupPrefix: o.GroupPrefix, GroupMappings: o.GroupMappings, IdentityStoreID: IdentityStoreID,
		InlineBytes: o.PlanInlineBytes, ChunkBytes: o.PlanChunkBytes,
	}, log)
	s.Resolver.Plans = planstore.New(s3emu.NewClient(s3URL), PlanBucket)
	s.Pusher = scimpush.New(s.SCIMClient, log)
	s.Notifier = &notify.Notifier{TopicArn: TopicArn, SNS: sns.NewFromConfig(cfg, func(o *sns.Options) { o.BaseEndpoint = aws.String(snsURL) }), Log: log}
	m, err := localsfn.LoadNamed("provision", nil)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.Provision = m
	if s.grantMachine, err = localsfn.LoadNamed("grant", nil); err != nil {
		s.Close()
		return nil, err
	}
	if o.Grants != nil {
		if err := s.startDatabase(ctx, o.Grants, o.Databases); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// Close stops every emulator.
func (s *Sandbox) Close() {
	if s.grants != nil {
		s.grants.SFN.Close() // executions end before the servers they call close
	}
	if s.provision != nil {
		s.provision.Close()
	}
	for _, d := range s.DBs {
		d.close()
	}
	for _, srv := range s.servers {
		srv.Close()
	}
}

// HookSecret is the Authorization value the hook expects.
func (s *Sandbox) HookSecret() string { return hookSecret }

// Deliver sends an Okta event hook POST with the right Authorization header.
func (s *Sandbox) Deliver(ctx context.Context, body []byte) (events.LambdaFunctionURLResponse, error) {
	return s.Hook.Handle(ctx, events.LambdaFunctionURLRequest{
		RequestContext: events.LambdaFunctionURLRequestContext{HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{Method: http.MethodPost}},
		Headers:        map[string]string{"authorization": hookSecret, "content-type": "application/json"},
		Body:           string(body),
	})
}

// Handlers are the provision state machine's task handlers, built as lambda.Start builds them.
func (s *Sandbox) Handlers() map[string]lambda.Handler {
	h := map[string]lambda.Handler{
		"ResolveFunctionArn":  lambda.NewHandler(s.Resolver.Invoke),
		"ScimPushFunctionArn": lambda.NewHandler(scimpush.NewHandler(s.Pusher).Handle),
	}
	for k, v := range s.Extra {
		h[k] = v
	}
	if _, ok := h["DbUsersFunctionArn"]; !ok {
		h["DbUsersFunctionArn"] = lambda.NewHandler(func(context.Context, json.RawMessage) (any, error) {
			return nil, fmt.Errorf("no databases in this sandbox")
		})
	}
	return h
}
