package rdstoken_test

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/rds/auth"

	"github.com/ssoflow/ssoflow/functions/internal/rdstoken"
)

// exampleCreds are the AWS documentation's example keys; testdata/tokens/sdk-*.txt were built
// from them with auth.BuildAuthToken.
var exampleCreds = aws.Credentials{
	AccessKeyID:     "AKIDEXAMPLE",
	SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
}

func sdkToken(t testing.TB, endpoint, region, user string, creds aws.Credentials) string {
	t.Helper()
	p := credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)
	tok, err := auth.BuildAuthToken(context.Background(), endpoint, region, user, p)
	if err != nil {
		t.Fatalf("BuildAuthToken: %v", err)
	}
	return tok
}

// TestSDKTokensVerify checks the independent signature computation against tokens made now by
// the SDK, across the shapes that change the canonical request.
func TestSDKTokensVerify(t *testing.T) {
	session := aws.Credentials{AccessKeyID: "ASIAEXAMPLE", SecretAccessKey: "s3cr3t/+=", SessionToken: "FwoG+/=tok en"}
	cases := []struct {
		name, host string
		port       int
		user       string
		creds      aws.Credentials
	}{
		{"plain", "db.example.internal", 3306, "alice", exampleCreds},
		{"ip and symbols", "127.0.0.1", 5432, "bob.smith@example.com", exampleCreds},
		{"space in user", "db.example.internal", 3306, "a b+c", exampleCreds},
		{"session token", "db.example.internal", 3306, "carol", session},
		{"default https port", "db.example.internal", 443, "dave", exampleCreds},
		{"ipv6", "::1", 3306, "erin", exampleCreds},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			endpoint := c.host + ":" + strconv.Itoa(c.port)
			if strings.Contains(c.host, ":") {
				endpoint = "[" + c.host + "]:" + strconv.Itoa(c.port)
			}
			tok := sdkToken(t, endpoint, "eu-west-1", c.user, c.creds)
			if err := rdstoken.Verify(tok, c.host, c.port, c.user, "eu-west-1", c.creds, time.Now()); err != nil {
				t.Fatalf("Verify(SDK token %q): %v", tok, err)
			}
		})
	}
}

// TestGoldenVector verifies a token the SDK made on 2026-11-21 at a fixed clock, so it does not
// depend on the current time.
func TestGoldenVector(t *testing.T) {
	raw, err := os.ReadFile("testdata/tokens/sdk-1.txt")
	if err != nil {
		t.Fatal(err)
	}
	tok := string(raw)
	p, err := rdstoken.Parse(tok)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	at := p.Date.Add(time.Minute)
	if err := rdstoken.Verify(tok, "db.example.internal", 3306, "alice", "eu-west-1", exampleCreds, at); err != nil {
		t.Fatalf("Verify golden token: %v", err)
	}
	if err := rdstoken.Verify(tok, "db.example.internal", 3306, "alice", "eu-west-1", exampleCreds, p.ExpiresAt()); !errors.Is(err, rdstoken.ErrExpired) {
		t.Fatalf("at expiry: got %v, want ErrExpired", err)
	}
}

func TestRefusals(t *testing.T) {
	now := time.Now()
	good := sdkToken(t, "db.example.internal:3306", "eu-west-1", "alice", exampleCreds)
	parsed, err := rdstoken.Parse(good)
	if err != nil {
		t.Fatal(err)
	}
	signedAt := parsed.Date
	other := aws.Credentials{AccessKeyID: "AKIDOTHER", SecretAccessKey: "other-secret"}
	sameKeyOtherSecret := aws.Credentials{AccessKeyID: exampleCreds.AccessKeyID, SecretAccessKey: "not-the-secret"}
	past, err := rdstoken.BuildAt(context.Background(), "db.example.internal:3306", "eu-west-1", "alice", exampleCreds, now.Add(-16*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	future, err := rdstoken.BuildAt(context.Background(), "db.example.internal:3306", "eu-west-1", "alice", exampleCreds, now.Add(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	withSession := aws.Credentials{AccessKeyID: "ASIAX", SecretAccessKey: "s", SessionToken: "tok"}
	sessionTok := sdkToken(t, "db.example.internal:3306", "eu-west-1", "alice", withSession)

	cases := []struct {
		name  string
		token string
		host  string
		port  int
		user  string
		reg   string
		creds aws.Credentials
		at    time.Time
		want  error
	}{
		{"other user", good, "db.example.internal", 3306, "bob", "eu-west-1", exampleCreds, now, rdstoken.ErrUser},
		{"other port", good, "db.example.internal", 3307, "alice", "eu-west-1", exampleCreds, now, rdstoken.ErrEndpoint},
		{"other host", good, "db2.example.internal", 3306, "alice", "eu-west-1", exampleCreds, now, rdstoken.ErrEndpoint},
		{"other region", good, "db.example.internal", 3306, "alice", "us-east-1", exampleCreds, now, rdstoken.ErrScope},
		{"other access key", good, "db.example.internal", 3306, "alice", "eu-west-1", other, now, rdstoken.ErrCredentials},
		{"wrong secret", good, "db.example.internal", 3306, "alice", "eu-west-1", sameKeyOtherSecret, now, rdstoken.ErrSignature},
		{"session token dropped", strings.Replace(sessionTok, "&X-Amz-Security-Token=tok", "", 1), "db.example.internal", 3306, "alice", "eu-west-1", withSession, now, rdstoken.ErrCredentials},
		{"expired at 15 minutes", good, "db.example.internal", 3306, "alice", "eu-west-1", exampleCreds, signedAt.Add(15 * time.Minute), rdstoken.ErrExpired},
		{"signed in the past", past, "db.example.internal", 3306, "alice", "eu-west-1", exampleCreds, now, rdstoken.ErrExpired},
		{"signed in the future", future, "db.example.internal", 3306, "alice", "eu-west-1", exampleCreds, now, rdstoken.ErrNotYetValid},
		{"user swapped in token", strings.Replace(good, "DBUser=alice", "DBUser=bob", 1), "db.example.internal", 3306, "bob", "eu-west-1", exampleCreds, now, rdstoken.ErrSignature},
		{"expiry shortened in token", strings.Replace(good, "X-Amz-Expires=900", "X-Amz-Expires=899", 1), "db.example.internal", 3306, "alice", "eu-west-1", exampleCreds, now, rdstoken.ErrSignature},
		{"extra parameter", good + "&x=1", "db.example.internal", 3306, "alice", "eu-west-1", exampleCreds, now, rdstoken.ErrSignature},
		{"no credentials", good, "db.example.internal", 3306, "alice", "eu-west-1", aws.Credentials{}, now, rdstoken.ErrCredentials},
		{"empty", "", "db.example.internal", 3306, "alice", "eu-west-1", exampleCreds, now, rdstoken.ErrMalformed},
		{"plain password", "hunter2", "db.example.internal", 3306, "alice", "eu-west-1", exampleCreds, now, rdstoken.ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := rdstoken.Verify(c.token, c.host, c.port, c.user, c.reg, c.creds, c.at)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
	// The last valid instant is accepted: expiry is exclusive.
	if err := rdstoken.Verify(good, "db.example.internal", 3306, "alice", "eu-west-1", exampleCreds, signedAt.Add(15*time.Minute-time.Second)); err != nil {
		t.Fatalf("one second before expiry: %v", err)
	}
}

func TestBuildAtMatchesSDKShape(t *testing.T) {
	sdk, err := rdstoken.Parse(sdkToken(t, "h.example:3306", "eu-west-1", "u", exampleCreds))
	if err != nil {
		t.Fatal(err)
	}
	at := sdk.Date
	own, err := rdstoken.BuildAt(context.Background(), "h.example:3306", "eu-west-1", "u", exampleCreds, at)
	if err != nil {
		t.Fatal(err)
	}
	p, err := rdstoken.Parse(own)
	if err != nil {
		t.Fatal(err)
	}
	// Same inputs and signing second give the same signature as the SDK's BuildAuthToken.
	if p.Signature != sdk.Signature || p.Expires != sdk.Expires || p.HostPort != sdk.HostPort {
		t.Fatalf("BuildAt token %+v differs from SDK token %+v", p, sdk)
	}
}

func TestParseRejects(t *testing.T) {
	good := sdkToken(t, "db.example.internal:3306", "eu-west-1", "alice", exampleCreds)
	bad := map[string]string{
		"no query":           "db.example.internal:3306",
		"no port":            strings.Replace(good, ":3306", "", 1),
		"port zero":          strings.Replace(good, ":3306", ":0", 1),
		"port sign":          strings.Replace(good, ":3306", ":+336", 1),
		"scheme":             "https://" + good,
		"path":               strings.Replace(good, ":3306", ":3306/x", 1),
		"dup user":           good + "&DBUser=bob",
		"bad escape":         good + "&%zz=1",
		"alg":                strings.Replace(good, "AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1", 1),
		"expires too long":   strings.Replace(good, "X-Amz-Expires=900", "X-Amz-Expires=901", 1),
		"expires zero":       strings.Replace(good, "X-Amz-Expires=900", "X-Amz-Expires=0", 1),
		"signed headers":     strings.Replace(good, "X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=host%3Bx", 1),
		"short signature":    good[:len(good)-1],
		"scope terminator":   strings.Replace(good, "aws4_request", "aws5_request", 1),
		"no action":          strings.Replace(good, "Action=connect&", "", 1),
		"too long":           good + "&pad=" + strings.Repeat("a", rdstoken.MaxLen),
		"credential parts":   strings.Replace(good, "%2Frds-db", "", 1),
		"scope date differs": strings.Replace(good, "X-Amz-Date=20", "X-Amz-Date=19", 1),
	}
	for name, tok := range bad {
		if _, err := rdstoken.Parse(tok); !errors.Is(err, rdstoken.ErrMalformed) {
			t.Errorf("%s: Parse(%q) = %v, want ErrMalformed", name, tok, err)
		}
	}
	// "host:port/?" (older SDKs) is accepted.
	if _, err := rdstoken.Parse(strings.Replace(good, "?", "/?", 1)); err != nil {
		t.Errorf("slash form: %v", err)
	}
}
