// Command reconcile answers the reconcile state machine's tasks: plan (counts and shards),
// apply (one shard, re-read) and report (sum, name what was refused or failed).
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/ssoflow/ssoflow/functions/internal/awsconf"
	"github.com/ssoflow/ssoflow/functions/internal/lambdaenv"
	"github.com/ssoflow/ssoflow/functions/internal/logging"
	"github.com/ssoflow/ssoflow/functions/internal/oktahook"
	"github.com/ssoflow/ssoflow/functions/internal/reconcile"
	"github.com/ssoflow/ssoflow/functions/internal/reconcilejob"
)

// mapConcurrency is the state machine's MaxConcurrency: the Identity Center request rate is
// shared by the iterations running at once.
const mapConcurrency = 2

func main() {
	ctx := context.Background()
	settings, err := reconcilejob.LoadSettings(lambdaenv.New())
	log := logging.Default(settings.LogLevel)
	fail := func(msg string, err error) {
		log.Error("cannot start: "+msg, "error", err)
		os.Exit(1)
	}
	if err != nil {
		fail("configuration", err)
	}
	awsCfg, err := awsconf.Load(ctx)
	if err != nil {
		fail("AWS configuration", err)
	}
	sm := secretsmanager.NewFromConfig(awsCfg)
	oktaToken, err := oktahook.NewSecretsManagerSource(sm, settings.OktaTokenSecretARN).Secret(ctx)
	if err != nil {
		fail("read the Okta API token from Secrets Manager", err)
	}
	scimToken, err := oktahook.NewSecretsManagerSource(sm, settings.SCIMTokenSecretARN).Secret(ctx)
	if err != nil {
		fail("read the SCIM token from Secrets Manager", err)
	}
	setup := reconcilejob.Setup{
		OktaURL: settings.OktaURL, OktaToken: oktaToken, SCIMURL: settings.SCIMURL, SCIMToken: scimToken, AWS: awsCfg, Log: log,
	}
	// Plan runs alone at the whole rate; the Map's iterations share it.
	newReconciler := func(cfg reconcile.Config) *reconcile.Reconciler {
		s := setup
		if cfg.Shards > 1 {
			s.RequestsPerSecond = reconcile.DefaultRequestsPerSecond / mapConcurrency
		}
		return s.Reconciler(cfg)
	}
	h := &reconcilejob.Handler{New: newReconciler, Config: settings.Config, Log: log}
	lambda.Start(h.Handle)
}
