package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Failure notification comes from the executions' own status-change events, not from a Catch
// in the state machines: a Catch that ends in a Fail state is re-entered by a redrive and fails
// again, so the caught step could never be replayed (DESIGN.md, "Step Functions").
//
// "Step Functions Execution Status Change" events come from source aws.states to the default
// bus, for standard workflows, best effort; their detail carries executionArn, stateMachineArn,
// name, status (RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED), startDate, stopDate, input and
// output:
//   - AWS Step Functions events — https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-states.html
//   - Automating Step Functions event delivery with EventBridge — https://docs.aws.amazon.com/step-functions/latest/dg/eventbridge-integration.html
//   - DescribeExecution (the status values) — https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html

// Event pattern values of an execution status-change rule.
const (
	StatesEventSource         = "aws.states"
	ExecutionStatusDetailType = "Step Functions Execution Status Change"
)

// FailedExecutionStatuses are the terminal statuses a person must hear about.
var FailedExecutionStatuses = []string{"FAILED", "TIMED_OUT", "ABORTED"}

// Delivery of a status-change event to the notify function. EventBridge retries a target it
// could not reach for at most 24 hours and 185 attempts ("How EventBridge retries delivering
// events" — https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html;
// "RetryPolicy" — https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_RetryPolicy.html),
// then hands the event to the target's dead-letter queue ("Using dead-letter queues to process
// undelivered events in EventBridge" — https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html).
// A failure notice is worth the whole day.
const (
	notifyRetryAttempts  = 185
	notifyMaxEventAgeHrs = 24
)

// ExecutionFailureRuleProps say which state machine to watch and who to tell.
type ExecutionFailureRuleProps struct {
	// StateMachineArn is the watched machine's ARN (built from its name, see stateMachineArn).
	StateMachineArn *string
	// Target receives each matching event (the notify function, with retries and a DLQ).
	Target awsevents.IRuleTarget
	// Description names the machine for a person reading the rule in the console.
	Description string
}

// NewExecutionFailureRule is a rule on the default bus that matches the failed, timed-out and
// aborted executions of exactly one state machine.
func NewExecutionFailureRule(scope constructs.Construct, id string, p ExecutionFailureRuleProps) awsevents.Rule {
	return awsevents.NewRule(scope, jsii.String(id), &awsevents.RuleProps{
		Description: jsii.String(p.Description),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings(StatesEventSource),
			DetailType: jsii.Strings(ExecutionStatusDetailType),
			Detail: &map[string]any{
				"status":          FailedExecutionStatuses,
				"stateMachineArn": []*string{p.StateMachineArn},
			},
		},
		Targets: &[]awsevents.IRuleTarget{p.Target},
	})
}

// NewUndeliveredQueue keeps failure notices that could not be delivered: events EventBridge
// could not hand to the notify function, and events the notify function failed on through
// Lambda's own asynchronous retries. It is encrypted with SQS-managed keys (SSE-SQS), which
// EventBridge and Lambda can write to with no key policy; a KMS key would need one for each
// service ("Amazon SQS Key management" —
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html).
// Messages are kept 14 days, the longest SQS allows, so a person has time to look.
func NewUndeliveredQueue(scope constructs.Construct, id, prefix string) awssqs.Queue {
	return awssqs.NewQueue(scope, jsii.String(id), &awssqs.QueueProps{
		QueueName:       jsii.String(prefix + "-undelivered-failures"),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		RemovalPolicy:   awscdk.RemovalPolicy_DESTROY,
	})
}

// stateMachineArn is the ARN of the state machine named name in stack's account and region.
func stateMachineArn(stack awscdk.Stack, name string) *string {
	return stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("states"), Resource: jsii.String("stateMachine"),
		ResourceName: jsii.String(name), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME})
}

// executionArns matches every execution of the state machine named name
// (arn:aws:states:<region>:<account>:execution:<name>:<execution>).
func executionArns(stack awscdk.Stack, name string) *string {
	return stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("states"), Resource: jsii.String("execution"),
		ResourceName: jsii.String(name + ":*"), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME})
}
