// Command oktahook is the Okta event hook endpoint (a Lambda Function URL): it verifies the
// caller, splits the batch and puts each membership event on the ssoflow event bus.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/ssoflow/ssoflow/functions/envnames"
	"github.com/ssoflow/ssoflow/functions/internal/awsconf"
	"github.com/ssoflow/ssoflow/functions/internal/lambdaenv"
	"github.com/ssoflow/ssoflow/functions/internal/logging"
	"github.com/ssoflow/ssoflow/functions/internal/oktahook"
)

func main() {
	env := lambdaenv.New()
	log := logging.Default(env.Optional(envnames.LogLevel, "info"))
	bus := env.Require(envnames.EventBusName)
	secretARN := env.Require(envnames.HookSecretARN)
	if err := env.Err(); err != nil {
		log.Error("cannot start", "error", err)
		os.Exit(1)
	}
	cfg, err := awsconf.Load(context.Background())
	if err != nil {
		log.Error("cannot start", "error", err)
		os.Exit(1)
	}
	h := &oktahook.Handler{
		Secret:       oktahook.NewSecretsManagerSource(secretsmanager.NewFromConfig(cfg), secretARN),
		Events:       eventbridge.NewFromConfig(cfg),
		EventBusName: bus,
		Logger:       log,
	}
	lambda.Start(h.Handle)
}
