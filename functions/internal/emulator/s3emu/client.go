package s3emu

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ssoflow/ssoflow/functions/internal/awsconf"
)

// NewClient returns the real SDK S3 client pointed at an emulator served at url: static
// credentials so requests are SigV4-signed as in AWS, region us-east-1, path-style addressing
// (the emulator does not serve bucket host names) and no SDK retries. Checksums are set to what
// config.LoadDefaultConfig gives production (WhenSupported: a CRC32 on every PutObject,
// response validation on GetObject): a hand-built aws.Config leaves them unset, and the S3
// client then sends no checksum at all. For an httptest.NewTLSServer pass
// func(o *s3.Options) { o.HTTPClient = awsconf.WithoutBodyWriteTo(srv.Client()) }: over https the SDK switches PutObject
// to an aws-chunked body with a trailing checksum.
func NewClient(url string, optFns ...func(*s3.Options)) *s3.Client {
	cfg := aws.Config{
		HTTPClient:       awsconf.HTTPClient(), // see awsconf.WithoutBodyWriteTo
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		RetryMaxAttempts: 1,
		// The defaults config.LoadDefaultConfig resolves when nothing overrides them.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	}
	opts := append([]func(*s3.Options){func(o *s3.Options) {
		o.BaseEndpoint = aws.String(url)
		o.UsePathStyle = true
	}}, optFns...)
	return s3.NewFromConfig(cfg, opts...)
}
