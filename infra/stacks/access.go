package stacks

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssso"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/ssoflow/ssoflow/infra/config"
)

// AccessStackProps configure access as code. Config.Access must be set and validated
// (config.Parse read and checked every policy file).
type AccessStackProps struct {
	awscdk.StackProps
	Config *config.Config
}

// AccessStack holds the Identity Center permission sets and their group assignments; it must be
// deployed to the Identity Center instance's account (the organization's management account or
// the delegated administrator). Saml is the separate federation stack for accounts outside
// Identity Center, nil unless access.saml is configured.
type AccessStack struct {
	awscdk.Stack
	// PermissionSets by name.
	PermissionSets map[string]awssso.CfnPermissionSet
	// Assignments by "group/permission set/account".
	Assignments map[string]awssso.CfnAssignment
	Saml        *SamlStack
}

// NewAccessStack builds the "<prefix>-access" stack (id) and, when access.saml is set, the
// "<prefix>-saml" stack beside it in scope.
func NewAccessStack(scope constructs.Construct, id string, p AccessStackProps) *AccessStack {
	cfg, acc := p.Config, p.Config.Access
	stack := awscdk.NewStack(scope, jsii.String(id), &p.StackProps)
	s := &AccessStack{Stack: stack, PermissionSets: map[string]awssso.CfnPermissionSet{}, Assignments: map[string]awssso.CfnAssignment{}}
	instance := jsii.String(cfg.IdentityCenter.InstanceArn)
	for _, ps := range acc.PermissionSets {
		props := &awssso.CfnPermissionSetProps{
			InstanceArn: instance,
			Name:        jsii.String(ps.Name),
		}
		if ps.Description != "" {
			props.Description = jsii.String(ps.Description)
		}
		if ps.SessionDuration != "" {
			props.SessionDuration = jsii.String(ps.SessionDuration)
		}
		if len(ps.ManagedPolicyArns) > 0 {
			props.ManagedPolicies = jsii.Strings(ps.ManagedPolicyArns...)
		}
		if ps.InlinePolicy != "" {
			props.InlinePolicy = policyObject(ps)
		}
		s.PermissionSets[ps.Name] = awssso.NewCfnPermissionSet(stack, jsii.String("PermissionSet"+ps.Name), props)
	}
	for _, t := range acc.AssignmentTargets() {
		group, set, account := t[0], t[1], t[2]
		key := group + "/" + set + "/" + account
		s.Assignments[key] = awssso.NewCfnAssignment(stack, jsii.String("Assignment-"+group+"-"+set+"-"+account), &awssso.CfnAssignmentProps{
			InstanceArn:      instance,
			PermissionSetArn: s.PermissionSets[set].AttrPermissionSetArn(),
			PrincipalType:    jsii.String("GROUP"),
			PrincipalId:      jsii.String(acc.Groups[group]),
			TargetType:       jsii.String("AWS_ACCOUNT"),
			TargetId:         jsii.String(account),
		})
	}
	for name, ps := range s.PermissionSets {
		awscdk.NewCfnOutput(stack, jsii.String("PermissionSetArn"+name), &awscdk.CfnOutputProps{
			Value:       ps.AttrPermissionSetArn(),
			Description: jsii.String("ARN of the " + name + " permission set"),
		})
	}
	if acc.SAML != nil {
		sp := p.StackProps
		if acc.SAML.Account != "" {
			region := cfg.Region
			sp.Env = &awscdk.Environment{Account: jsii.String(acc.SAML.Account), Region: jsii.String(region)}
		}
		sp.Description = jsii.String("ssoflow SAML federation: IAM roles per IdP group for an account outside Identity Center")
		s.Saml = NewSamlStack(scope, cfg.Prefix+"-saml", SamlStackProps{StackProps: sp, Prefix: cfg.Prefix, Access: acc})
	}
	return s
}

// policyObject is the permission set's inline policy as a JSON object, so the template shows
// its structure (CloudFormation takes either form).
func policyObject(ps config.PermissionSet) map[string]any {
	var doc map[string]any
	if err := json.Unmarshal([]byte(ps.InlinePolicy), &doc); err != nil {
		// config.Parse already validated the document; reaching this is a programming error.
		panic(fmt.Sprintf("permission set %s: inline policy from %s: %v", ps.Name, ps.InlinePolicyFile, err))
	}
	return doc
}
