package ssoadminemu

import (
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"

	"github.com/ssoflow/ssoflow/functions/internal/awsconf"
)

// AddPermissionSet seeds a permission set and returns its ARN
// (arn:aws:sso:::permissionSet/<instance id>/ps-<16 hex>).
func (s *Server) AddPermissionSet(name, description string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	arn := fmt.Sprintf("arn:aws:sso:::permissionSet/%s/ps-%s", s.instanceID, newID()[:8]+newID()[:8])
	s.permissionSets[arn] = &permissionSet{Name: name, Description: description, Arn: arn, SessionDuration: "PT1H", Created: time.Now().UTC()}
	s.psOrder = append(s.psOrder, arn)
	return arn
}

// AddAccount makes account id a member of the organization: assignments to other accounts fail.
func (s *Server) AddAccount(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accounts[id] = true
}

// Assign seeds an assignment that exists already (for example a permanent one).
func (s *Server) Assign(a Assignment) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.assignments[a] = true
}

// Assigned reports whether the assignment exists now.
func (s *Server) Assigned(a Assignment) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.assignments[a]
}

// Assignments returns every assignment that exists, sorted.
func (s *Server) Assignments() []Assignment {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sortedAssignments()
}

// NewClient returns the real SDK sso-admin client pointed at an emulator served at url, with
// static credentials so requests are SigV4-signed as in AWS.
func NewClient(url string, optFns ...func(*ssoadmin.Options)) *ssoadmin.Client {
	cfg := aws.Config{
		HTTPClient:       awsconf.HTTPClient(), // see awsconf.WithoutBodyWriteTo
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		RetryMaxAttempts: 1,
	}
	opts := append([]func(*ssoadmin.Options){func(o *ssoadmin.Options) { o.BaseEndpoint = aws.String(url) }}, optFns...)
	return ssoadmin.NewFromConfig(cfg, opts...)
}
