package rdstoken

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// MaxClockSkew is how far in the future a token's signing time may be (SigV4's usual allowance).
const MaxClockSkew = 5 * time.Minute

// emptyPayloadHash is the SHA-256 of the empty string: BuildAuthToken signs an empty payload.
const emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// Reasons a well-formed token is refused; Verify wraps one of them (or ErrMalformed).
var (
	ErrAction      = errors.New("token action is not connect")
	ErrUser        = errors.New("token is for another database user")
	ErrEndpoint    = errors.New("token is for another endpoint")
	ErrScope       = errors.New("token is for another region or service")
	ErrCredentials = errors.New("token is signed with unknown credentials")
	ErrExpired     = errors.New("token has expired")
	ErrNotYetValid = errors.New("token is signed in the future")
	ErrSignature   = errors.New("token signature does not match")
)

// Verify checks that token is a valid RDS IAM token for user at host:port in region, signed with
// creds, and valid at now. It returns nil or an error wrapping one of the Err* values.
func Verify(token, host string, port int, user, region string, creds aws.Credentials, now time.Time) error {
	t, err := Parse(token)
	if err != nil {
		return err
	}
	return t.Verify(host, port, user, region, creds, now)
}

// Verify checks a parsed token; see the package function Verify.
func (t *Token) Verify(host string, port int, user, region string, creds aws.Credentials, now time.Time) error {
	if t.Action != ActionValue {
		return fmt.Errorf("%w: %q", ErrAction, t.Action)
	}
	if t.DBUser != user {
		return fmt.Errorf("%w: token user %q, login user %q", ErrUser, t.DBUser, user)
	}
	if !strings.EqualFold(t.Host, host) || t.Port != port {
		return fmt.Errorf("%w: token for %s, server is %s:%d", ErrEndpoint, t.HostPort, host, port)
	}
	if t.Region != region || t.Service != Service {
		return fmt.Errorf("%w: token scope %s/%s, want %s/%s", ErrScope, t.Region, t.Service, region, Service)
	}
	if creds.AccessKeyID == "" || creds.SecretAccessKey == "" {
		return fmt.Errorf("%w: verifier has no credentials", ErrCredentials)
	}
	if t.AccessKeyID != creds.AccessKeyID {
		return fmt.Errorf("%w: access key %q", ErrCredentials, t.AccessKeyID)
	}
	if subtle.ConstantTimeCompare([]byte(t.SecurityToken), []byte(creds.SessionToken)) != 1 {
		return fmt.Errorf("%w: session token differs", ErrCredentials)
	}
	if now.Before(t.Date.Add(-MaxClockSkew)) {
		return fmt.Errorf("%w: signed at %s, now %s", ErrNotYetValid, t.Date.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if !now.Before(t.ExpiresAt()) {
		return fmt.Errorf("%w: expired at %s, now %s", ErrExpired, t.ExpiresAt().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	want, err := hex.DecodeString(t.expectedSignature(creds.SecretAccessKey))
	if err != nil {
		return fmt.Errorf("decode computed signature: %w", err)
	}
	got, err := hex.DecodeString(t.Signature)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if !hmac.Equal(want, got) {
		return ErrSignature
	}
	return nil
}

// expectedSignature recomputes the SigV4 presigned-URL signature of the token (AWS Signature
// Version 4, "Authenticating requests: using query parameters").
func (t *Token) expectedSignature(secret string) string {
	canonicalRequest := strings.Join([]string{
		"GET",
		"/",
		t.canonicalQuery(),
		"host:" + t.canonicalHost() + "\n",
		t.SignedHeaders,
		emptyPayloadHash,
	}, "\n")
	amzDate := t.Date.Format(amzDateFormat)
	day := t.Date.Format(scopeDate)
	scope := strings.Join([]string{day, t.Region, t.Service, Terminator}, "/")
	sum := sha256.Sum256([]byte(canonicalRequest))
	stringToSign := strings.Join([]string{Algorithm, amzDate, scope, hex.EncodeToString(sum[:])}, "\n")

	key := hmacSHA256([]byte("AWS4"+secret), day)
	key = hmacSHA256(key, t.Region)
	key = hmacSHA256(key, t.Service)
	key = hmacSHA256(key, Terminator)
	return hex.EncodeToString(hmacSHA256(key, stringToSign))
}

// canonicalHost is the Host header value the signer saw: the endpoint as written, without the
// default HTTPS port (the SDK strips it before signing).
func (t *Token) canonicalHost() string {
	if t.Port == 443 {
		return strings.TrimSuffix(t.HostPort, ":443")
	}
	return t.HostPort
}

// canonicalQuery is every parameter but the signature, URI-encoded and sorted by name.
func (t *Token) canonicalQuery() string {
	keys := make([]string, 0, len(t.params))
	for k := range t.params {
		if k != paramSignature {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(uriEncode(k))
		b.WriteByte('=')
		b.WriteString(uriEncode(t.params[k]))
	}
	return b.String()
}

// uriEncode percent-encodes every byte except the RFC 3986 unreserved characters, with
// upper-case hex, as SigV4 requires.
func uriEncode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if ('A' <= c && c <= 'Z') || ('a' <= c && c <= 'z') || ('0' <= c && c <= '9') ||
			c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0xF])
	}
	return b.String()
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}
