package stacks

import (
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdklambdagoalpha/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// GoLambdaProps describe one of ssoflow's Go functions (functions/cmd/<Command>).
type GoLambdaProps struct {
	RepoRoot     string // repository root, where go.work and functions/ live
	Command      string // the directory under functions/cmd
	Description  string
	Environment  map[string]string
	TimeoutSecs  float64
	MemoryMiB    float64
	LogRetention int
	LogLevel     string
	// Files are copied next to the binary at bundling: name in the asset → absolute source path.
	Files map[string]string
	// FunctionName, when set, is the function's physical name (needed when another account
	// builds its ARN); empty lets CloudFormation generate one.
	FunctionName  string
	Vpc           awsec2.IVpc
	Subnets       *awsec2.SubnetSelection
	SecurityGroup awsec2.ISecurityGroup
	// DeadLetterQueue, when set, receives the asynchronous invocations the function still fails
	// after Lambda's retries (events from EventBridge are asynchronous invocations).
	DeadLetterQueue awssqs.IQueue
}

// GoLambda is a Go function built during synth without Docker (GoFunction's local bundling),
// for provided.al2023 on arm64, with X-Ray tracing, JSON logs and a log group whose retention
// the configuration sets.
type GoLambda struct {
	constructs.Construct
	// Command is the directory under functions/cmd the function is built from.
	Command  string
	Function awscdklambdagoalpha.GoFunction
	LogGroup awslogs.ILogGroup
}

// NewGoLambda builds the function.
func NewGoLambda(scope constructs.Construct, id string, p GoLambdaProps) *GoLambda {
	c := constructs.NewConstruct(scope, jsii.String(id))
	logs := awslogs.NewLogGroup(c, jsii.String("Logs"), &awslogs.LogGroupProps{
		Retention:     retention(p.LogRetention),
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	env := map[string]*string{}
	for k, v := range p.Environment {
		env[k] = jsii.String(v)
	}
	timeout := p.TimeoutSecs
	if timeout == 0 {
		timeout = 30
	}
	mem := p.MemoryMiB
	if mem == 0 {
		mem = 256
	}
	props := &awscdklambdagoalpha.GoFunctionProps{
		Entry:                 jsii.String(filepath.Join(p.RepoRoot, "functions", "cmd", p.Command)),
		ModuleDir:             jsii.String(filepath.Join(p.RepoRoot, "functions", "go.mod")),
		Description:           jsii.String(p.Description),
		Runtime:               awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:          awslambda.Architecture_ARM_64(),
		Tracing:               awslambda.Tracing_ACTIVE,
		LoggingFormat:         awslambda.LoggingFormat_JSON,
		ApplicationLogLevelV2: applicationLogLevel(p.LogLevel),
		SystemLogLevelV2:      awslambda.SystemLogLevel_WARN,
		LogGroup:              logs,
		Timeout:               awscdk.Duration_Seconds(jsii.Number(timeout)),
		MemorySize:            jsii.Number(mem),
		Environment:           &env,
		Bundling: &awscdklambdagoalpha.BundlingOptions{
			CgoEnabled:   jsii.Bool(false),
			GoBuildFlags: jsii.Strings(`-trimpath`, `-ldflags="-s -w"`),
			// Build the functions module on its own: it must not depend on the CDK module.
			Environment: &map[string]*string{"GOWORK": jsii.String("off")},
		},
	}
	if p.FunctionName != "" {
		props.FunctionName = jsii.String(p.FunctionName)
	}
	if p.DeadLetterQueue != nil {
		props.DeadLetterQueue = p.DeadLetterQueue
	}
	if len(p.Files) > 0 {
		props.Bundling.CommandHooks = &copyFiles{files: p.Files}
	}
	if p.Vpc != nil {
		props.Vpc = p.Vpc
		props.VpcSubnets = p.Subnets
		props.SecurityGroups = &[]awsec2.ISecurityGroup{p.SecurityGroup}
	}
	// Its own role, allowed to write to its own log group only, instead of the managed
	// AWSLambdaBasicExecutionRole (which allows every log group).
	role := awsiam.NewRole(c, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("ssoflow " + p.Command + " function"),
	})
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("WriteOwnLogs"),
		Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
		Resources: &[]*string{logs.LogGroupArn()},
	}))
	props.Role = role
	if p.Vpc != nil {
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("VpcNetworkInterfaces"),
			Actions:   jsii.Strings("ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"),
			Resources: jsii.Strings("*"),
		}))
		suppress(role, "AwsSolutions-IAM5", reasonENI, "Resource::*")
	}
	fn := awscdklambdagoalpha.NewGoFunction(c, jsii.String("Function"), props)
	if len(p.Files) > 0 {
		awscdk.Annotations_Of(c).AcknowledgeWarning(jsii.String("@aws-cdk/aws-lambda-go-alpha:commandHooksSecurityWarning"),
			jsii.String("the only hook is a quoted cp of files whose paths infra/config validated (a safe character set)"))
	}
	awscdk.Annotations_Of(c).AcknowledgeWarning(jsii.String("@aws-cdk/aws-lambda-go-alpha:goBuildFlagsSecurityWarning"),
		jsii.String("the build flags are constants in this file (-trimpath, -ldflags=-s -w), never configuration"))
	suppress(role, "AwsSolutions-IAM5", reasonXRay, "Resource::*")
	return &GoLambda{Construct: c, Command: p.Command, Function: fn, LogGroup: logs}
}

func applicationLogLevel(l string) awslambda.ApplicationLogLevel {
	switch l {
	case "debug":
		return awslambda.ApplicationLogLevel_DEBUG
	case "warn":
		return awslambda.ApplicationLogLevel_WARN
	case "error":
		return awslambda.ApplicationLogLevel_ERROR
	}
	return awslambda.ApplicationLogLevel_INFO
}

// retention maps the configured number of days to CloudWatch Logs' retention enum; config
// validation accepts only these values.
func retention(days int) awslogs.RetentionDays {
	m := map[int]awslogs.RetentionDays{
		1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS, 5: awslogs.RetentionDays_FIVE_DAYS,
		7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
		60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS, 120: awslogs.RetentionDays_FOUR_MONTHS,
		150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
		400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS, 731: awslogs.RetentionDays_TWO_YEARS,
		1096: awslogs.RetentionDays_THREE_YEARS, 1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
		2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS, 3288: awslogs.RetentionDays_NINE_YEARS,
		3653: awslogs.RetentionDays_TEN_YEARS,
	}
	if r, ok := m[days]; ok {
		return r
	}
	return awslogs.RetentionDays_THREE_MONTHS
}

// copyFiles is a bundling hook that copies files into the asset next to the bootstrap binary.
// Paths are validated by infra/config (a safe character set), and quoted here regardless.
type copyFiles struct{ files map[string]string }

func (c *copyFiles) BeforeBundling(inputDir, outputDir *string) *[]*string { return &[]*string{} }

func (c *copyFiles) AfterBundling(inputDir, outputDir *string) *[]*string {
	var cmds []*string
	for _, name := range sortedKeys(c.files) {
		cmds = append(cmds, jsii.String("cp '"+c.files[name]+"' '"+filepath.Join(*outputDir, name)+"'"))
	}
	return &cmds
}
