package smemu_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/ssoflow/ssoflow/functions/internal/awsconf"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/smemu"
)

func start(t *testing.T) (*smemu.Emulator, *secretsmanager.Client, string) {
	t.Helper()
	emu := smemu.New()
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	c := secretsmanager.NewFromConfig(aws.Config{
		HTTPClient: awsconf.HTTPClient(), Region: smemu.Region, RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
	}, func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	return emu, c, srv.URL
}

func get(c *secretsmanager.Client, in *secretsmanager.GetSecretValueInput) (*secretsmanager.GetSecretValueOutput, error) {
	return c.GetSecretValue(context.Background(), in)
}

var (
	reARN     = regexp.MustCompile(`^arn:aws:secretsmanager:us-east-1:123456789012:secret:ssoflow/okta-hook-[A-Za-z0-9]{6}$`)
	reVersion = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

// The real SDK client reads a secret by its name or its full ARN and gets its AWSCURRENT
// version; each Put makes a new version of the same secret.
func TestGetSecretValueByNameOrARN(t *testing.T) {
	emu, c, _ := start(t)
	const name = "ssoflow/okta-hook"
	emu.Put(name, "first")
	arn := emu.ARN(name)
	if !reARN.MatchString(arn) {
		t.Fatalf("ARN %q is not the name, a hyphen and six random characters", arn)
	}
	var versions []string
	for _, id := range []string{name, arn} {
		out, err := get(c, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
		if err != nil {
			t.Fatalf("GetSecretValue(%s): %v", id, err)
		}
		if aws.ToString(out.ARN) != arn || aws.ToString(out.Name) != name || aws.ToString(out.SecretString) != "first" ||
			!reVersion.MatchString(aws.ToString(out.VersionId)) || len(out.VersionStages) != 1 || out.VersionStages[0] != "AWSCURRENT" || out.CreatedDate == nil {
			t.Errorf("GetSecretValue(%s) = ARN %s Name %s value %q version %s stages %v created %v", id, aws.ToString(out.ARN), aws.ToString(out.Name),
				aws.ToString(out.SecretString), aws.ToString(out.VersionId), out.VersionStages, out.CreatedDate)
		}
		versions = append(versions, aws.ToString(out.VersionId))
	}
	emu.Put(name, "rotated")
	out, err := get(c, &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)})
	if err != nil || aws.ToString(out.SecretString) != "rotated" || aws.ToString(out.ARN) != arn || aws.ToString(out.VersionId) == versions[0] {
		t.Errorf("after a rotation: %+v %v, want the new value in a new version of the same secret", out, err)
	}
	if emu.Reads() != 3 {
		t.Errorf("Reads() = %d, want 3", emu.Reads())
	}
}

// Only the AWSCURRENT version is kept: another stage or version id is not found.
func TestVersionSelection(t *testing.T) {
	emu, c, _ := start(t)
	emu.Put("s", "v")
	cur, err := get(c, &secretsmanager.GetSecretValueInput{SecretId: aws.String("s")})
	if err != nil {
		t.Fatal(err)
	}
	ok := []*secretsmanager.GetSecretValueInput{
		{SecretId: aws.String("s"), VersionStage: aws.String("AWSCURRENT")},
		{SecretId: aws.String("s"), VersionId: cur.VersionId},
	}
	for _, in := range ok {
		if out, err := get(c, in); err != nil || aws.ToString(out.SecretString) != "v" {
			t.Errorf("%+v: %v %v", in, out, err)
		}
	}
	missing := []*secretsmanager.GetSecretValueInput{
		{SecretId: aws.String("s"), VersionStage: aws.String("AWSPREVIOUS")},
		{SecretId: aws.String("s"), VersionId: aws.String("00000000-0000-4000-8000-000000000000")},
	}
	for _, in := range missing {
		var nf *types.ResourceNotFoundException
		if _, err := get(c, in); !errors.As(err, &nf) {
			t.Errorf("%+v: %v, want ResourceNotFoundException", in, err)
		}
	}
}

// An unknown secret is ResourceNotFoundException, HTTP 400, with Secrets Manager's message.
func TestUnknownSecret(t *testing.T) {
	_, c, _ := start(t)
	_, err := get(c, &secretsmanager.GetSecretValueInput{SecretId: aws.String("nope")})
	var nf *types.ResourceNotFoundException
	var re *awshttp.ResponseError
	if !errors.As(err, &nf) || !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusBadRequest {
		t.Fatalf("got %v, want ResourceNotFoundException with HTTP 400", err)
	}
	if !strings.Contains(nf.ErrorMessage(), "can't find the specified secret") {
		t.Errorf("message %q", nf.ErrorMessage())
	}
}

// The AWS JSON protocol checks (awsjson): unsigned requests are refused with 403, operations
// other than GetSecretValue with 400.
func TestProtocol(t *testing.T) {
	emu, _, url := start(t)
	emu.Put("s", "v")
	post := func(target string, signed bool) int {
		req, _ := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(`{"SecretId":"s"}`))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", target)
		if signed {
			req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/secretsmanager/aws4_request, SignedHeaders=host, Signature=00")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post("secretsmanager.GetSecretValue", false); got != http.StatusForbidden {
		t.Errorf("unsigned: HTTP %d, want 403", got)
	}
	if got := post("secretsmanager.PutSecretValue", true); got != http.StatusBadRequest {
		t.Errorf("PutSecretValue: HTTP %d, want 400", got)
	}
	if got := post("secretsmanager.GetSecretValue", true); got != http.StatusOK {
		t.Errorf("signed GetSecretValue: HTTP %d, want 200", got)
	}
	if emu.Reads() != 1 {
		t.Errorf("Reads() = %d, want 1 (refused requests are not reads)", emu.Reads())
	}
}
