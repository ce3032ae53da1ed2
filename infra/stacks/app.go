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
	// Access is nil unless the config has an access block.
	Access *AccessStack
	// Grant is nil unless identityCenter.instanceArn is configured.
	Grant *GrantStateMachine
	// Databases are the database-access stacks, one per (account, region) with databases
	// outside the pipeline's (none in a single-account deployment).
	Databases []*DatabaseAccessStack
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
	remote := RemoteProvisioners(cfg)
	for _, t := range remote.Targets {
		dsp := awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String(t.Account), Region: jsii.String(t.Region)}, Tags: &tags,
			Description: jsii.String("ssoflow database access: the provisioner for the databases of this account and region, invoked by the pipeline")}
		d := NewDatabaseAccessStack(app, t.StackName, DatabaseAccessStackProps{StackProps: dsp, Config: cfg, RepoRoot: p.RepoRoot, Remote: remote, Target: t})
		// Deployed first, so the far side exists when the state machine first reaches it.
		a.Pipeline.Stack.AddStackDependency(d.Stack, jsii.String("the provision state machine invokes the provisioner of "+t.Account+"/"+t.Region))
		a.Databases = append(a.Databases, d)
	}
	if cfg.GrantsEnabled() {
		a.Grant = NewGrantStateMachine(a.Pipeline.Stack, "Grants", GrantStateMachineProps{
			Prefix: cfg.Prefix, RepoRoot: p.RepoRoot, InstanceArn: cfg.IdentityCenter.InstanceArn, IdentityStoreID: cfg.IdentityCenter.IdentityStoreID,
			MaxHours: cfg.GrantMaxHoursOrDefault(), LogRetention: cfg.LogRetentionDays, LogLevel: cfg.LogLevel, Notifications: a.Notifications,
			Monitoring: a.Pipeline.Monitoring,
		})
	}
	if cfg.Access != nil {
		sp.Description = jsii.String("ssoflow access: Identity Center permission sets and group assignments, as code")
		a.Access = NewAccessStack(app, cfg.Prefix+"-access", AccessStackProps{StackProps: sp, Config: cfg})
	}
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	return a
}
