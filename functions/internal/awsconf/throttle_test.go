package awsconf_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/identitystore"

	"github.com/ssoflow/ssoflow/functions/internal/awsconf"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/idstoreemu"
)

// Each throttled attempt of an identity store call is one log line with the words the
// deployment's metric filter counts ({ $.msg = "identity center throttled" }), before the SDK
// retries it; the call that then succeeds logs nothing more.
func TestThrottledIdentityCenterCallsAreLogged(t *testing.T) {
	emu := idstoreemu.New("d-1234567890")
	srv := httptest.NewServer(emu)
	defer srv.Close()
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	c := idstoreemu.NewClient(srv.URL, func(o *identitystore.Options) {
		o.APIOptions = append(o.APIOptions, awsconf.LogThrottling(log))
		o.Retryer = retry.NewStandard(func(r *retry.StandardOptions) {
			r.MaxAttempts = 3
			r.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		})
	})
	emu.SetRetryAfterSeconds(0)
	emu.FailNext(2)
	if _, err := c.ListGroups(context.Background(), &identitystore.ListGroupsInput{IdentityStoreId: aws.String("d-1234567890")}); err != nil {
		t.Fatalf("ListGroups after two throttled attempts: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("log lines %d, want 2:\n%s", len(lines), buf.String())
	}
	for _, l := range lines {
		var rec struct{ Msg, API, Op string }
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatal(err)
		}
		if rec.Msg != awsconf.ThrottledMessage || rec.API != "identitystore" || rec.Op != "ListGroups" {
			t.Errorf("log line %s, want msg %q, api identitystore, op ListGroups", l, awsconf.ThrottledMessage)
		}
	}
}
