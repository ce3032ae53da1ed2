// Command notify is the target of the EventBridge rule on every ssoflow state machine's
// "Step Functions Execution Status Change" events (FAILED, TIMED_OUT, ABORTED): it reads the
// execution and publishes what failed, for whom, and how to replay it, to the SNS topic.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/ssoflow/ssoflow/functions/envnames"
	"github.com/ssoflow/ssoflow/functions/internal/awsconf"
	"github.com/ssoflow/ssoflow/functions/internal/lambdaenv"
	"github.com/ssoflow/ssoflow/functions/internal/logging"
	"github.com/ssoflow/ssoflow/functions/internal/notify"
)

func main() {
	env := lambdaenv.New()
	log := logging.Default(env.Optional(envnames.LogLevel, "info"))
	topic := env.Require(envnames.TopicARN)
	if err := env.Err(); err != nil {
		log.Error("cannot start", "error", err)
		os.Exit(1)
	}
	cfg, err := awsconf.Load(context.Background())
	if err != nil {
		log.Error("cannot start", "error", err)
		os.Exit(1)
	}
	n := &notify.Notifier{TopicArn: topic, SNS: sns.NewFromConfig(cfg), SFN: sfn.NewFromConfig(cfg), Log: log}
	lambda.Start(n.HandleEvent)
}
