package sfnemu

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/ssoflow/ssoflow/functions/internal/awsconf"
)

// NewClient returns the real SDK Step Functions client pointed at an emulator served at url,
// with static credentials so requests are SigV4-signed as in AWS.
func NewClient(url string, optFns ...func(*sfn.Options)) *sfn.Client {
	cfg := aws.Config{
		HTTPClient:       awsconf.HTTPClient(), // see awsconf.WithoutBodyWriteTo
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		RetryMaxAttempts: 1,
	}
	opts := append([]func(*sfn.Options){func(o *sfn.Options) { o.BaseEndpoint = aws.String(url) }}, optFns...)
	return sfn.NewFromConfig(cfg, opts...)
}
