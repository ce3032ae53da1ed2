package stacks

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// MonitoringProps configure how failures reach people and what the dashboard shows.
type MonitoringProps struct {
	// Prefix starts every alarm's name (the notifications topic admits alarms named <prefix>-*).
	Prefix string
	// Topic receives every alarm (the notifications stack's topic).
	Topic awssns.ITopic
	// Notify is told of every failed, timed-out or aborted execution of a watched state machine.
	Notify *GoLambda
	// Undelivered keeps the failure notices Notify never got (NewUndeliveredQueue); the pipeline
	// gives it to Notify as its own dead-letter queue too.
	Undelivered awssqs.IQueue
}

// Monitoring is everything that tells a person something went wrong, and the dashboard that
// shows how things go: per watched state machine a failure rule to the notify function and
// three alarms; per watched function errors and durations; the hook's answers; throttling by
// Okta and Identity Center; failure notices that could not be delivered.
type Monitoring struct {
	constructs.Construct
	Dashboard awscloudwatch.Dashboard
	prefix    string
	topic     awssns.ITopic
	notify    *GoLambda
	target    awsevents.IRuleTarget
	// readExecutions lets Notify read the executions of the watched state machines, and no others.
	readExecutions awsiam.PolicyStatement
	watched        int
}

// NewMonitoring builds the construct; WatchStateMachine, WatchFunction and WatchHook add to it.
func NewMonitoring(scope constructs.Construct, id string, p MonitoringProps) *Monitoring {
	c := constructs.NewConstruct(scope, jsii.String(id))
	m := &Monitoring{Construct: c, prefix: p.Prefix, topic: p.Topic, notify: p.Notify}
	m.target = awseventstargets.NewLambdaFunction(p.Notify.Function, &awseventstargets.LambdaFunctionProps{
		DeadLetterQueue: p.Undelivered,
		RetryAttempts:   jsii.Number(notifyRetryAttempts),
		MaxEventAge:     awscdk.Duration_Hours(jsii.Number(notifyMaxEventAgeHrs)),
	})
	m.readExecutions = awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:     jsii.String("ReadWatchedExecutions"),
		Actions: jsii.Strings("states:DescribeExecution", "states:GetExecutionHistory"),
	})
	m.Dashboard = awscloudwatch.NewDashboard(c, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DashboardName: jsii.String(p.Prefix),
	})

	undelivered := p.Undelivered.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
		Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Maximum"),
	})
	m.alarm("UndeliveredFailures", p.Prefix+"-undelivered-failures", undelivered,
		"Failure notices are waiting in the SQS queue "+p.Prefix+"-undelivered-failures: the notify function could not be "+
			"reached, or failed on them. Each message is a Step Functions status-change event; read it to find the failed execution.")
	m.Dashboard.AddWidgets(
		graph("Throttled calls (from the functions' logs)", 12, []awscloudwatch.IMetric{
			m.logMetric(oktaThrottled, "Okta (429)"), m.logMetric(identityCenterThrottled, "Identity Center"),
		}),
		graph("Failure notices not delivered", 12, []awscloudwatch.IMetric{
			undelivered.With(&awscloudwatch.MetricOptions{Label: jsii.String("waiting in the queue")}),
		}),
	)
	return m
}

// WatchStateMachine tells Notify of every failed, timed-out or aborted execution of sm (named
// name; id is its construct id), lets Notify read those executions, alarms on them and adds the
// machine to the dashboard. NewProvisionStateMachine calls it for every state machine.
func (m *Monitoring) WatchStateMachine(scope constructs.Construct, id string, sm awsstepfunctions.StateMachine, name string) {
	stack := awscdk.Stack_Of(scope)
	NewExecutionFailureRule(scope, id+"ExecutionFailed", ExecutionFailureRuleProps{
		StateMachineArn: stateMachineArn(stack, name),
		Target:          m.target,
		Description:     "ssoflow: tell a person when an execution of " + name + " fails, times out or is aborted",
	})
	if m.watched == 0 {
		m.notify.Function.AddToRolePolicy(m.readExecutions)
	}
	m.watched++
	m.readExecutions.AddResources(executionArns(stack, name))
	suppress(m.notify.Construct, "AwsSolutions-IAM5", "The notify function reads the execution named by each status-change event of "+name+
		" (DescribeExecution, GetExecutionHistory): execution ARNs are <state machine>:<execution name>, named at run time. "+
		"Only this state machine's executions are allowed.",
		"Resource::arn:<AWS::Partition>:states:"+nagRegion(stack)+":"+nagAccount(stack)+":execution:"+name+":*")

	period := &awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Sum")}
	replay := " The failure notice names the execution; replay it with `ssoflow replay --state-machine <arn>`."
	m.alarm(id+"ExecutionsFailed", name+"-executions-failed", sm.MetricFailed(period),
		"An execution of "+name+" failed in the last 5 minutes."+replay)
	m.alarm(id+"ExecutionsTimedOut", name+"-executions-timed-out", sm.MetricTimedOut(period),
		"An execution of "+name+" timed out in the last 5 minutes."+replay)
	m.alarm(id+"ExecutionsAborted", name+"-executions-aborted", sm.MetricAborted(period),
		"An execution of "+name+" was aborted in the last 5 minutes (someone stopped it)."+replay)

	labelled := func(metric awscloudwatch.Metric, label string) awscloudwatch.IMetric {
		return metric.With(&awscloudwatch.MetricOptions{Label: jsii.String(label)})
	}
	m.Dashboard.AddWidgets(graph("Executions of "+name, 24, []awscloudwatch.IMetric{
		labelled(sm.MetricStarted(period), "started"), labelled(sm.MetricSucceeded(period), "succeeded"),
		labelled(sm.MetricFailed(period), "failed"), labelled(sm.MetricTimedOut(period), "timed out"),
		labelled(sm.MetricAborted(period), "aborted"),
	}))
}

// WatchFunction adds l's errors and durations to the dashboard and counts the throttling its
// log lines report.
func (m *Monitoring) WatchFunction(l *GoLambda) {
	period := awscdk.Duration_Minutes(jsii.Number(5))
	fn := l.Function
	m.Dashboard.AddWidgets(
		graph(l.Command+": errors and throttles", 12, []awscloudwatch.IMetric{
			fn.MetricErrors(&awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String("Sum"), Label: jsii.String("errors")}),
			fn.MetricThrottles(&awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String("Sum"), Label: jsii.String("throttles")}),
		}),
		graph(l.Command+": duration", 12, []awscloudwatch.IMetric{
			fn.MetricDuration(&awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String("Average"), Label: jsii.String("average")}),
			fn.MetricDuration(&awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String("p99"), Label: jsii.String("p99")}),
		}),
	)
	m.countLogLines(l.LogGroup, oktaThrottled)
	m.countLogLines(l.LogGroup, identityCenterThrottled)
}

// WatchHook alarms on the Okta event hook function's errors and throttles and counts its
// answers by status; call WatchFunction for it as well.
func (m *Monitoring) WatchHook(l *GoLambda) {
	period := awscdk.Duration_Minutes(jsii.Number(5))
	m.alarm("OktaHookErrors", m.prefix+"-oktahook-errors",
		l.Function.MetricErrors(&awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String("Sum")}),
		"The Okta event hook function failed in the last 5 minutes: Okta got an error and retries once, then drops the delivery. "+
			"The scheduled reconcile repairs what was lost; read the function's logs for the cause.")
	m.alarm("OktaHookThrottles", m.prefix+"-oktahook-throttles",
		l.Function.MetricThrottles(&awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String("Sum")}),
		"Lambda throttled the Okta event hook function in the last 5 minutes: deliveries were refused. Check the account's concurrency.")
	for _, lm := range []logMetric{hookAnswered401, hookAnswered4xx, hookAnswered5xx} {
		m.countLogLines(l.LogGroup, lm)
	}
	m.Dashboard.AddWidgets(graph("Okta event hook answers", 24, []awscloudwatch.IMetric{
		m.logMetric(hookAnswered401, "401 (wrong or missing Authorization)"),
		m.logMetric(hookAnswered4xx, "4xx (401 included)"),
		m.logMetric(hookAnswered5xx, "5xx"),
	}))
}

// alarm fires on one or more data points ≥ 1 in 5 minutes, treats missing data as fine, and
// publishes to the topic. Every alarm name starts with the prefix: the topic admits only those.
func (m *Monitoring) alarm(id, name string, metric awscloudwatch.IMetric, description string) awscloudwatch.Alarm {
	if !strings.HasPrefix(name, m.prefix+"-") {
		panic(fmt.Sprintf("ssoflow: alarm %q must start with %q: the notifications topic admits no other alarm", name, m.prefix+"-"))
	}
	a := awscloudwatch.NewAlarm(m.Construct, jsii.String(id), &awscloudwatch.AlarmProps{
		AlarmName:          jsii.String(name),
		AlarmDescription:   jsii.String(description),
		Metric:             metric,
		Threshold:          jsii.Number(1),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	a.AddAlarmAction(awscloudwatchactions.NewSnsAction(m.topic))
	return a
}

// countLogLines adds a metric filter per pattern of lm on group.
func (m *Monitoring) countLogLines(group awslogs.ILogGroup, lm logMetric) {
	for i, pattern := range lm.Patterns {
		group.AddMetricFilter(jsii.String(fmt.Sprintf("%s%d", lm.Name, i+1)), &awslogs.MetricFilterOptions{
			FilterPattern:   awslogs.FilterPattern_Literal(jsii.String(pattern)),
			MetricNamespace: jsii.String(metricNamespace(m.prefix)),
			MetricName:      jsii.String(lm.Name),
			MetricValue:     jsii.String("1"),
			Unit:            awscloudwatch.Unit_COUNT,
		})
	}
}

// logMetric is lm summed over 5 minutes, for the dashboard.
func (m *Monitoring) logMetric(lm logMetric, label string) awscloudwatch.IMetric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace: jsii.String(metricNamespace(m.prefix)), MetricName: jsii.String(lm.Name),
		Statistic: jsii.String("Sum"), Period: awscdk.Duration_Minutes(jsii.Number(5)), Label: jsii.String(label),
	})
}

// graph is a 6-high line graph of metrics on the left axis.
func graph(title string, width float64, metrics []awscloudwatch.IMetric) awscloudwatch.GraphWidget {
	return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
		Title: jsii.String(title), Width: jsii.Number(width), Height: jsii.Number(6), Left: &metrics,
	})
}
