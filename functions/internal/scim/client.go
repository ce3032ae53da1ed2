// Package scim is a client for IAM Identity Center's SCIM v2 endpoint
// (https://scim.<region>.amazonaws.com/<tenant>/scim/v2/). It speaks the subset Identity Center
// implements: eq-only filters joined by and, pages of at most 100, no members on group reads,
// PATCH of at most 100 membership changes, no replace of members. Throttling (429) and server
// errors (5xx) are retried a bounded number of times, honouring Retry-After, and then returned
// as an *APIError whose Temporary method reports true.
package scim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults for the client's retry of throttling and server errors.
const (
	DefaultMaxRetries = 3
	DefaultMaxWait    = 10 * time.Second
)

// Client calls one Identity Center SCIM tenant. It is safe for concurrent use.
type Client struct {
	base       string // without trailing slash
	auth       string // "Bearer <token>"; never logged
	hc         *http.Client
	log        *slog.Logger
	maxRetries int
	maxWait    time.Duration
	sleep      func(ctx context.Context, d time.Duration) error
}

// New returns a client for the SCIM endpoint baseURL (…/scim/v2/) using the bearer token.
// hc nil means a client with a 30-second timeout.
func New(baseURL, token string, hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{
		base:       strings.TrimRight(baseURL, "/"),
		auth:       "Bearer " + token,
		hc:         hc,
		log:        slog.New(slog.DiscardHandler),
		maxRetries: DefaultMaxRetries,
		maxWait:    DefaultMaxWait,
		sleep:      sleepCtx,
	}
}

// WithRetry sets how many times a 429/5xx answer is retried and the most time spent waiting
// between attempts in one call; a Retry-After beyond what is left of maxWait ends the retries.
// It returns c.
func (c *Client) WithRetry(maxRetries int, maxWait time.Duration) *Client {
	c.maxRetries = max(maxRetries, 0)
	c.maxWait = max(maxWait, 0)
	return c
}

// WithLogger sets the logger for retries (debug/warn). It returns c.
func (c *Client) WithLogger(l *slog.Logger) *Client {
	if l != nil {
		c.log = l
	}
	return c
}

// do sends one request (retrying 429/5xx) and returns the 2xx response body. path is relative
// to the base URL; query may be nil; in, when not nil, is sent as JSON.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in any) ([]byte, error) {
	// Spaces as %20, not '+': filters are full of spaces and '+' is ambiguous to some servers.
	return c.doRaw(ctx, method, path, strings.ReplaceAll(query.Encode(), "+", "%20"), in)
}

// doRaw is do with the query already encoded (rawQuery may be "").
func (c *Client) doRaw(ctx context.Context, method, path, rawQuery string, in any) ([]byte, error) {
	var payload []byte
	if in != nil {
		var err error
		if payload, err = json.Marshal(in); err != nil {
			return nil, fmt.Errorf("scim %s %s: encode request: %w", method, path, err)
		}
	}
	u := c.base + path
	if rawQuery != "" {
		u += "?" + rawQuery
	}
	waited := time.Duration(0)
	for attempt := 0; ; attempt++ {
		body, err := c.once(ctx, method, u, path, payload)
		if err == nil {
			return body, nil
		}
		apiErr, ok := err.(*retryable)
		if !ok {
			return nil, err
		}
		if attempt >= c.maxRetries {
			return nil, apiErr.APIError
		}
		wait := apiErr.after
		if wait < 0 { // no Retry-After: capped exponential backoff with full jitter
			wait = time.Duration(rand.Int64N(int64(100*time.Millisecond) << min(attempt, 6)))
		}
		if waited+wait > c.maxWait {
			c.log.WarnContext(ctx, "scim: not retrying, wait beyond budget",
				"method", method, "path", path, "status", apiErr.Status, "wait", wait, "waited", waited)
			return nil, apiErr.APIError
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return nil, apiErr.APIError
		}
		c.log.DebugContext(ctx, "scim: retrying", "method", method, "path", path,
			"status", apiErr.Status, "attempt", attempt+1, "wait", wait)
		if err := c.sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("scim %s %s: waiting to retry after %d: %w", method, path, apiErr.Status, err)
		}
		waited += wait
	}
}

// retryable carries a 429/5xx answer and its Retry-After (negative when absent) inside do.
type retryable struct {
	*APIError
	after time.Duration
}

func (c *Client) once(ctx context.Context, method, u, path string, payload []byte) ([]byte, error) {
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("scim %s %s: build request: %w", method, path, err)
	}
	req.Header.Set("Authorization", c.auth)
	req.Header.Set("Accept", "application/scim+json, application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		// url.Error includes the URL, whose query may hold a user name but never the token.
		return nil, fmt.Errorf("scim %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("scim %s %s: read response: %w", method, path, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return body, nil
	}
	apiErr := parseError(resp.StatusCode, body)
	apiErr.Method, apiErr.Path = method, path
	if apiErr.RequestID == "" {
		apiErr.RequestID = excerpt([]byte(resp.Header.Get("x-amzn-RequestId")))
	}
	if apiErr.Temporary() {
		return nil, &retryable{APIError: apiErr, after: retryAfter(resp.Header.Get("Retry-After"))}
	}
	return nil, apiErr
}

// retryAfter reads a Retry-After header in seconds or as an HTTP date; negative when absent or
// unreadable.
func retryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return -1
	}
	if n, err := strconv.ParseInt(v, 10, 32); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return -1
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
