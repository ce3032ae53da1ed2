// Package reconcilejob runs the reconcile core (package reconcile) as the reconcile state
// machine's tasks, and builds the core over the real clients for the Lambda function and the
// CLI alike.
package reconcilejob

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/identitystore"

	"github.com/ssoflow/ssoflow/functions/envnames"
	"github.com/ssoflow/ssoflow/functions/internal/awsconf"
	idstore "github.com/ssoflow/ssoflow/functions/internal/identitystore"
	"github.com/ssoflow/ssoflow/functions/internal/lambdaenv"
	"github.com/ssoflow/ssoflow/functions/internal/okta"
	"github.com/ssoflow/ssoflow/functions/internal/reconcile"
	"github.com/ssoflow/ssoflow/functions/internal/scim"
	"github.com/ssoflow/ssoflow/functions/internal/scimpush"
)

// Setup is where a reconcile reads and writes: Okta, SCIM and the identity store.
type Setup struct {
	OktaURL, OktaToken string
	SCIMURL, SCIMToken string
	AWS                aws.Config
	// IdentityStoreEndpoint overrides the identity store endpoint (an emulator); "" is AWS's.
	IdentityStoreEndpoint string
	// RequestsPerSecond bounds the Identity Center requests (SCIM and identity store) of one
	// reconciler: 0 means reconcile.DefaultRequestsPerSecond, negative unlimited.
	RequestsPerSecond float64
	Log               *slog.Logger
	// Transport is the HTTP transport under the limiter (nil: http.DefaultTransport).
	Transport http.RoundTripper
}

// Reconciler returns the core over the real clients, every Identity Center request of it
// going through one limiter.
func (s Setup) Reconciler(cfg reconcile.Config) *reconcile.Reconciler {
	rate := s.RequestsPerSecond
	switch {
	case rate == 0:
		rate = reconcile.DefaultRequestsPerSecond
	case rate < 0:
		rate = 0
	}
	log := s.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	limiter := reconcile.NewLimiter(rate, 2)
	hc := limiter.Client(s.Transport)
	ok := okta.New(s.OktaURL, s.OktaToken, nil)
	ok.Logger = log
	sc := scim.New(s.SCIMURL, s.SCIMToken, hc).WithRetry(4, 20*time.Second).WithLogger(log)
	api := identitystore.NewFromConfig(s.AWS, idstore.WithoutThrottleRetries, func(o *identitystore.Options) {
		o.HTTPClient = awsconf.WithoutBodyWriteTo(hc)
		if s.IdentityStoreEndpoint != "" {
			o.BaseEndpoint = aws.String(s.IdentityStoreEndpoint)
		}
	})
	return &reconcile.Reconciler{
		Okta: ok, Directory: api, Members: idstore.NewReader(api, cfg.IdentityStoreID, idstore.Options{}),
		External: sc, SCIM: scimpush.New(sc, log), Config: cfg, Log: log,
	}
}

// Settings are the function's configuration from its environment (set by the CDK stack).
type Settings struct {
	OktaURL, OktaTokenSecretARN string
	SCIMURL, SCIMTokenSecretARN string
	Config                      reconcile.Config
	LogLevel                    string
}

// LoadSettings reads the settings, reporting every missing or malformed variable at once.
func LoadSettings(env *lambdaenv.Env) (Settings, error) {
	s := Settings{
		OktaURL: env.Require(envnames.OktaOrgURL), OktaTokenSecretARN: env.Require(envnames.OktaTokenSecretARN),
		SCIMURL: env.Require(envnames.SCIMURL), SCIMTokenSecretARN: env.Require(envnames.SCIMTokenSecretARN),
		LogLevel: env.Optional(envnames.LogLevel, "info"),
	}
	s.Config.IdentityStoreID = env.Require(envnames.IdentityStoreID)
	s.Config.GroupPrefix = env.Optional(envnames.GroupPrefix, "AWS_")
	mappings := env.Optional(envnames.GroupMappings, "{}")
	share := env.Optional(envnames.ReconcileMaxRemoveShare, strconv.FormatFloat(reconcile.DefaultMaxRemoveShare, 'f', -1, 64))
	if err := env.Err(); err != nil {
		return s, err
	}
	if err := json.Unmarshal([]byte(mappings), &s.Config.GroupMappings); err != nil {
		return s, fmt.Errorf("%s is not a JSON object of Okta group id → Identity Center group id: %w", envnames.GroupMappings, err)
	}
	v, err := strconv.ParseFloat(share, 64)
	if err != nil || v <= 0 || v > 1 {
		return s, fmt.Errorf("%s = %q: want a share in (0, 1], e.g. 0.2", envnames.ReconcileMaxRemoveShare, share)
	}
	s.Config.MaxRemoveShare = v
	return s, nil
}
