package stacks

import (
	"encoding/json"
	"path/filepath"
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/ssoflow/ssoflow/functions/envnames"
	"github.com/ssoflow/ssoflow/infra/config"
)

// ReconcileProps configure the scheduled reconcile.
type ReconcileProps struct {
	Config   *config.Config
	RepoRoot string
	// Secrets hold the Okta and SCIM tokens the reconcile function reads.
	Secrets *Secrets
	// Monitoring watches the reconcile's state machine and function.
	Monitoring *Monitoring
}

// Reconcile is statemachines/reconcile.asl.json, the function behind its tasks and the
// schedule that starts it.
type Reconcile struct {
	constructs.Construct
	StateMachine awsstepfunctions.StateMachine
	Function     *GoLambda
	Rule         awsevents.Rule
}

// NewReconcile builds the construct in scope's stack.
func NewReconcile(scope constructs.Construct, id string, p ReconcileProps) *Reconcile {
	cfg := p.Config
	c := constructs.NewConstruct(scope, jsii.String(id))
	stack := awscdk.Stack_Of(c)
	mappings, _ := json.Marshal(cfg.Okta.GroupMappings)
	fn := NewGoLambda(c, "Function", GoLambdaProps{
		RepoRoot: p.RepoRoot, Command: "reconcile",
		Description: "ssoflow: compare Okta with Identity Center and converge the differences (plan, apply a shard, report)",
		Environment: map[string]string{
			envnames.OktaOrgURL:              cfg.Okta.OrgURL,
			envnames.OktaTokenSecretARN:      *p.Secrets.OktaToken.SecretArn(),
			envnames.SCIMURL:                 cfg.IdentityCenter.SCIMEndpoint,
			envnames.SCIMTokenSecretARN:      *p.Secrets.SCIMToken.SecretArn(),
			envnames.IdentityStoreID:         cfg.IdentityCenter.IdentityStoreID,
			envnames.GroupPrefix:             cfg.Okta.GroupPrefix,
			envnames.GroupMappings:           string(mappings),
			envnames.LogLevel:                cfg.LogLevel,
			envnames.ReconcileMaxRemoveShare: strconv.FormatFloat(cfg.ReconcileMaxRemoveShare, 'f', -1, 64),
		},
		LogRetention: cfg.LogRetentionDays, LogLevel: cfg.LogLevel, TimeoutSecs: 900, MemoryMiB: 512,
	})
	p.Monitoring.WatchFunction(fn)
	p.Secrets.OktaToken.GrantRead(fn.Function, nil)
	p.Secrets.SCIMToken.GrantRead(fn.Function, nil)
	storeArn := *stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("identitystore"), Region: jsii.String(""),
		Resource: jsii.String("identitystore"), ResourceName: jsii.String(cfg.IdentityCenter.IdentityStoreID)})
	fn.Function.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ReadIdentityStore"),
		Actions:   jsii.Strings("identitystore:ListUsers", "identitystore:ListGroups", "identitystore:ListGroupMemberships"),
		Resources: jsii.Strings(storeArn, "arn:aws:identitystore:::user/*", "arn:aws:identitystore:::group/*", "arn:aws:identitystore:::membership/*"),
	}))
	suppress(fn.Construct, "AwsSolutions-IAM5", "Identity store users, groups and memberships have global ARNs with no account or store in them "+
		"(arn:aws:identitystore:::user/<id>); the identity store itself is named exactly, and the actions only list. A reconcile reads "+
		"every user and group of the store, which are not known at deploy time.",
		"Resource::arn:aws:identitystore:::user/*", "Resource::arn:aws:identitystore:::group/*", "Resource::arn:aws:identitystore:::membership/*")

	sm := NewProvisionStateMachine(c, "Reconcile", ProvisionProps{
		Prefix:       cfg.Prefix,
		Definition:   filepath.Join(p.RepoRoot, "statemachines", "reconcile.asl.json"),
		LogRetention: cfg.LogRetentionDays,
		Tasks:        map[string]awslambda.IFunction{"ReconcileFunctionArn": fn.Function},
		Monitoring:   p.Monitoring,
	})
	rule := awsevents.NewRule(c, jsii.String("Schedule"), &awsevents.RuleProps{
		Description: jsii.String("ssoflow: start the reconcile on its schedule (reconcileSchedule)"),
		Schedule:    awsevents.Schedule_Expression(jsii.String(cfg.ReconcileSchedule)),
		Targets:     &[]awsevents.IRuleTarget{awseventstargets.NewSfnStateMachine(sm, &awseventstargets.SfnStateMachineProps{})},
	})
	awscdk.NewCfnOutput(stack, jsii.String("ReconcileStateMachineArn"), &awscdk.CfnOutputProps{
		Value: sm.StateMachineArn(), Description: jsii.String("the scheduled reconcile; ssoflow reconcile --dry-run shows its plan from a laptop"),
	})
	return &Reconcile{Construct: c, StateMachine: sm, Function: fn, Rule: rule}
}
