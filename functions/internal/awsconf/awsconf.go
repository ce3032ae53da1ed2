// Package awsconf builds AWS SDK configurations: the real one (default credential chain) for
// Lambda and the CLI, and a local one with static credentials for the emulators the tests and
// the demo run. Either way the real SDK clients are used; only the endpoint differs.
package awsconf

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/ssoflow/ssoflow/functions/internal/logging"
)

// Load returns the default configuration (environment, shared config, IMDS/Lambda role),
// its HTTP client wrapped by WithoutBodyWriteTo, and throttled calls logged (LogThrottling).
func Load(ctx context.Context, optFns ...func(*config.LoadOptions) error) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx, optFns...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	// Wrapped after loading: the loader adds AWS_CA_BUNDLE only to its own buildable client.
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = awshttp.NewBuildableClient()
	}
	cfg.HTTPClient = WithoutBodyWriteTo(cfg.HTTPClient)
	cfg.APIOptions = append(cfg.APIOptions, LogThrottling(logging.Default("info")))
	return cfg, nil
}

// LocalAccessKey and LocalSecretKey are the static credentials of local emulators: not secrets,
// they exist so the SDK signs requests exactly as it would against AWS.
const (
	LocalAccessKey = "AKIDLOCALSSOFLOW0001"
	LocalSecretKey = "local/emulator/secret/key/not/a/secret000"
	LocalRegion    = "us-east-1"
)

// Local is a configuration for emulators: static credentials, a fixed region, few retries,
// and the HTTP client every SDK client of ssoflow's uses.
func Local() aws.Config {
	return aws.Config{
		Region:           LocalRegion,
		Credentials:      credentials.NewStaticCredentialsProvider(LocalAccessKey, LocalSecretKey, ""),
		RetryMaxAttempts: 2,
		HTTPClient:       HTTPClient(),
	}
}
