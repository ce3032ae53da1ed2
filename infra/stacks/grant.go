package stacks

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/ssoflow/ssoflow/functions/envnames"
)

// GrantStateMachineProps configure just-in-time access.
type GrantStateMachineProps struct {
	Prefix          string
	RepoRoot        string
	InstanceArn     string // arn:aws:sso:::instance/ssoins-...
	IdentityStoreID string
	MaxHours        int
	LogRetention    int
	LogLevel        string
	// Notifications is where grants, their ends and failures are announced.
	Notifications *NotificationsStack
	// Monitoring watches the grant state machine and function (the pipeline's).
	Monitoring *Monitoring
}

// GrantStateMachine is statemachines/grant.asl.json and the grant function behind its tasks.
// Its running executions are the active grants.
type GrantStateMachine struct {
	constructs.Construct
	StateMachine awsstepfunctions.StateMachine
	Function     *GoLambda
}

// NewGrantStateMachine builds the construct in scope's stack.
func NewGrantStateMachine(scope constructs.Construct, id string, p GrantStateMachineProps) *GrantStateMachine {
	c := constructs.NewConstruct(scope, jsii.String(id))
	stack := awscdk.Stack_Of(c)
	smName := p.Prefix + "-grant"
	// Known before the state machine exists, which needs the function first.
	smArn := *stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("states"), Resource: jsii.String("stateMachine"),
		ResourceName: jsii.String(smName), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME})
	execArns := *stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("states"), Resource: jsii.String("execution"),
		ResourceName: jsii.String(smName + ":*"), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME})

	fn := NewGoLambda(c, "Function", GoLambdaProps{
		RepoRoot: p.RepoRoot, Command: "grant", Description: "ssoflow: just-in-time access steps (grant, poll, check other grants, revoke, announce)",
		Environment: map[string]string{
			envnames.SSOInstanceARN:       p.InstanceArn,
			envnames.IdentityStoreID:      p.IdentityStoreID,
			envnames.TopicARN:             *p.Notifications.Topic.TopicArn(),
			envnames.GrantStateMachineARN: smArn,
			envnames.GrantMaxHours:        fmt.Sprint(p.MaxHours),
			envnames.LogLevel:             p.LogLevel,
		},
		LogRetention: p.LogRetention, LogLevel: p.LogLevel, TimeoutSecs: 60,
	})
	p.Monitoring.WatchFunction(fn)
	role := fn.Function.Role()
	instanceID := p.InstanceArn[strings.LastIndex(p.InstanceArn, "/")+1:]
	psArns := "arn:aws:sso:::permissionSet/" + instanceID + "/*"
	add := func(sid string, actions []string, resources ...string) {
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String(sid), Actions: jsii.Strings(actions...), Resources: jsii.Strings(resources...),
		}))
	}
	add("AssignPermissionSets", []string{"sso:CreateAccountAssignment", "sso:DeleteAccountAssignment", "sso:ListAccountAssignments"},
		p.InstanceArn, psArns, "arn:aws:sso:::account/*")
	add("ReadAssignmentStatus", []string{"sso:DescribeAccountAssignmentCreationStatus", "sso:DescribeAccountAssignmentDeletionStatus", "sso:ListPermissionSets"},
		p.InstanceArn)
	add("ReadPermissionSets", []string{"sso:DescribePermissionSet"}, p.InstanceArn, psArns)
	storeArn := *stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("identitystore"), Region: jsii.String(""),
		Resource: jsii.String("identitystore"), ResourceName: jsii.String(p.IdentityStoreID)})
	add("GroupMemberships", []string{"identitystore:GetUserId", "identitystore:GetGroupId", "identitystore:GetGroupMembershipId",
		"identitystore:CreateGroupMembership", "identitystore:DeleteGroupMembership"},
		storeArn, "arn:aws:identitystore:::user/*", "arn:aws:identitystore:::group/*", "arn:aws:identitystore:::membership/*")
	// Validate refuses a grant for an account that is not an ACTIVE member of the organization.
	// Organizations account ARNs carry the management account and the organization id
	// (arn:aws:organizations::<management>:account/o-<org>/<id>), neither known at synth.
	orgAccounts := *stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("organizations"), Region: jsii.String(""), Account: jsii.String("*"),
		Resource: jsii.String("account"), ResourceName: jsii.String("o-*/*"), ArnFormat: awscdk.ArnFormat_SLASH_RESOURCE_NAME})
	add("CheckAccounts", []string{"organizations:DescribeAccount"}, orgAccounts)
	add("ReadActiveGrants", []string{"states:ListExecutions"}, smArn)
	add("ReadGrantInputs", []string{"states:DescribeExecution"}, execArns)
	p.Notifications.GrantPublish(fn.Function)

	suppress(fn.Construct, "AwsSolutions-IAM5", "Just-in-time access assigns the configured Identity Center instance's permission sets "+
		"(arn:aws:sso:::permissionSet/<instance>/*) to accounts and users named per request, unknown at deploy time; sso account ARNs "+
		"carry no account-level scoping (arn:aws:sso:::account/<id>). The instance itself is named exactly.",
		"Resource::"+psArns, "Resource::arn:aws:sso:::account/*")
	suppress(fn.Construct, "AwsSolutions-IAM5", "Identity store users, groups and memberships have global ARNs with no account or store in them "+
		"(arn:aws:identitystore:::user/<id>); the identity store itself is named exactly. Which user and group a grant names is not known at deploy time.",
		"Resource::arn:aws:identitystore:::user/*", "Resource::arn:aws:identitystore:::group/*", "Resource::arn:aws:identitystore:::membership/*")
	suppress(fn.Construct, "AwsSolutions-IAM5", "organizations:DescribeAccount (read-only) checks that a grant's account, named per request, "+
		"is an ACTIVE member of the organization. Organizations account ARNs embed the management account id and the organization id "+
		"(arn:aws:organizations::<management>:account/o-<org>/<account>), which are not known at synth; the resource is limited to "+
		"account ARNs, and no other action is allowed on it.",
		"Resource::arn:<AWS::Partition>:organizations::*:account/o-*/*")
	suppress(fn.Construct, "AwsSolutions-IAM5", "The active grants are the running executions of this one state machine: DescribeExecution "+
		"needs its execution ARNs (<state machine>:*), which are named per grant at run time.",
		"Resource::arn:<AWS::Partition>:states:"+nagRegion(stack)+":"+nagAccount(stack)+":execution:"+smName+":*")
	suppress(fn.Construct, "AwsSolutions-IAM5", "Publishing to a KMS-encrypted SNS topic needs kms:GenerateDataKey* on the topic's own key "+
		"(the grant names that one key): https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html", "Action::kms:GenerateDataKey*")

	sm := NewProvisionStateMachine(c, "Grant", ProvisionProps{
		Prefix:       p.Prefix,
		Definition:   filepath.Join(p.RepoRoot, "statemachines", "grant.asl.json"),
		LogRetention: p.LogRetention,
		Tasks:        map[string]awslambda.IFunction{"GrantFunctionArn": fn.Function},
		Monitoring:   p.Monitoring,
	})
	awscdk.NewCfnOutput(stack, jsii.String("GrantStateMachineArn"), &awscdk.CfnOutputProps{
		Value: sm.StateMachineArn(), Description: jsii.String("set " + envnames.GrantStateMachineARN + " to this for ssoflow grant, revoke and grants"),
	})
	return &GrantStateMachine{Construct: c, StateMachine: sm, Function: fn}
}

// nagAccount is the account as cdk-nag prints it in a finding: the pseudo parameter when the
// stack's account is not configured, else the configured account.
func nagAccount(stack awscdk.Stack) string {
	if *awscdk.Token_IsUnresolved(stack.Account()) {
		return "<AWS::AccountId>"
	}
	return *stack.Account()
}

// nagRegion is how cdk-nag spells the stack's region in a finding: the region when the stack's
// environment names one, else the pseudo parameter.
func nagRegion(stack awscdk.Stack) string {
	if *awscdk.Token_IsUnresolved(stack.Region()) {
		return "<AWS::Region>"
	}
	return *stack.Region()
}
