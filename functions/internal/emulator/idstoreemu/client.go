package idstoreemu

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/identitystore"

	"github.com/ssoflow/ssoflow/functions/internal/awsconf"
)

// NewClient returns the real SDK identity store client pointed at an emulator served at url
// (an httptest.Server's URL), with static credentials so requests are SigV4-signed as in AWS.
// optFns adjust the client further (for example its retryer).
func NewClient(url string, optFns ...func(*identitystore.Options)) *identitystore.Client {
	cfg := aws.Config{
		HTTPClient:  awsconf.HTTPClient(), // see awsconf.WithoutBodyWriteTo
		Region:      "eu-west-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
	}
	opts := append([]func(*identitystore.Options){func(o *identitystore.Options) {
		o.BaseEndpoint = aws.String(url)
	}}, optFns...)
	return identitystore.NewFromConfig(cfg, opts...)
}
