package stacks

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/ssoflow/ssoflow/infra/config"
)

// SamlStackProps configure direct SAML federation for an account outside Identity Center.
type SamlStackProps struct {
	awscdk.StackProps
	Prefix string
	// Access is the validated access block; Access.SAML must be set. Each role gets the
	// policies of the permission set it names, so both ways in grant the same.
	Access *config.Access
}

// SamlStack is an IAM SAML provider made from the IdP's metadata, one role per IdP group that
// only that provider can assume (SAML audience https://signin.aws.amazon.com/saml), and the
// role-listing user the IdP's AWS app uses to discover the roles.
type SamlStack struct {
	awscdk.Stack
	Provider awsiam.SamlProvider
	// Roles by role name.
	Roles map[string]awsiam.Role
	// RoleListingUser is nil when access.saml.roleListingUser is false.
	RoleListingUser awsiam.User
}

// NewSamlStack builds the stack.
func NewSamlStack(scope constructs.Construct, id string, p SamlStackProps) *SamlStack {
	sc := p.Access.SAML
	stack := awscdk.NewStack(scope, jsii.String(id), &p.StackProps)
	s := &SamlStack{Stack: stack, Roles: map[string]awsiam.Role{}}
	name := sc.ProviderName
	if name == "" {
		name = p.Prefix + "-idp"
	}
	s.Provider = awsiam.NewSamlProvider(stack, jsii.String("Provider"), &awsiam.SamlProviderProps{
		Name:             jsii.String(name),
		MetadataDocument: awsiam.SamlMetadataDocument_FromXml(jsii.String(sc.Metadata)),
	})
	awscdk.NewCfnOutput(stack, jsii.String("ProviderArn"), &awscdk.CfnOutputProps{
		Value:       s.Provider.SamlProviderArn(),
		Description: jsii.String("Identity provider ARN to enter in the IdP's AWS app"),
	})
	for _, r := range sc.Roles {
		s.Roles[r.RoleName] = samlRole(stack, s.Provider, r, p.Access.PermissionSet(r.PermissionSet))
	}
	if sc.WantsRoleListingUser() {
		s.RoleListingUser = roleListingUser(stack, p.Prefix)
	}
	return s
}

func samlRole(stack awscdk.Stack, provider awsiam.SamlProvider, r config.SAMLRole, ps *config.PermissionSet) awsiam.Role {
	props := &awsiam.RoleProps{
		RoleName: jsii.String(r.RoleName),
		// SamlConsolePrincipal: sts:AssumeRoleWithSAML by this provider only, with
		// SAML:aud = https://signin.aws.amazon.com/saml; session tags carry the person's name
		// for ${aws:PrincipalTag/name} policies.
		AssumedBy:   awsiam.NewSamlConsolePrincipal(provider, nil).WithSessionTags(),
		Description: jsii.String(fmt.Sprintf("ssoflow: members of IdP group %s, with the %s permission set's policies", r.Group, ps.Name)),
	}
	if ps.SessionDuration != "" {
		props.MaxSessionDuration = awscdk.Duration_Minutes(jsii.Number(isoMinutes(ps.SessionDuration)))
	}
	var managed []awsiam.IManagedPolicy
	var nagApplies []string
	for i, arn := range ps.ManagedPolicyArns {
		managed = append(managed, awsiam.ManagedPolicy_FromManagedPolicyArn(stack, jsii.String(fmt.Sprintf("%s-Managed%d", r.RoleName, i)), jsii.String(arn)))
		nagApplies = append(nagApplies, "Policy::"+arn)
	}
	props.ManagedPolicies = &managed
	var wildcards []string
	if ps.InlinePolicy != "" {
		var doc map[string]any
		if err := json.Unmarshal([]byte(ps.InlinePolicy), &doc); err != nil {
			panic(fmt.Sprintf("permission set %s: %v", ps.Name, err)) // validated by config.Parse
		}
		props.InlinePolicies = &map[string]awsiam.PolicyDocument{ps.Name: awsiam.PolicyDocument_FromJson(doc)}
		wildcards = policyWildcards(doc)
	}
	role := awsiam.NewRole(stack, jsii.String("Role"+r.RoleName), props)
	if len(nagApplies) > 0 {
		suppress(role, "AwsSolutions-IAM4", fmt.Sprintf("The role carries exactly the AWS managed policies of the reviewed %s permission set "+
			"(cdk.json access.permissionSets), so federated and Identity Center users get the same access.", ps.Name), nagApplies...)
	}
	if len(wildcards) > 0 {
		suppress(role, "AwsSolutions-IAM5", fmt.Sprintf("The inline policy is the reviewed %s (permission set %s), unchanged: its wildcards are "+
			"ABAC on ${aws:PrincipalTag/name} or actions without resource-level permissions, as in Identity Center.", ps.InlinePolicyFile, ps.Name), wildcards...)
	}
	awscdk.NewCfnOutput(stack, jsii.String("RoleArn"+r.RoleName), &awscdk.CfnOutputProps{
		Value:       role.RoleArn(),
		Description: jsii.String("Role for IdP group " + r.Group),
	})
	return role
}

// roleListingUser is the IAM user whose access key the IdP's AWS app uses to list the roles it
// may offer (Okta: "AWS Account Federation" app, "Connect to AWS" API integration). Its access
// key is created by a person (docs/developer-access.md), so no secret is in any template.
func roleListingUser(stack awscdk.Stack, prefix string) awsiam.User {
	policy := awsiam.NewManagedPolicy(stack, jsii.String("RoleListingPolicy"), &awsiam.ManagedPolicyProps{
		ManagedPolicyName: jsii.String(prefix + "-idp-role-listing"),
		Description:       jsii.String("ssoflow: lets the IdP list this account's roles and alias, nothing else"),
		Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("iam:ListRoles", "iam:ListAccountAliases"),
			Resources: jsii.Strings("*"),
		})},
	})
	user := awsiam.NewUser(stack, jsii.String("RoleListingUser"), &awsiam.UserProps{
		UserName:        jsii.String(prefix + "-idp-role-listing"),
		ManagedPolicies: &[]awsiam.IManagedPolicy{policy},
	})
	suppress(policy, "AwsSolutions-IAM5", "iam:ListRoles and iam:ListAccountAliases support no resource-level permissions: Resource must be * "+
		"(https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html).", "Resource::*")
	awscdk.NewCfnOutput(stack, jsii.String("RoleListingUserName"), &awscdk.CfnOutputProps{
		Value:       user.UserName(),
		Description: jsii.String("Create its access key for the IdP: aws iam create-access-key --user-name <this>"),
	})
	return user
}

// policyWildcards lists the cdk-nag IAM5 findings a policy document raises: every action or
// resource containing a *, in cdk-nag's "Action::"/"Resource::" form.
func policyWildcards(doc map[string]any) []string {
	set := map[string]bool{}
	sts, _ := doc["Statement"].([]any)
	for _, st := range sts {
		m, _ := st.(map[string]any)
		for key, prefix := range map[string]string{"Action": "Action::", "NotAction": "Action::", "Resource": "Resource::", "NotResource": "Resource::"} {
			for _, v := range stringOrList(m[key]) {
				if strings.Contains(v, "*") {
					// cdk-nag writes ${aws:PrincipalTag/name} as <aws:PrincipalTag/name>.
					set[prefix+rePolicyVariable.ReplaceAllString(v, "<$1>")] = true
				}
			}
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func stringOrList(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

var rePolicyVariable = regexp.MustCompile(`\$\{([^}]*)\}`)

var reISODuration = regexp.MustCompile(`^PT(?:(\d+)H)?(?:(\d+)M)?$`)

// isoMinutes converts a validated PT#H#M duration to minutes.
func isoMinutes(d string) float64 {
	m := reISODuration.FindStringSubmatch(d)
	h, _ := strconv.Atoi(m[1])
	mins, _ := strconv.Atoi(m[2])
	return float64(h*60 + mins)
}
