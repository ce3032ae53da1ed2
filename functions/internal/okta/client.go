package okta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults for a Client's retry bounds.
const (
	DefaultMaxAttempts = 4
	DefaultMaxWait     = 30 * time.Second
	// maxBody bounds how much of one response is read.
	maxBody = 16 << 20
)

// Client calls the Okta Management API of one org. Set the exported fields before first use.
type Client struct {
	base  *url.URL
	token string
	hc    *http.Client

	// MaxAttempts bounds the requests made for one call when Okta answers 429 or 5xx.
	MaxAttempts int
	// MaxWait bounds one wait for a rate-limit reset; a longer wait returns the 429 as an
	// *APIError (Temporary) instead of sleeping.
	MaxWait time.Duration
	// Logger receives retry notices; nil means slog.Default().
	Logger *slog.Logger

	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
	err   error // a bad base URL, reported by every call
}

// New returns a client for the org at baseURL (e.g. https://example.okta.com) that
// authenticates with the API token. hc nil means http.DefaultClient.
func New(baseURL, token string, hc *http.Client) *Client {
	if hc == nil {
		hc = http.DefaultClient
	}
	c := &Client{token: token, hc: hc, MaxAttempts: DefaultMaxAttempts, MaxWait: DefaultMaxWait,
		now: time.Now, sleep: sleepCtx}
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	switch {
	case err != nil:
		c.err = fmt.Errorf("okta: base URL: %w", err)
	case u.Scheme != "https" && u.Scheme != "http", u.Host == "":
		c.err = fmt.Errorf("okta: base URL %q: want scheme://host", baseURL)
	default:
		c.base = u
	}
	return c
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (c *Client) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}

// endpoint builds an absolute URL from path segments (escaped) and a query.
func (c *Client) endpoint(q url.Values, segments ...string) string {
	u := *c.base
	esc := make([]string, len(segments))
	for i, s := range segments {
		esc[i] = url.PathEscape(s)
	}
	u.RawPath = strings.TrimRight(c.base.EscapedPath(), "/") + "/" + strings.Join(esc, "/")
	u.Path, _ = url.PathUnescape(u.RawPath)
	u.RawQuery = q.Encode()
	return u.String()
}

// get fetches rawURL, retrying 429 and 5xx within the client's bounds, and decodes the JSON
// body into v. It returns the response headers of the successful answer.
func (c *Client) get(ctx context.Context, rawURL string, v any) (http.Header, error) {
	if c.err != nil {
		return nil, c.err
	}
	attempts := max(c.MaxAttempts, 1)
	var last error
	for attempt := 1; attempt <= attempts; attempt++ {
		h, body, err := c.once(ctx, rawURL)
		if err == nil {
			if err := json.Unmarshal(body, v); err != nil {
				return nil, fmt.Errorf("okta: decode %s: %w", redact(rawURL), err)
			}
			return h, nil
		}
		last = err
		var ae *APIError
		if !errors.As(err, &ae) || !ae.Temporary() || attempt == attempts {
			break
		}
		wait := c.backoff(attempt, ae.Status, h)
		if wait > c.MaxWait {
			c.logger().WarnContext(ctx, "okta rate limit reset too far away",
				"path", redact(rawURL), "wait", wait.String())
			break
		}
		c.logger().InfoContext(ctx, "okta retry", "path", redact(rawURL), "status", ae.Status,
			"attempt", attempt, "wait", wait.String())
		if err := c.sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("okta: waiting to retry %s: %w (last: %w)", redact(rawURL), err, last)
		}
	}
	return nil, last
}

// backoff is how long to wait before the next attempt: for a 429 until X-Rate-Limit-Reset or
// for Retry-After, whichever is later; for a 5xx a short growing delay.
func (c *Client) backoff(attempt, status int, h http.Header) time.Duration {
	if status != http.StatusTooManyRequests {
		return time.Duration(attempt) * 250 * time.Millisecond
	}
	var wait time.Duration
	if s := h.Get("X-Rate-Limit-Reset"); s != "" {
		if epoch, err := strconv.ParseInt(s, 10, 64); err == nil {
			wait = time.Unix(epoch, 0).Sub(c.now())
		}
	}
	if s := h.Get("Retry-After"); s != "" {
		if secs, err := strconv.Atoi(s); err == nil {
			wait = max(wait, time.Duration(secs)*time.Second)
		} else if t, err := http.ParseTime(s); err == nil {
			wait = max(wait, t.Sub(c.now()))
		}
	}
	if wait <= 0 {
		wait = time.Second // reset already passed or not given: Okta's windows are per second/minute
	}
	return wait
}

// once makes one request. On a non-2xx answer it returns the headers and an *APIError.
func (c *Client) once(ctx context.Context, rawURL string) (http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("okta: request %s: %w", redact(rawURL), err)
	}
	req.Header.Set("Authorization", "SSWS "+c.token)
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("okta: GET %s: %w", redact(rawURL), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, nil, fmt.Errorf("okta: read %s: %w", redact(rawURL), err)
	}
	if resp.StatusCode/100 != 2 {
		return resp.Header, nil, fmt.Errorf("okta: GET %s: %w", redact(rawURL), decodeAPIError(resp.StatusCode, body))
	}
	return resp.Header, body, nil
}

// decodeAPIError reads Okta's error body; a body that is not Okta's JSON leaves Code empty.
func decodeAPIError(status int, body []byte) *APIError {
	var w wireError
	_ = json.Unmarshal(body, &w) // best effort: the status alone is enough to act on
	return &APIError{Status: status, Code: w.ErrorCode, Summary: w.ErrorSummary}
}

// redact returns the path of rawURL for messages: no query (which may hold search terms)
// and never credentials.
func redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.EscapedPath()
}

// paginate GETs first and every rel="next" page after it, decoding each page's JSON array into
// a []T and handing it to each. The next URL is followed exactly as Okta sent it, but only on
// the org's own scheme and host, so the token is never sent elsewhere.
func paginate[T any](ctx context.Context, c *Client, first string, each func([]T)) error {
	next := first
	seen := map[string]bool{}
	for next != "" {
		if seen[next] {
			return fmt.Errorf("okta: pagination loop at %s", redact(next))
		}
		seen[next] = true
		var page []T
		h, err := c.get(ctx, next, &page)
		if err != nil {
			return err
		}
		each(page)
		n, ok := nextLink(h.Values("Link"))
		if !ok {
			return nil
		}
		nu, err := c.base.Parse(n)
		if err != nil {
			return fmt.Errorf("okta: next link: %w", err)
		}
		if nu.Scheme != c.base.Scheme || nu.Host != c.base.Host {
			return fmt.Errorf("okta: next link points to another origin %s://%s", nu.Scheme, nu.Host)
		}
		next = nu.String()
	}
	return nil
}
