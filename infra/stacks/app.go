// Package stacks holds ssoflow's CDK stacks and constructs: one construct per concern, each
// configured by its XxxProps. Nothing here reads the environment or CDK context: infra/main.go
// does that once and passes a validated config.Config down.
package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/ssoflow/ssoflow/infra/config"
)

// AppProps configure the whole app.
type AppProps struct {
	Config   *config.Config
	RepoRoot string
}

// App is every stack of one environment.
type App struct {
	Notifications *NotificationsStack
	Pipeline      *PipelineStack
}

// NewApp adds ssoflow's stacks to app and turns on the cdk-nag AwsSolutions checks.
func NewApp(app awscdk.App, p AppProps) *App {
	cfg := p.Config
	var env *awscdk.Environment
	if cfg.Account != "" {
		env = &awscdk.Environment{Account: jsii.String(cfg.Account), Region: jsii.String(cfg.Region)}
	} else {
		env = &awscdk.Environment{Region: jsii.String(cfg.Region)}
	}
	tags := map[string]*string{"project": jsii.String("ssoflow"), "ssoflow:env": jsii.String(cfg.Env)}
	sp := awscdk.StackProps{Env: env, Tags: &tags}

	a := &App{}
	sp.Description = jsii.String("ssoflow notifications: failure and access messages for people")
	a.Notifications = NewNotificationsStack(app, cfg.Prefix+"-notifications", NotificationsStackProps{
		StackProps: sp, Prefix: cfg.Prefix, Email: cfg.NotificationEmail,
	})
	sp.Description = jsii.String("ssoflow pipeline: Okta → Identity Center → databases, on Step Functions")
	a.Pipeline = NewPipelineStack(app, cfg.Prefix+"-pipeline", PipelineStackProps{
		StackProps: sp, Config: cfg, RepoRoot: p.RepoRoot, Notifications: a.Notifications,
	})
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	return a
}
