package stacks

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/ssoflow/ssoflow/functions/envnames"
	"github.com/ssoflow/ssoflow/infra/config"
)

// Multi-account deployment (docs/multi-account.md). The pipeline stack runs in the Identity
// Center account; each (account, region) holding databases elsewhere gets a database-access
// stack with its own provisioner and an invoke role that only the provision state machine's
// role may assume. CloudFormation cannot reference across accounts, so both sides build the
// same ARNs from deterministic names: the state machine role, and per placement the function
// and the invoke role.

// RemoteProvisioner is the provisioner of one (account, region) outside the pipeline's.
type RemoteProvisioner struct {
	config.DatabaseGroup
	StackName    string
	FunctionName string
	RoleName     string
	FunctionArn  string
	RoleArn      string
}

// Remote is every remote provisioner of a configuration and the state machine role they trust.
type Remote struct {
	Prefix   string
	Pipeline config.Placement
	Targets  []RemoteProvisioner
}

// RemoteProvisioners names the remote provisioners of cfg (none for a single-account deployment).
func RemoteProvisioners(cfg *config.Config) Remote {
	r := Remote{Prefix: cfg.Prefix, Pipeline: cfg.Pipeline()}
	for _, g := range cfg.RemoteGroups() {
		part := config.Partition(g.Region)
		t := RemoteProvisioner{
			DatabaseGroup: g,
			StackName:     fmt.Sprintf("%s-databases-%s-%s", cfg.Prefix, g.Account, g.Region),
			FunctionName:  fmt.Sprintf("%s-dbusers-%s", cfg.Prefix, g.Region),
			// IAM names are global in an account: the region keeps two placements of one account apart.
			RoleName: fmt.Sprintf("%s-dbusers-invoke-%s", cfg.Prefix, g.Region),
		}
		t.FunctionArn = fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s", part, g.Region, g.Account, t.FunctionName)
		t.RoleArn = fmt.Sprintf("arn:%s:iam::%s:role/%s", part, g.Account, t.RoleName)
		r.Targets = append(r.Targets, t)
	}
	return r
}

// StateMachineRoleName is the provision state machine role's fixed name when remote
// provisioners trust it, and empty (a generated name, as before) when there are none.
func (r Remote) StateMachineRoleName() string {
	if len(r.Targets) == 0 {
		return ""
	}
	return r.Prefix + "-provision-sfn"
}

// StateMachineRoleArn is the ARN the remote invoke roles trust.
func (r Remote) StateMachineRoleArn() string {
	return fmt.Sprintf("arn:%s:iam::%s:role/%s", config.Partition(r.Pipeline.Region), r.Pipeline.Account, r.StateMachineRoleName())
}

// TargetsJSON is the SSOFLOW_DATABASE_TARGETS value: database name → function and role ARN.
func (r Remote) TargetsJSON() string {
	type target struct {
		FunctionArn string `json:"functionArn"`
		RoleArn     string `json:"roleArn"`
	}
	m := map[string]target{}
	for _, t := range r.Targets {
		for _, d := range t.Databases {
			m[d.Name] = target{FunctionArn: t.FunctionArn, RoleArn: t.RoleArn}
		}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// Connect lets the state machine assume exactly the remote invoke roles, and tells resolve
// which function and role each remote database is provisioned through. Nothing for a
// single-account deployment.
func (r Remote) Connect(sm awsstepfunctions.StateMachine, resolve awslambda.Function) {
	if len(r.Targets) == 0 {
		return
	}
	var roles []*string
	for _, t := range r.Targets {
		roles = append(roles, jsii.String(t.RoleArn))
	}
	sm.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("AssumeRemoteProvisionerRoles"),
		Actions:   jsii.Strings("sts:AssumeRole"),
		Resources: &roles,
	}))
	resolve.AddEnvironment(jsii.String(envnames.DatabaseTargets), jsii.String(r.TargetsJSON()), nil)
}

// DatabaseAccessStackProps configure the database-access stack of one remote placement.
type DatabaseAccessStackProps struct {
	awscdk.StackProps
	Config   *config.Config
	RepoRoot string
	Remote   Remote
	Target   RemoteProvisioner
}

// DatabaseAccessStack is a workload account's side: the provisioner in the databases' VPC (its
// role, its security group, rds-db:connect as the provisioner users), and the role the
// provision state machine assumes to invoke it. It holds no identity store or Secrets Manager
// access: it receives resolved user names and groups only.
type DatabaseAccessStack struct {
	awscdk.Stack
	Provisioner *GoLambda
	InvokeRole  awsiam.Role
}

// NewDatabaseAccessStack builds the stack.
func NewDatabaseAccessStack(scope constructs.Construct, id string, p DatabaseAccessStackProps) *DatabaseAccessStack {
	stack := awscdk.NewStack(scope, jsii.String(id), &p.StackProps)
	t := p.Target
	l := NewProvisioner(stack, ProvisionerProps{Config: p.Config, RepoRoot: p.RepoRoot, Region: t.Region, Databases: t.Databases, FunctionName: t.FunctionName})
	// The trust names the pipeline account and pins the caller to the state machine's role by
	// ARN (aws:PrincipalArn). A role ARN as Principal would be turned into the role's unique id
	// when saved and fail when the pipeline is deployed after this stack or its role is
	// recreated; the condition has neither problem. Step Functions' task Credentials pass no
	// external id, and aws:SourceArn is set only for service principals, so neither applies.
	role := awsiam.NewRole(stack, jsii.String("InvokeRole"), &awsiam.RoleProps{
		RoleName:    jsii.String(t.RoleName),
		Description: jsii.String("ssoflow: assumed by the " + p.Remote.Prefix + "-provision state machine only, to invoke " + t.FunctionName),
		AssumedBy: awsiam.NewAccountPrincipal(jsii.String(p.Remote.Pipeline.Account)).WithConditions(&map[string]any{
			"ArnEquals": map[string]any{"aws:PrincipalArn": p.Remote.StateMachineRoleArn()},
		}),
		MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(1)),
	})
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("InvokeProvisionerOnly"),
		Actions:   jsii.Strings("lambda:InvokeFunction"),
		Resources: &[]*string{l.Function.FunctionArn()},
	}))
	awscdk.NewCfnOutput(stack, jsii.String("ProvisionerFunctionArn"), &awscdk.CfnOutputProps{Value: l.Function.FunctionArn()})
	awscdk.NewCfnOutput(stack, jsii.String("InvokeRoleArn"), &awscdk.CfnOutputProps{Value: role.RoleArn()})
	return &DatabaseAccessStack{Stack: stack, Provisioner: l, InvokeRole: role}
}
