package orgsemu

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/ssoflow/ssoflow/functions/internal/awsconf"
)

// NewClient returns the real SDK Organizations client pointed at an emulator served at url, with
// static credentials so requests are SigV4-signed as in AWS, and no SDK retries (the state
// machine's Retry is what retries a throttled step).
func NewClient(url string, optFns ...func(*organizations.Options)) *organizations.Client {
	cfg := aws.Config{
		HTTPClient:       awsconf.HTTPClient(), // see awsconf.WithoutBodyWriteTo
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		RetryMaxAttempts: 1,
	}
	opts := append([]func(*organizations.Options){func(o *organizations.Options) { o.BaseEndpoint = aws.String(url) }}, optFns...)
	return organizations.NewFromConfig(cfg, opts...)
}
