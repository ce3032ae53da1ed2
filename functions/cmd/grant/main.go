// Command grant is the Lambda behind every Task of the just-in-time access state machine
// (statemachines/grant.asl.json): it dispatches on the state's "action" to the grant core.
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/identitystore"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"

	"github.com/ssoflow/ssoflow/functions/envnames"
	"github.com/ssoflow/ssoflow/functions/internal/awsconf"
	"github.com/ssoflow/ssoflow/functions/internal/grant"
	idstore "github.com/ssoflow/ssoflow/functions/internal/identitystore"
	"github.com/ssoflow/ssoflow/functions/internal/lambdaenv"
	"github.com/ssoflow/ssoflow/functions/internal/logging"
)

type config struct {
	instanceArn, storeID, topicArn, stateMachineArn string
	maxDuration                                     time.Duration
}

func load(env *lambdaenv.Env) (config, error) {
	c := config{
		instanceArn:     env.Require(envnames.SSOInstanceARN),
		storeID:         env.Require(envnames.IdentityStoreID),
		topicArn:        env.Require(envnames.TopicARN),
		stateMachineArn: env.Require(envnames.GrantStateMachineARN),
	}
	hours, err := strconv.Atoi(env.Optional(envnames.GrantMaxHours, "12"))
	if err != nil || hours <= 0 {
		return c, fmt.Errorf("%s must be a positive number of hours", envnames.GrantMaxHours)
	}
	c.maxDuration = time.Duration(hours) * time.Hour
	return c, env.Err()
}

func main() {
	env := lambdaenv.New()
	log := logging.Default(env.Optional(envnames.LogLevel, "info"))
	c, err := load(env)
	if err != nil {
		log.Error("cannot start", "error", err)
		os.Exit(1)
	}
	cfg, err := awsconf.Load(context.Background())
	if err != nil {
		log.Error("cannot start", "error", err)
		os.Exit(1)
	}
	ids := identitystore.NewFromConfig(cfg, idstore.WithoutThrottleRetries)
	// Organizations is a global service: the SDK resolves its endpoint (us-east-1 in the aws
	// partition) from the configured region.
	svc := &grant.Service{
		Config:    grant.Config{InstanceArn: c.instanceArn, MaxDuration: c.maxDuration, TopicArn: c.topicArn, StateMachineArn: c.stateMachineArn},
		SSO:       ssoadmin.NewFromConfig(cfg),
		Orgs:      organizations.NewFromConfig(cfg),
		Directory: idstore.NewReader(ids, c.storeID, idstore.Options{}),
		Members:   idstore.NewWriter(ids, c.storeID, idstore.Options{}),
		Grants:    &grant.Registry{API: sfn.NewFromConfig(cfg), StateMachineArn: c.stateMachineArn},
		SNS:       sns.NewFromConfig(cfg),
		Log:       log,
	}
	lambda.Start(svc.Handle)
}
