// Command infra is ssoflow's CDK app (cdk.json: "go run ./infra"). It is the only place that
// reads CDK context: `-c env=<name>` selects a block of cdk.json's context (default "dev"),
// which is validated before any construct is built.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/ssoflow/ssoflow/infra/config"
	"github.com/ssoflow/ssoflow/infra/stacks"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	env := "dev"
	if v, ok := app.Node().TryGetContext(jsii.String("env")).(string); ok && v != "" {
		env = v
	}
	cfg, err := config.Parse(env, app.Node().TryGetContext(jsii.String(env)))
	if err != nil {
		fmt.Fprintf(os.Stderr, "ssoflow: invalid configuration in cdk.json:\n  %v\n", err)
		os.Exit(1)
	}
	root, err := os.Getwd()
	if err != nil {
		fmt.Fprintf(os.Stderr, "ssoflow: %v\n", err)
		os.Exit(1)
	}
	stacks.NewApp(app, stacks.AppProps{Config: cfg, RepoRoot: root})
	app.Synth(nil)
}
