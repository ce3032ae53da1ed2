// Command scimpush converges one Identity Center group membership through the SCIM endpoint.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/ssoflow/ssoflow/functions/envnames"
	"github.com/ssoflow/ssoflow/functions/internal/awsconf"
	"github.com/ssoflow/ssoflow/functions/internal/lambdaenv"
	"github.com/ssoflow/ssoflow/functions/internal/logging"
	"github.com/ssoflow/ssoflow/functions/internal/oktahook"
	"github.com/ssoflow/ssoflow/functions/internal/scim"
	"github.com/ssoflow/ssoflow/functions/internal/scimpush"
)

func main() {
	ctx := context.Background()
	env := lambdaenv.New()
	log := logging.Default(env.Optional(envnames.LogLevel, "info"))
	url := env.Require(envnames.SCIMURL)
	tokenARN := env.Require(envnames.SCIMTokenSecretARN)
	if err := env.Err(); err != nil {
		log.Error("cannot start", "error", err)
		os.Exit(1)
	}
	awsCfg, err := awsconf.Load(ctx)
	if err != nil {
		log.Error("cannot start", "error", err)
		os.Exit(1)
	}
	token, err := oktahook.NewSecretsManagerSource(secretsmanager.NewFromConfig(awsCfg), tokenARN).Secret(ctx)
	if err != nil {
		log.Error("cannot start: read the SCIM token from Secrets Manager", "error", err)
		os.Exit(1)
	}
	h := scimpush.NewHandler(scimpush.New(scim.New(url, token, nil).WithLogger(log), log))
	lambda.Start(h.Handle)
}
