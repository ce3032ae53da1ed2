package oktahook

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/ssoflow/ssoflow/functions/internal/errs"
)

// Defaults of SecretsManagerSource.
const (
	DefaultSecretTTL          = 5 * time.Minute
	DefaultMinRefreshInterval = 30 * time.Second
)

// GetSecretValueAPI is the Secrets Manager call SecretsManagerSource makes.
type GetSecretValueAPI interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput,
		optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// SecretsManagerSource reads the hook's shared secret from Secrets Manager and caches it for
// TTL. After a rotation Okta sends the new value before the cache expires; Refresh re-reads
// the secret then, but at most once per MinRefreshInterval, so requests with a wrong
// Authorization header cannot drive calls to Secrets Manager.
type SecretsManagerSource struct {
	client   GetSecretValueAPI
	secretID string

	// TTL is how long a value is used before it is read again (default 5 min).
	TTL time.Duration
	// MinRefreshInterval is the least time between two Refresh reads (default 30 s).
	MinRefreshInterval time.Duration

	now         func() time.Time
	mu          sync.Mutex
	value       string
	fetched     time.Time // when value was read
	lastRefresh time.Time // when Refresh last read the secret
}

// NewSecretsManagerSource returns a cached source for the secret (name or ARN).
func NewSecretsManagerSource(client GetSecretValueAPI, secretID string) *SecretsManagerSource {
	return &SecretsManagerSource{client: client, secretID: secretID,
		TTL: DefaultSecretTTL, MinRefreshInterval: DefaultMinRefreshInterval, now: time.Now}
}

// Secret returns the cached value, reading it when there is none or it is older than TTL.
func (s *SecretsManagerSource) Secret(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.value != "" && s.now().Sub(s.fetched) < s.TTL {
		return s.value, nil
	}
	return s.fetchLocked(ctx)
}

// Refresh re-reads the secret unless it was refreshed less than MinRefreshInterval ago, in
// which case it returns the cached value. It returns the value to compare against.
func (s *SecretsManagerSource) Refresh(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if !s.lastRefresh.IsZero() && now.Sub(s.lastRefresh) < s.MinRefreshInterval {
		if s.value == "" {
			return "", errors.New("hook secret: not available")
		}
		return s.value, nil
	}
	s.lastRefresh = now
	return s.fetchLocked(ctx)
}

func (s *SecretsManagerSource) fetchLocked(ctx context.Context) (string, error) {
	out, err := s.client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(s.secretID)})
	if err != nil {
		return "", fmt.Errorf("hook secret %s: %w", s.secretID, err)
	}
	v := aws.ToString(out.SecretString)
	if v == "" {
		// An empty secret would accept an empty Authorization header: refuse it.
		return "", &errs.ConfigError{Err: fmt.Errorf("hook secret %s: no SecretString", s.secretID)}
	}
	s.value, s.fetched = v, s.now()
	return v, nil
}
