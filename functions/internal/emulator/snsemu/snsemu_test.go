package snsemu_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"

	"github.com/ssoflow/ssoflow/functions/internal/awsconf"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/snsemu"
)

const topic = "arn:aws:sns:us-east-1:123456789012:ssoflow-failures"

func start(t *testing.T) (*snsemu.Emulator, *sns.Client, string) {
	t.Helper()
	emu := snsemu.New()
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	c := sns.NewFromConfig(aws.Config{
		HTTPClient: awsconf.HTTPClient(), Region: "us-east-1", RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
	}, func(o *sns.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	return emu, c, srv.URL
}

func publish(c *sns.Client, subject *string, message string) (*sns.PublishOutput, error) {
	return c.Publish(context.Background(), &sns.PublishInput{TopicArn: aws.String(topic), Subject: subject, Message: aws.String(message)})
}

// apiError returns the error code and HTTP status of an SDK error.
func apiError(t *testing.T, err error) (string, int) {
	t.Helper()
	var ae smithy.APIError
	var re *awshttp.ResponseError
	if !errors.As(err, &ae) || !errors.As(err, &re) {
		t.Fatalf("not an API error: %T %v", err, err)
	}
	return ae.ErrorCode(), re.HTTPStatusCode()
}

// The real SDK client publishes; the emulator keeps what a subscriber would receive and
// answers a MessageId.
func TestPublishRecordsTheMessage(t *testing.T) {
	emu, c, _ := start(t)
	out, err := publish(c, aws.String("ssoflow: grant failed"), "Alice's grant could not be created.\nRetry with: ssoflow replay x")
	if err != nil {
		t.Fatal(err)
	}
	if len(aws.ToString(out.MessageId)) != 36 {
		t.Errorf("MessageId %q", aws.ToString(out.MessageId))
	}
	if _, err := publish(c, nil, "no subject at all"); err != nil {
		t.Fatalf("Publish without a Subject: %v", err)
	}
	got := emu.Messages()
	if len(got) != 2 || got[0].TopicArn != topic || got[0].Subject != "ssoflow: grant failed" || !strings.HasSuffix(got[0].Message, "replay x") || got[1].Subject != "" {
		t.Errorf("recorded %+v", got)
	}
}

// Publish refuses, with InvalidParameter (HTTP 400), what SNS refuses.
func TestPublishLimits(t *testing.T) {
	emu, c, _ := start(t)
	cases := []struct {
		name    string
		subject *string
		message string
		ok      bool
	}{
		{"subject of 99 characters", aws.String(strings.Repeat("s", 99)), "m", true},
		{"subject of 100 characters", aws.String(strings.Repeat("s", 100)), "m", false},
		{"empty subject", aws.String(""), "m", false},
		{"subject with a line break", aws.String("two\nlines"), "m", false},
		{"subject with a carriage return", aws.String("two\rlines"), "m", false},
		{"subject with a tab", aws.String("a\tb"), "m", false},
		{"subject with a control character", aws.String("bell\a"), "m", false},
		{"subject outside ASCII", aws.String("échec"), "m", false},
		{"subject beginning with a space", aws.String(" leading"), "m", false},
		{"subject beginning with punctuation", aws.String("[ssoflow] failed: 100%"), "m", true},
		{"empty message", nil, "", false},
		{"message of 262144 bytes", nil, strings.Repeat("é", 256*1024/2), true},
		{"message of 262145 bytes", nil, strings.Repeat("é", 256*1024/2) + "x", false},
		{"message not UTF-8", nil, "caf\xe9", false},
	}
	want := 0
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := publish(c, tc.subject, tc.message)
			if tc.ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				want++
				return
			}
			var ip *types.InvalidParameterException
			if !errors.As(err, &ip) {
				t.Fatalf("got %v, want InvalidParameterException", err)
			}
			if code, status := apiError(t, err); code != "InvalidParameter" || status != http.StatusBadRequest {
				t.Errorf("got %s HTTP %d, want InvalidParameter 400", code, status)
			}
		})
	}
	if got := len(emu.Messages()); got != want {
		t.Errorf("%d messages recorded, want only the %d accepted", got, want)
	}
}

// FailNext answers 500 InternalError, a server fault, and records nothing.
func TestInjectedFailure(t *testing.T) {
	emu, c, url := start(t)
	emu.FailNext(1)
	_, err := publish(c, nil, "m")
	var ie *types.InternalErrorException
	if !errors.As(err, &ie) {
		t.Fatalf("got %v, want InternalErrorException", err)
	}
	if code, status := apiError(t, err); code != "InternalError" || status != http.StatusInternalServerError {
		t.Errorf("got %s HTTP %d, want InternalError 500", code, status)
	}
	if len(emu.Messages()) != 0 {
		t.Error("a failed Publish was recorded")
	}
	if _, err := publish(c, nil, "m"); err != nil {
		t.Fatalf("after the injected failure: %v", err)
	}
	emu.FailNext(1)
	status, body := post(t, url, publishForm("Publish"), true)
	if status != 500 || !strings.Contains(body, "<Type>Receiver</Type>") {
		t.Errorf("injected failure: HTTP %d %s, want 500 with Type Receiver", status, body)
	}
}

func publishForm(action string) url.Values {
	v := url.Values{"TopicArn": {topic}, "Message": {"m"}, "Version": {"2010-03-31"}}
	if action != "" {
		v.Set("Action", action)
	}
	return v
}

func post(t *testing.T, endpoint string, form url.Values, signed bool) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, endpoint+"/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if signed {
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/sns/aws4_request, SignedHeaders=host, Signature=00")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The Query protocol's refusals: an unsigned request (403 MissingAuthenticationToken), no
// Action (400 MissingAction), an action that is not emulated (400 InvalidAction); errors are
// <ErrorResponse> documents whose Type is Sender for the client's faults.
func TestQueryProtocolRefusals(t *testing.T) {
	emu, _, endpoint := start(t)
	for _, tc := range []struct {
		name   string
		form   url.Values
		signed bool
		status int
		code   string
	}{
		{"unsigned", publishForm("Publish"), false, 403, "MissingAuthenticationToken"},
		{"no Action", publishForm(""), true, 400, "MissingAction"},
		{"another action", publishForm("CreateTopic"), true, 400, "InvalidAction"},
		{"signed Publish", publishForm("Publish"), true, 200, ""},
	} {
		status, body := post(t, endpoint, tc.form, tc.signed)
		if status != tc.status {
			t.Errorf("%s: HTTP %d %s, want %d", tc.name, status, body, tc.status)
			continue
		}
		if tc.code != "" && (!strings.HasPrefix(body, "<ErrorResponse>") || !strings.Contains(body, "<Code>"+tc.code+"</Code>") || !strings.Contains(body, "<Type>Sender</Type>")) {
			t.Errorf("%s: body %s, want an ErrorResponse with Code %s and Type Sender", tc.name, body, tc.code)
		}
		if tc.code == "" && !strings.Contains(body, "<PublishResponse") {
			t.Errorf("%s: body %s", tc.name, body)
		}
	}
	if got := len(emu.Messages()); got != 1 {
		t.Errorf("%d messages recorded, want 1 (only the signed Publish)", got)
	}
}
