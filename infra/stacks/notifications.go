package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// NotificationsStackProps configure where failures are reported.
type NotificationsStackProps struct {
	awscdk.StackProps
	Prefix string
	// Email subscribes this address to the topic when set.
	Email *string
}

// NotificationsStack owns the SNS topic every failure and every just-in-time grant is published
// to, encrypted with its own KMS key and refusing unencrypted transport.
type NotificationsStack struct {
	awscdk.Stack
	Topic awssns.ITopic
	Key   awskms.IKey
}

// NewNotificationsStack builds the stack.
func NewNotificationsStack(scope constructs.Construct, id string, p NotificationsStackProps) *NotificationsStack {
	stack := awscdk.NewStack(scope, jsii.String(id), &p.StackProps)
	key := awskms.NewKey(stack, jsii.String("TopicKey"), &awskms.KeyProps{
		Description:       jsii.String("ssoflow notifications topic"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_DESTROY,
		PendingWindow:     awscdk.Duration_Days(jsii.Number(7)),
	})
	topic := awssns.NewTopic(stack, jsii.String("Topic"), &awssns.TopicProps{
		TopicName:   jsii.String(p.Prefix + "-notifications"),
		DisplayName: jsii.String("ssoflow"),
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	})
	allowAlarms(stack, topic, key, p.Prefix)
	if p.Email != nil {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(*p.Email), nil))
	}
	awscdk.NewCfnOutput(stack, jsii.String("TopicArn"), &awscdk.CfnOutputProps{
		Value:       topic.TopicArn(),
		Description: jsii.String("SNS topic that receives ssoflow failure notifications"),
	})
	return &NotificationsStack{Stack: stack, Topic: topic, Key: key}
}

// GrantPublish lets grantee publish to the encrypted topic.
func (n *NotificationsStack) GrantPublish(grantee awsiam.IGrantable) {
	n.Topic.GrantPublish(grantee)
}

// allowAlarms lets the deployment's CloudWatch alarms (named <prefix>-*) publish to the topic.
// The topic has its own access policy (it refuses unencrypted transport), so the CloudWatch
// service must be allowed by it, limited to these alarms ("Why didn't I receive an SNS
// notification for my CloudWatch alarm trigger?" —
// https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger); and the topic
// is encrypted with a customer managed key, which CloudWatch can use only if the key policy
// allows it kms:Decrypt and kms:GenerateDataKey* ("Enable compatibility between event sources
// from AWS services and encrypted topics" —
// https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
func allowAlarms(stack awscdk.Stack, topic awssns.Topic, key awskms.Key, prefix string) {
	cloudwatch := awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)
	alarms := stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("cloudwatch"), Resource: jsii.String("alarm"),
		ResourceName: jsii.String(prefix + "-*"), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME})
	topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("PublishDeploymentAlarms"),
		Principals: &[]awsiam.IPrincipal{cloudwatch},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{topic.TopicArn()},
		Conditions: &map[string]any{"ArnLike": map[string]any{"aws:SourceArn": alarms}},
	}))
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchAlarmsPublishToTheTopic"),
		Principals: &[]awsiam.IPrincipal{cloudwatch},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey*"),
		Resources:  jsii.Strings("*"),
	}), nil)
}
