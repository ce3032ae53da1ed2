package stacks

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	ssoflow "github.com/ssoflow/ssoflow/functions"
	"github.com/ssoflow/ssoflow/functions/envnames"
	"github.com/ssoflow/ssoflow/infra/config"
)

// PipelineStackProps configure the provisioning pipeline.
type PipelineStackProps struct {
	awscdk.StackProps
	Config   *config.Config
	RepoRoot string
	// Notifications is where failures are published.
	Notifications *NotificationsStack
}

// PipelineStack is the provisioning pipeline: the ssoflow event bus, the secrets its functions
// read, the functions, the provision state machine and the rules that start it.
type PipelineStack struct {
	awscdk.Stack
	Bus          awsevents.IEventBus
	StateMachine awsstepfunctions.StateMachine
	Functions    map[string]*GoLambda
	HookURL      awslambda.FunctionUrl
	// PlanBucket holds database plans too large for a state; nil without databases.
	PlanBucket *PlanBucket
	// Monitoring watches every state machine and function of the pipeline (and the grants').
	Monitoring *Monitoring
}

// NewPipelineStack builds the stack.
func NewPipelineStack(scope constructs.Construct, id string, p PipelineStackProps) *PipelineStack {
	cfg := p.Config
	stack := awscdk.NewStack(scope, jsii.String(id), &p.StackProps)
	s := &PipelineStack{Stack: stack, Functions: map[string]*GoLambda{}}

	s.Bus = awsevents.NewEventBus(stack, jsii.String("Bus"), &awsevents.EventBusProps{
		EventBusName: jsii.String(cfg.Prefix),
		Description:  jsii.String("ssoflow: Okta membership events from the event hook"),
	})
	secrets := NewSecrets(stack, "Secrets", SecretsProps{
		Prefix:             cfg.Prefix,
		OktaTokenSecretArn: cfg.Okta.TokenSecretArn,
		SCIMTokenSecretArn: cfg.IdentityCenter.SCIMTokenSecretArn,
	})

	mappings, _ := json.Marshal(cfg.Okta.GroupMappings)
	common := map[string]string{envnames.LogLevel: cfg.LogLevel}
	with := func(extra map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range common {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	newFunction := func(name, cmd, desc string, env map[string]string, dlq awssqs.IQueue) *GoLambda {
		l := NewGoLambda(stack, name, GoLambdaProps{
			RepoRoot: p.RepoRoot, Command: cmd, Description: desc, Environment: with(env),
			LogRetention: cfg.LogRetentionDays, LogLevel: cfg.LogLevel, DeadLetterQueue: dlq,
		})
		s.Functions[cmd] = l
		return l
	}

	// Failures reach a person from the executions' status-change events (Monitoring), through
	// the notify function; what cannot be delivered to it, or what it fails on, waits in one queue.
	undelivered := NewUndeliveredQueue(stack, "UndeliveredFailures", cfg.Prefix)
	notify := newFunction("Notify", "notify", "ssoflow: publish a failure for a person to act on", map[string]string{
		envnames.TopicARN: *p.Notifications.Topic.TopicArn(),
	}, undelivered)
	p.Notifications.GrantPublish(notify.Function)
	suppress(notify.Construct, "AwsSolutions-IAM5", "Publishing to a KMS-encrypted SNS topic needs kms:GenerateDataKey* on the topic's own key "+
		"(the grant names that one key): https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html", "Action::kms:GenerateDataKey*")
	s.Monitoring = NewMonitoring(stack, "Monitoring", MonitoringProps{
		Prefix: cfg.Prefix, Topic: p.Notifications.Topic, Notify: notify, Undelivered: undelivered,
	})
	s.Monitoring.WatchFunction(notify)
	fn := func(name, cmd, desc string, env map[string]string) *GoLambda {
		l := newFunction(name, cmd, desc, env, nil)
		s.Monitoring.WatchFunction(l)
		return l
	}

	resolve := fn("Resolve", "resolve", "ssoflow: read the source's current truth for an event and plan the work", map[string]string{
		envnames.OktaOrgURL:         cfg.Okta.OrgURL,
		envnames.OktaTokenSecretARN: *secrets.OktaToken.SecretArn(),
		envnames.GroupPrefix:        cfg.Okta.GroupPrefix,
		envnames.GroupMappings:      string(mappings),
		envnames.IdentityStoreID:    cfg.IdentityCenter.IdentityStoreID,
		envnames.Databases:          DatabasesJSON(cfg.Region, cfg.DBUserNameRule, cfg.Databases),
	})
	secrets.OktaToken.GrantRead(resolve.Function, nil)
	resolve.Function.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("ReadIdentityStore"),
		Actions: jsii.Strings("identitystore:DescribeUser", "identitystore:DescribeGroup", "identitystore:GetGroupId",
			"identitystore:ListGroupMemberships", "identitystore:IsMemberInGroups", "identitystore:DescribeGroupMembership"),
		Resources: jsii.Strings(
			*stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("identitystore"), Region: jsii.String(""), Resource: jsii.String("identitystore"), ResourceName: jsii.String(cfg.IdentityCenter.IdentityStoreID)}),
			"arn:aws:identitystore:::user/*", "arn:aws:identitystore:::group/*", "arn:aws:identitystore:::membership/*"),
	}))
	suppress(resolve.Construct, "AwsSolutions-IAM5", "Identity store users, groups and memberships have global ARNs with no account or store in them "+
		"(arn:aws:identitystore:::user/<id>); the identity store itself is named exactly, and the actions are read-only. "+
		"Which users and groups change is not known at deploy time.",
		"Resource::arn:aws:identitystore:::user/*", "Resource::arn:aws:identitystore:::group/*", "Resource::arn:aws:identitystore:::membership/*")
	if len(cfg.Databases) > 0 {
		// Without databases there is no database plan to store.
		s.PlanBucket = NewPlanBucket(stack, "PlanBucket", PlanBucketProps{})
		resolve.Function.AddEnvironment(jsii.String(envnames.PlanBucket), s.PlanBucket.Bucket.BucketName(), nil)
		s.PlanBucket.GrantPlans(resolve.Function)
	}

	push := fn("ScimPush", "scimpush", "ssoflow: converge an Identity Center group membership through SCIM", map[string]string{
		envnames.SCIMURL:            cfg.IdentityCenter.SCIMEndpoint,
		envnames.SCIMTokenSecretARN: *secrets.SCIMToken.SecretArn(),
	})
	secrets.SCIMToken.GrantRead(push.Function, nil)

	dbusers := s.databaseProvisioner(stack, p)
	remote := RemoteProvisioners(cfg)

	s.StateMachine = NewProvisionStateMachine(stack, "Provision", ProvisionProps{
		Prefix:       cfg.Prefix,
		Definition:   filepath.Join(p.RepoRoot, "statemachines", "provision.asl.json"),
		LogRetention: cfg.LogRetentionDays,
		RoleName:     remote.StateMachineRoleName(),
		Tasks: map[string]awslambda.IFunction{
			"ResolveFunctionArn":  resolve.Function,
			"ScimPushFunctionArn": push.Function,
			"DbUsersFunctionArn":  dbusers.Function,
		},
		Monitoring: s.Monitoring,
	})
	remote.Connect(s.StateMachine, resolve.Function)
	notify.Function.AddEnvironment(jsii.String(envnames.StateMachineARN), stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("states"), Resource: jsii.String("stateMachine"), ResourceName: jsii.String(cfg.Prefix + "-provision"),
		ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
	}), nil)

	target := awseventstargets.NewSfnStateMachine(s.StateMachine, &awseventstargets.SfnStateMachineProps{})
	awsevents.NewRule(stack, jsii.String("OktaMembershipRule"), &awsevents.RuleProps{
		EventBus:    s.Bus,
		Description: jsii.String("Okta group membership events from the ssoflow event hook"),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings("ssoflow.okta"),
			DetailType: jsii.Strings("Okta Group Membership Changed"),
		},
		Targets: &[]awsevents.IRuleTarget{target},
	})
	if cfg.Okta.LogStreamEventBusName != "" {
		partner := awsevents.EventBus_FromEventBusName(stack, jsii.String("OktaLogStream"), jsii.String(cfg.Okta.LogStreamEventBusName))
		awsevents.NewRule(stack, jsii.String("OktaLogStreamRule"), &awsevents.RuleProps{
			EventBus:    partner,
			Description: jsii.String("Okta group membership events from Okta's EventBridge log stream"),
			EventPattern: &awsevents.EventPattern{
				Detail: &map[string]any{"eventType": []string{"group.user_membership.add", "group.user_membership.remove"}},
			},
			Targets: &[]awsevents.IRuleTarget{target},
		})
	}
	NewIdentityCenterRules(stack, "IdentityCenterEvents", IdentityCenterRulesProps{Target: target})
	if len(cfg.Databases) > 0 {
		// The databases' reconcile: the same provision path, planned as a change to every
		// mapped group, so every database converges to Identity Center on this schedule.
		awsevents.NewRule(stack, jsii.String("ReconcileDatabases"), &awsevents.RuleProps{
			Description: jsii.String("ssoflow: reconcile every database with Identity Center"),
			Schedule:    awsevents.Schedule_Expression(jsii.String(cfg.ReconcileSchedule)),
			Targets: &[]awsevents.IRuleTarget{awseventstargets.NewSfnStateMachine(s.StateMachine, &awseventstargets.SfnStateMachineProps{
				Input: awsevents.RuleTargetInput_FromObject(map[string]any{
					"version": "0", "id": awsevents.EventField_EventId(), "time": awsevents.EventField_Time(),
					"source": ssoflow.EventSourceReconcile, "detail-type": ssoflow.DetailTypeReconcileDatabases, "detail": map[string]any{},
				}),
			})},
		})
	}

	if cfg.HookEnabled() {
		hook := fn("OktaHook", "oktahook", "ssoflow: Okta event hook endpoint", map[string]string{
			envnames.EventBusName:  *s.Bus.EventBusName(),
			envnames.HookSecretARN: *secrets.HookAuth.SecretArn(),
		})
		secrets.HookAuth.GrantRead(hook.Function, nil)
		s.Monitoring.WatchHook(hook)
		s.Bus.GrantPutEventsTo(hook.Function, nil)
		// The endpoint is public because Okta calls it; every call is authenticated in the
		// function by a constant-time comparison with the secret.
		s.HookURL = hook.Function.AddFunctionUrl(&awslambda.FunctionUrlOptions{AuthType: awslambda.FunctionUrlAuthType_NONE})
		awscdk.NewCfnOutput(stack, jsii.String("OktaHookUrl"), &awscdk.CfnOutputProps{
			Value:       s.HookURL.Url(),
			Description: jsii.String("Register this URL as an Okta event hook; its Authorization value is the HookAuthSecret"),
		})
	}
	awscdk.NewCfnOutput(stack, jsii.String("ProvisionStateMachineArn"), &awscdk.CfnOutputProps{Value: s.StateMachine.StateMachineArn()})
	awscdk.NewCfnOutput(stack, jsii.String("HookAuthSecretArn"), &awscdk.CfnOutputProps{Value: secrets.HookAuth.SecretArn()})
	awscdk.NewCfnOutput(stack, jsii.String("OktaTokenSecretArn"), &awscdk.CfnOutputProps{Value: secrets.OktaToken.SecretArn()})
	awscdk.NewCfnOutput(stack, jsii.String("ScimTokenSecretArn"), &awscdk.CfnOutputProps{Value: secrets.SCIMToken.SecretArn()})
	NewReconcile(stack, "Reconcile", ReconcileProps{Config: cfg, RepoRoot: p.RepoRoot, Secrets: secrets, Monitoring: s.Monitoring})
	return s
}

// ProvisionProps configure a state machine loaded from an ASL file.
type ProvisionProps struct {
	Prefix       string
	Definition   string                         // path of the .asl.json
	Tasks        map[string]awslambda.IFunction // placeholder → function it stands for
	LogRetention int
	// RoleName, when set, names the state machine's role (other accounts trust it by ARN);
	// empty lets CloudFormation generate one.
	RoleName string
	// Monitoring watches the state machine (required): its failed, timed-out and aborted
	// executions reach a person, raise alarms and show on the dashboard.
	Monitoring *Monitoring
}

// NewProvisionStateMachine loads the ASL file with DefinitionSubstitutions (one per placeholder),
// grants the state machine's role lambda:InvokeFunction on exactly those functions, logs every
// event with X-Ray tracing on, and puts the state machine under p.Monitoring.
func NewProvisionStateMachine(scope constructs.Construct, id string, p ProvisionProps) awsstepfunctions.StateMachine {
	if p.Monitoring == nil {
		panic("ssoflow: state machine " + id + " has no Monitoring: its failures would reach nobody")
	}
	name := p.Prefix + "-" + lower(id)
	logs := awslogs.NewLogGroup(scope, jsii.String(id+"Logs"), &awslogs.LogGroupProps{
		LogGroupName:  jsii.String("/aws/vendedlogs/states/" + p.Prefix + "-" + id),
		Retention:     retention(p.LogRetention),
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	subs := map[string]*string{}
	for k, fn := range p.Tasks {
		subs[k] = fn.FunctionArn()
	}
	var role awsiam.IRole
	if p.RoleName != "" {
		role = awsiam.NewRole(scope, jsii.String(id+"Role"), &awsiam.RoleProps{
			RoleName:    jsii.String(p.RoleName),
			AssumedBy:   awsiam.NewServicePrincipal(jsii.String("states.amazonaws.com"), nil),
			Description: jsii.String("ssoflow " + p.Prefix + "-" + lower(id) + " state machine"),
		})
	}
	sm := awsstepfunctions.NewStateMachine(scope, jsii.String(id), &awsstepfunctions.StateMachineProps{
		Role:                    role,
		StateMachineName:        jsii.String(name),
		StateMachineType:        awsstepfunctions.StateMachineType_STANDARD,
		DefinitionBody:          awsstepfunctions.DefinitionBody_FromString(jsii.String(readDefinition(p.Definition))),
		DefinitionSubstitutions: &subs,
		TracingEnabled:          jsii.Bool(true),
		Logs: &awsstepfunctions.LogOptions{
			Destination:          logs,
			Level:                awsstepfunctions.LogLevel_ALL,
			IncludeExecutionData: jsii.Bool(true),
		},
	})
	// Exactly these functions, by ARN (GrantInvoke would add "<arn>:*" for every version).
	var arns []*string
	for _, k := range sortedKeys(p.Tasks) {
		arns = append(arns, p.Tasks[k].FunctionArn())
	}
	sm.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("InvokeTaskFunctions"),
		Actions:   jsii.Strings("lambda:InvokeFunction"),
		Resources: &arns,
	}))
	var onRole constructs.IConstruct = sm
	if role != nil {
		onRole = role
	}
	suppress(onRole, "AwsSolutions-IAM5", "Step Functions log delivery to CloudWatch Logs requires logs:*LogDelivery, PutResourcePolicy and "+
		"DescribeResourcePolicies/LogGroups on * (https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html); "+reasonXRay, "Resource::*")
	p.Monitoring.WatchStateMachine(scope, id, sm, name)
	return sm
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

// databaseProvisioner is the dbusers function for the databases in the pipeline's own account
// and region (NewProvisioner); databases elsewhere have their own DatabaseAccessStack.
func (s *PipelineStack) databaseProvisioner(stack awscdk.Stack, p PipelineStackProps) *GoLambda {
	l := NewProvisioner(stack, ProvisionerProps{Config: p.Config, RepoRoot: p.RepoRoot, Region: p.Config.Region, Databases: p.Config.LocalDatabases()})
	s.Functions["dbusers"] = l
	s.Monitoring.WatchFunction(l)
	return l
}

// readDefinition reads an ASL file for inlining in the template. A missing or invalid file
// fails the synth with its path.
func readDefinition(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		panic(fmt.Sprintf("ssoflow: read state machine definition: %v", err))
	}
	if !json.Valid(b) {
		panic(fmt.Sprintf("ssoflow: state machine definition %s is not valid JSON", path))
	}
	return string(b)
}
