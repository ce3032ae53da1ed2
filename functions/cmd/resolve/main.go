// Command resolve is the provision state machine's first step: it reads the current truth for
// what an event names (Okta, or the identity store) and plans the work. A database plan too
// large for a state is stored in the plan bucket in chunks; the same function's LoadWork entry
// reads one chunk back for the provisioner.
package main

import (
	"context"
	"encoding/json"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/identitystore"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/ssoflow/ssoflow/functions/envnames"
	"github.com/ssoflow/ssoflow/functions/internal/awsconf"
	idstore "github.com/ssoflow/ssoflow/functions/internal/identitystore"
	"github.com/ssoflow/ssoflow/functions/internal/lambdaenv"
	"github.com/ssoflow/ssoflow/functions/internal/logging"
	"github.com/ssoflow/ssoflow/functions/internal/okta"
	"github.com/ssoflow/ssoflow/functions/internal/oktahook"
	"github.com/ssoflow/ssoflow/functions/internal/planstore"
	"github.com/ssoflow/ssoflow/functions/internal/resolve"
)

func main() {
	ctx := context.Background()
	env := lambdaenv.New()
	log := logging.Default(env.Optional(envnames.LogLevel, "info"))
	oktaURL := env.Require(envnames.OktaOrgURL)
	tokenARN := env.Require(envnames.OktaTokenSecretARN)
	storeID := env.Require(envnames.IdentityStoreID)
	cfg := resolve.Config{GroupPrefix: env.Optional(envnames.GroupPrefix, "AWS_"), IdentityStoreID: storeID}
	fail := func(msg string, err error) {
		log.Error("cannot start: "+msg, "error", err)
		os.Exit(1)
	}
	if err := env.Err(); err != nil {
		fail("configuration", err)
	}
	if err := json.Unmarshal([]byte(env.Optional(envnames.GroupMappings, "{}")), &cfg.GroupMappings); err != nil {
		fail(envnames.GroupMappings+" is not a JSON object", err)
	}
	if err := json.Unmarshal([]byte(env.Optional(envnames.Databases, "[]")), &cfg.Databases); err != nil {
		fail(envnames.Databases+" is not a JSON list", err)
	}
	targets, err := resolve.ParseTargets(env.Optional(envnames.DatabaseTargets, ""), cfg.Databases)
	if err != nil {
		fail(envnames.DatabaseTargets, err)
	}
	cfg.Targets = targets
	awsCfg, err := awsconf.Load(ctx)
	if err != nil {
		fail("AWS configuration", err)
	}
	token, err := oktahook.NewSecretsManagerSource(secretsmanager.NewFromConfig(awsCfg), tokenARN).Secret(ctx)
	if err != nil {
		fail("read the Okta API token from Secrets Manager", err)
	}
	ids := identitystore.NewFromConfig(awsCfg, idstore.WithoutThrottleRetries)
	r := resolve.New(okta.New(oktaURL, token, nil), idstore.NewReader(ids, storeID, idstore.Options{}), cfg, log)
	if bucket := env.Optional(envnames.PlanBucket, ""); bucket != "" {
		r.Plans = planstore.New(s3.NewFromConfig(awsCfg), bucket)
	}
	lambda.Start(r.Invoke)
}
