package notify

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/ssoflow/ssoflow/functions/internal/execution"
)

// Publisher is the part of the SNS client the notifier uses.
type Publisher interface {
	Publish(ctx context.Context, in *sns.PublishInput, opts ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// Notifier publishes failures to the topic.
type Notifier struct {
	TopicArn string
	SNS      Publisher
	SFN      execution.Executions // reads the failed executions (HandleEvent)
	Log      *slog.Logger
}

// Result is what the handler returns: the message published (empty when nothing was).
type Result struct {
	MessageID string `json:"messageId"`
	Subject   string `json:"subject"`
}

// Handle composes and publishes the message for a failed execution. A failure to publish is
// returned, so the rule's retry policy delivers the event again.
func (n *Notifier) Handle(ctx context.Context, f execution.Failure) (Result, error) {
	msg, err := Compose(f)
	if err != nil {
		return Result{}, err
	}
	out, err := n.SNS.Publish(ctx, &sns.PublishInput{
		TopicArn: aws.String(n.TopicArn),
		Subject:  aws.String(msg.Subject),
		Message:  aws.String(msg.Body),
	})
	if err != nil {
		return Result{}, fmt.Errorf("publish notification for %s: %w", f.ExecutionArn, err)
	}
	n.Log.InfoContext(ctx, "failure notified", "execution", f.ExecutionArn, "status", f.Status, "state", f.State, "error", f.Error, "subject", msg.Subject, "messageId", aws.ToString(out.MessageId))
	return Result{MessageID: aws.ToString(out.MessageId), Subject: msg.Subject}, nil
}
