package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// SecretsProps name existing secrets to use instead of creating them.
type SecretsProps struct {
	Prefix             string
	OktaTokenSecretArn string
	SCIMTokenSecretArn string
}

// Secrets are the three values ssoflow's functions read from Secrets Manager at run time, never
// from environment variables: the Okta hook's Authorization value (generated here), the Okta
// API token and the Identity Center SCIM token (created empty for you to fill, unless the
// configuration names existing secrets).
type Secrets struct {
	constructs.Construct
	HookAuth  awssecretsmanager.ISecret
	OktaToken awssecretsmanager.ISecret
	SCIMToken awssecretsmanager.ISecret
}

// NewSecrets builds or imports the secrets.
func NewSecrets(scope constructs.Construct, id string, p SecretsProps) *Secrets {
	c := constructs.NewConstruct(scope, jsii.String(id))
	s := &Secrets{Construct: c}
	hook := awssecretsmanager.NewSecret(c, jsii.String("HookAuth"), &awssecretsmanager.SecretProps{
		SecretName:  jsii.String(p.Prefix + "/okta-hook-authorization"),
		Description: jsii.String("ssoflow: the Authorization header value Okta sends with every event hook call"),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			PasswordLength:     jsii.Number(48),
			ExcludePunctuation: jsii.Bool(true),
		},
	})
	cdknag.NagSuppressions_AddResourceSuppressions(hook, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-SMG4"),
		Reason: jsii.String("The hook secret is a shared value that must be changed in Okta's hook configuration at the same moment; " +
			"automatic rotation would break delivery. Rotate by putting a new value and updating the hook (README, Operations); the function picks up the new value without a restart."),
	}}, jsii.Bool(true))
	s.HookAuth = hook
	s.OktaToken = external(c, "OktaToken", p.OktaTokenSecretArn, p.Prefix+"/okta-api-token",
		"ssoflow: Okta API token (read-only admin); put the token here after deploying")
	s.SCIMToken = external(c, "ScimToken", p.SCIMTokenSecretArn, p.Prefix+"/scim-access-token",
		"ssoflow: Identity Center SCIM access token; put the token here after deploying")
	return s
}

// external imports arn, or creates a secret to be filled by hand with a token another system
// issues (so it cannot be rotated by Secrets Manager).
func external(scope constructs.Construct, id, arn, name, desc string) awssecretsmanager.ISecret {
	if arn != "" {
		return awssecretsmanager.Secret_FromSecretCompleteArn(scope, jsii.String(id), jsii.String(arn))
	}
	sec := awssecretsmanager.NewSecret(scope, jsii.String(id), &awssecretsmanager.SecretProps{
		SecretName:  jsii.String(name),
		Description: jsii.String(desc),
	})
	cdknag.NagSuppressions_AddResourceSuppressions(sec, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-SMG4"),
		Reason: jsii.String("The token is issued by Okta or Identity Center, not by AWS; Secrets Manager cannot rotate it. " +
			"Identity Center SCIM tokens expire after one year: the README's Operations section says how to renew them."),
	}}, jsii.Bool(true))
	return sec
}
