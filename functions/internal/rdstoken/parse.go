// Package rdstoken parses and verifies Amazon RDS IAM database authentication tokens: the
// SigV4 presigned URLs that feature/rds/auth.BuildAuthToken produces and that a client sends as
// its password. Verification recomputes the signature independently (it does not call the SDK
// signer), so a test that builds tokens with the SDK and verifies them here checks one
// implementation against the other.
//
// A token has the form
//
//	host:port?Action=connect&DBUser=u&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20060102%2Fregion%2Frds-db%2Faws4_request&X-Amz-Date=20060102T150405Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=<hex>
//
// (older SDKs write "host:port/?..."; both are accepted). Tokens arrive from the network, so
// Parse is strict and bounded.
package rdstoken

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Query parameter names and fixed values of an RDS IAM token.
const (
	Algorithm   = "AWS4-HMAC-SHA256"
	Service     = "rds-db"
	Terminator  = "aws4_request"
	ActionValue = "connect"
	// MaxExpires is the longest lifetime RDS accepts (tokens live 15 minutes).
	MaxExpires = 15 * time.Minute
	// MaxLen bounds the token length accepted from the network (session tokens make tokens
	// long, but never this long).
	MaxLen = 8192

	amzDateFormat = "20060102T150405Z"
	scopeDate     = "20060102"
)

const (
	paramAction        = "Action"
	paramDBUser        = "DBUser"
	paramAlgorithm     = "X-Amz-Algorithm"
	paramCredential    = "X-Amz-Credential"
	paramDate          = "X-Amz-Date"
	paramExpires       = "X-Amz-Expires"
	paramSignedHeaders = "X-Amz-SignedHeaders"
	paramSignature     = "X-Amz-Signature"
	paramSecurityToken = "X-Amz-Security-Token"
)

// ErrMalformed is returned (wrapped) when a token cannot be parsed.
var ErrMalformed = errors.New("malformed RDS IAM token")

// Token is a parsed RDS IAM authentication token.
type Token struct {
	// HostPort is the endpoint exactly as written in the token (it is signed as the Host header).
	HostPort string
	// Host is the host name or address, without brackets for IPv6.
	Host string
	// Port is the database port.
	Port int
	// Action is the Action parameter ("connect" for valid tokens).
	Action string
	// DBUser is the database user the token is for.
	DBUser string
	// AccessKeyID, Region and Service come from the credential scope.
	AccessKeyID string
	Region      string
	Service     string
	// Date is X-Amz-Date, the signing time.
	Date time.Time
	// Expires is X-Amz-Expires.
	Expires time.Duration
	// SignedHeaders is X-Amz-SignedHeaders (only "host" is accepted).
	SignedHeaders string
	// SecurityToken is X-Amz-Security-Token, set when signed with temporary credentials.
	SecurityToken string
	// Signature is the lower-case hex X-Amz-Signature.
	Signature string

	// params are all query parameters, one value each.
	params map[string]string
}

// ExpiresAt is the first instant at which the token is no longer valid.
func (t *Token) ExpiresAt() time.Time { return t.Date.Add(t.Expires) }

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// Parse parses a token without verifying it.
func Parse(token string) (*Token, error) {
	if len(token) == 0 {
		return nil, malformed("empty")
	}
	if len(token) > MaxLen {
		return nil, malformed("longer than %d bytes", MaxLen)
	}
	q := strings.IndexByte(token, '?')
	if q < 0 {
		return nil, malformed("no query string")
	}
	hostPort, rawQuery := token[:q], token[q+1:]
	hostPort = strings.TrimSuffix(hostPort, "/")
	if strings.ContainsAny(hostPort, "/@#?") {
		return nil, malformed("endpoint %q has a path, user info or scheme", hostPort)
	}
	host, portStr, err := net.SplitHostPort(hostPort)
	if err != nil {
		return nil, malformed("endpoint %q: %v", hostPort, err)
	}
	if host == "" {
		return nil, malformed("endpoint %q has no host", hostPort)
	}
	port, err := parsePort(portStr)
	if err != nil {
		return nil, err
	}
	values, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, malformed("query: %v", err)
	}
	t := &Token{HostPort: hostPort, Host: host, Port: port, params: make(map[string]string, len(values))}
	for k, v := range values {
		if len(v) != 1 {
			return nil, malformed("parameter %q appears %d times", k, len(v))
		}
		t.params[k] = v[0]
	}
	if err := t.fill(); err != nil {
		return nil, err
	}
	return t, nil
}

func parsePort(s string) (int, error) {
	if s == "" || len(s) > 5 {
		return 0, malformed("port %q", s)
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, malformed("port %q is not a number", s)
		}
	}
	p, err := strconv.Atoi(s)
	if err != nil || p < 1 || p > 65535 {
		return 0, malformed("port %q out of range", s)
	}
	return p, nil
}

func (t *Token) required(name string) (string, error) {
	v, ok := t.params[name]
	if !ok || v == "" {
		return "", malformed("missing %s", name)
	}
	return v, nil
}

// fill sets the typed fields from params.
func (t *Token) fill() error {
	var err error
	if t.Action, err = t.required(paramAction); err != nil {
		return err
	}
	if t.DBUser, err = t.required(paramDBUser); err != nil {
		return err
	}
	alg, err := t.required(paramAlgorithm)
	if err != nil {
		return err
	}
	if alg != Algorithm {
		return malformed("algorithm %q", alg)
	}
	dateStr, err := t.required(paramDate)
	if err != nil {
		return err
	}
	if t.Date, err = time.Parse(amzDateFormat, dateStr); err != nil {
		return malformed("X-Amz-Date %q", dateStr)
	}
	cred, err := t.required(paramCredential)
	if err != nil {
		return err
	}
	if err := t.fillScope(cred, dateStr[:len(scopeDate)]); err != nil {
		return err
	}
	exp, err := t.required(paramExpires)
	if err != nil {
		return err
	}
	secs, err := parseSeconds(exp)
	if err != nil {
		return err
	}
	t.Expires = time.Duration(secs) * time.Second
	if t.SignedHeaders, err = t.required(paramSignedHeaders); err != nil {
		return err
	}
	if t.SignedHeaders != "host" {
		return malformed("signed headers %q, want \"host\"", t.SignedHeaders)
	}
	if t.Signature, err = t.required(paramSignature); err != nil {
		return err
	}
	if !isLowerHex(t.Signature, 64) {
		return malformed("signature is not 64 lower-case hex digits")
	}
	if v, ok := t.params[paramSecurityToken]; ok {
		if v == "" {
			return malformed("empty %s", paramSecurityToken)
		}
		t.SecurityToken = v
	}
	return nil
}

// fillScope parses "AKID/20060102/region/service/aws4_request" and checks its date against the
// signing date.
func (t *Token) fillScope(cred, signingDay string) error {
	parts := strings.Split(cred, "/")
	if len(parts) != 5 {
		return malformed("credential scope has %d parts, want 5", len(parts))
	}
	for i, p := range parts {
		if p == "" {
			return malformed("credential scope part %d is empty", i)
		}
	}
	if parts[1] != signingDay {
		return malformed("credential date %q does not match X-Amz-Date day %q", parts[1], signingDay)
	}
	if parts[4] != Terminator {
		return malformed("credential scope terminator %q", parts[4])
	}
	t.AccessKeyID, t.Region, t.Service = parts[0], parts[2], parts[3]
	return nil
}

func parseSeconds(s string) (int, error) {
	if len(s) > 4 {
		return 0, malformed("X-Amz-Expires %q", s)
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, malformed("X-Amz-Expires %q is not a number", s)
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || time.Duration(n)*time.Second > MaxExpires {
		return 0, malformed("X-Amz-Expires %q outside 1..%d", s, int(MaxExpires/time.Second))
	}
	return n, nil
}

func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
