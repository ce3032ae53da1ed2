package oktahook

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/ssoflow/ssoflow/functions/internal/awsconf"
)

// awsConfig is an SDK configuration with static credentials for local servers.
func awsConfig() aws.Config {
	return aws.Config{
		HTTPClient: awsconf.HTTPClient(), // see awsconf.WithoutBodyWriteTo
		Region:     "eu-west-1",
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "test-secret", Source: "test"}, nil
		}),
	}
}

// putEntry is a PutEvents request entry as EventBridge receives it (AWS JSON 1.1).
type putEntry struct {
	Source       string
	DetailType   string
	Detail       string
	EventBusName string
	Time         float64 // epoch seconds
}

// eventBridgeServer speaks EventBridge's AWS JSON 1.1 protocol for PutEvents. fail decides,
// per call and entry, whether the entry comes back with an ErrorCode.
type eventBridgeServer struct {
	t    *testing.T
	srv  *httptest.Server
	fail func(call int, e putEntry) bool

	mu       sync.Mutex
	calls    [][]putEntry // every request's entries
	accepted []putEntry   // entries answered with an EventId
}

func newEventBridgeServer(t *testing.T, fail func(call int, e putEntry) bool) *eventBridgeServer {
	s := &eventBridgeServer{t: t, fail: fail}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *eventBridgeServer) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.Header.Get("X-Amz-Target") != "AWSEvents.PutEvents" ||
		r.Header.Get("Content-Type") != "application/x-amz-json-1.1" || r.Header.Get("Authorization") == "" {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"UnknownOperationException","message":"bad request"}`)
		return
	}
	var in struct{ Entries []putEntry }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		s.t.Errorf("PutEvents body: %v", err)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	call := len(s.calls)
	s.calls = append(s.calls, in.Entries)
	type result struct {
		EventID      string `json:"EventId,omitempty"`
		ErrorCode    string `json:",omitempty"`
		ErrorMessage string `json:",omitempty"`
	}
	out := struct {
		FailedEntryCount int
		Entries          []result
	}{}
	for _, e := range in.Entries {
		if s.fail != nil && s.fail(call, e) {
			out.FailedEntryCount++
			out.Entries = append(out.Entries, result{ErrorCode: "InternalFailure", ErrorMessage: "Internal service failure."})
			continue
		}
		s.accepted = append(s.accepted, e)
		out.Entries = append(out.Entries, result{EventID: fmt.Sprintf("11710aed-b79e-4468-a20b-%012d", len(s.accepted))})
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}

func (s *eventBridgeServer) client() *eventbridge.Client {
	return eventbridge.NewFromConfig(awsConfig(), func(o *eventbridge.Options) {
		o.BaseEndpoint = aws.String(s.srv.URL)
	})
}

func (s *eventBridgeServer) snapshot() (calls [][]putEntry, accepted []putEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]putEntry(nil), s.calls...), append([]putEntry(nil), s.accepted...)
}

// secretsServer speaks Secrets Manager's AWS JSON 1.1 protocol for GetSecretValue.
type secretsServer struct {
	srv   *httptest.Server
	mu    sync.Mutex
	value string // "" answers ResourceNotFoundException
	calls int
}

func newSecretsServer(t *testing.T, value string) *secretsServer {
	s := &secretsServer{value: value}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"__type":"UnknownOperationException"}`)
			return
		}
		var in struct{ SecretId string }
		_ = json.NewDecoder(r.Body).Decode(&in)
		s.mu.Lock()
		s.calls++
		v := s.value
		s.mu.Unlock()
		if v == "" || in.SecretId != "ssoflow/okta-hook" {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"__type":"ResourceNotFoundException","Message":"Secrets Manager can't find the specified secret."}`)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{
			"ARN":          "arn:aws:secretsmanager:eu-west-1:111122223333:secret:ssoflow/okta-hook-AbCdEf",
			"Name":         "ssoflow/okta-hook",
			"SecretString": v,
			"VersionId":    "EXAMPLE1-90ab-cdef-fedc-ba987SECRET1",
		})
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *secretsServer) set(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.value = v
}

func (s *secretsServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

func (s *secretsServer) client() *secretsmanager.Client {
	return secretsmanager.NewFromConfig(awsConfig(), func(o *secretsmanager.Options) {
		o.BaseEndpoint = aws.String(s.srv.URL)
		o.RetryMaxAttempts = 1
	})
}
