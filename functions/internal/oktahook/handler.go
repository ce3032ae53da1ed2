package oktahook

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Defaults of Handler.
const (
	// MaxBody is the largest delivery accepted (after base64 decoding).
	MaxBody = 1 << 20
	// DefaultDeadline bounds the handling of one request: Okta gives up after 3 s.
	DefaultDeadline = 2 * time.Second
	// DefaultPutAttempts bounds the PutEvents attempts for one entry.
	DefaultPutAttempts = 3
	// DefaultPutBackoff is the first wait before re-sending failed entries (then doubled).
	DefaultPutBackoff = 50 * time.Millisecond
	// maxChallenge bounds the verification value echoed back.
	maxChallenge = 1024
)

// SecretSource gives the Authorization value configured on the Okta event hook.
type SecretSource interface {
	Secret(ctx context.Context) (string, error)
}

// refresher is implemented by sources that can re-read a rotated secret (SecretsManagerSource).
type refresher interface {
	Refresh(ctx context.Context) (string, error)
}

// Handler serves the Okta event hook behind a Lambda Function URL.
//
// Authentication: every request, including Okta's one-time verification GET, must carry the
// Authorization header value configured on the hook (Okta sends it on verification too), so
// the endpoint does not answer challenges for strangers. The value is compared in constant time
// and never logged.
//
// Status codes: 200 done; 400 malformed (Okta does not retry 4xx); 401 bad or missing
// Authorization; 405 other methods; 413 body over MaxBody; 500 secret unreadable and 502
// events not put on the bus (Okta retries both once).
type Handler struct {
	Secret       SecretSource
	Events       Emitter
	EventBusName string
	Logger       *slog.Logger // nil: slog.Default()

	Deadline    time.Duration // whole request; 0: DefaultDeadline
	PutAttempts int           // 0: DefaultPutAttempts
	PutBackoff  time.Duration // 0: DefaultPutBackoff
}

type hookResult struct {
	Accepted int `json:"accepted"`
	Ignored  int `json:"ignored"`
}

// Handle answers one Function URL request. It always returns a response and a nil error: a
// Lambda error would reach Okta as an opaque 502 without the log lines that explain it.
func (h *Handler) Handle(ctx context.Context, req events.LambdaFunctionURLRequest) (events.LambdaFunctionURLResponse, error) {
	d := h.Deadline
	if d <= 0 {
		d = DefaultDeadline
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var r events.LambdaFunctionURLResponse
	method := strings.ToUpper(req.RequestContext.HTTP.Method)
	switch method {
	case http.MethodGet:
		r = h.verify(ctx, req)
	case http.MethodPost:
		r = h.deliver(ctx, req)
	default:
		r = reply(http.StatusMethodNotAllowed, map[string]string{"error": "method not allowed"})
		r.Headers["Allow"] = "GET, POST"
	}
	// One line per answer: the deployment's metric filters count the hook's 401, 4xx and 5xx
	// answers from it (AnsweredMessage is a contract with infra).
	h.log().InfoContext(ctx, AnsweredMessage, "status", r.StatusCode, "method", method)
	return r, nil
}

// AnsweredMessage is the log message of every answer the hook gives, with its "status".
const AnsweredMessage = "okta hook answered"

func (h *Handler) log() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

// verify answers Okta's one-time verification request.
func (h *Handler) verify(ctx context.Context, req events.LambdaFunctionURLRequest) events.LambdaFunctionURLResponse {
	if r, ok := h.authenticate(ctx, req); !ok {
		return r
	}
	challenge := header(req.Headers, "X-Okta-Verification-Challenge")
	if challenge == "" || len(challenge) > maxChallenge {
		return reply(http.StatusBadRequest, map[string]string{"error": "missing or oversized verification challenge"})
	}
	h.log().InfoContext(ctx, "okta hook verified")
	return reply(http.StatusOK, map[string]string{"verification": challenge})
}

// deliver handles one batch of events.
func (h *Handler) deliver(ctx context.Context, req events.LambdaFunctionURLRequest) events.LambdaFunctionURLResponse {
	if r, ok := h.authenticate(ctx, req); !ok {
		return r
	}
	body, status := readBody(req)
	if status != 0 {
		h.log().WarnContext(ctx, "okta hook body rejected", "status", status, "rawLength", len(req.Body))
		return reply(status, map[string]string{"error": http.StatusText(status)})
	}
	batch, err := ParseHookPayload(body)
	if err != nil {
		h.log().WarnContext(ctx, "okta hook payload malformed", "error", err.Error())
		return reply(http.StatusBadRequest, map[string]string{"error": "malformed hook payload"})
	}
	if len(batch.Skipped) > 0 {
		h.log().WarnContext(ctx, "okta hook membership events skipped",
			"count", len(batch.Skipped), "reasons", batch.Skipped)
	}
	ids := make([]string, len(batch.Events))
	for i, ev := range batch.Events {
		ids[i] = ev.EventID
	}
	em := emitter{api: h.Events, bus: h.EventBusName, attempts: h.PutAttempts, backoff: h.PutBackoff}
	if em.attempts <= 0 {
		em.attempts = DefaultPutAttempts
	}
	if em.backoff <= 0 {
		em.backoff = DefaultPutBackoff
	}
	failed, err := em.emit(ctx, batch.Events)
	if err == nil && len(failed) > 0 {
		h.log().ErrorContext(ctx, "okta hook events not put on the bus",
			"failed", len(failed), "of", len(batch.Events), "failures", failed)
		return reply(http.StatusBadGateway, map[string]string{"error": "events not accepted by the event bus"})
	}
	if err != nil {
		h.log().ErrorContext(ctx, "okta hook events not encoded", "error", err.Error())
		return reply(http.StatusInternalServerError, map[string]string{"error": "internal error"})
	}
	res := hookResult{Accepted: len(batch.Events), Ignored: batch.Ignored()}
	h.log().InfoContext(ctx, "okta hook delivery",
		"total", batch.Total, "accepted", res.Accepted, "ignored", res.Ignored,
		"otherTypes", batch.Other, "duplicates", batch.Duplicates, "skipped", len(batch.Skipped),
		"eventIds", ids)
	return reply(http.StatusOK, res)
}

// authenticate compares the Authorization header with the secret in constant time. On a
// mismatch a source that can refresh is asked once (it rate-limits itself) in case the secret
// was rotated. It returns the response to send when the request must not go on.
func (h *Handler) authenticate(ctx context.Context, req events.LambdaFunctionURLRequest) (events.LambdaFunctionURLResponse, bool) {
	unauthorized := reply(http.StatusUnauthorized, map[string]string{"error": "unauthorized"})
	got := header(req.Headers, "Authorization")
	if got == "" {
		h.log().WarnContext(ctx, "okta hook request without Authorization")
		return unauthorized, false
	}
	secret, err := h.Secret.Secret(ctx)
	if err != nil {
		h.log().ErrorContext(ctx, "okta hook secret unreadable", "error", err.Error())
		return reply(http.StatusInternalServerError, map[string]string{"error": "internal error"}), false
	}
	if equal(got, secret) {
		return events.LambdaFunctionURLResponse{}, true
	}
	if r, ok := h.Secret.(refresher); ok {
		fresh, err := r.Refresh(ctx)
		if err != nil {
			h.log().ErrorContext(ctx, "okta hook secret refresh failed", "error", err.Error())
			return reply(http.StatusInternalServerError, map[string]string{"error": "internal error"}), false
		}
		if equal(got, fresh) {
			h.log().InfoContext(ctx, "okta hook secret rotated")
			return events.LambdaFunctionURLResponse{}, true
		}
	}
	h.log().WarnContext(ctx, "okta hook request with wrong Authorization")
	return unauthorized, false
}

// equal compares in constant time; hashing first hides the secret's length too.
func equal(got, secret string) bool {
	a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(secret))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1 && secret != ""
}

// readBody returns the decoded body, or a status (413, 400) when it cannot be used. The raw
// length is checked before decoding so an oversized body is never decoded.
func readBody(req events.LambdaFunctionURLRequest) ([]byte, int) {
	if !req.IsBase64Encoded {
		if len(req.Body) > MaxBody {
			return nil, http.StatusRequestEntityTooLarge
		}
		return []byte(req.Body), 0
	}
	if len(req.Body) > base64.StdEncoding.EncodedLen(MaxBody) {
		return nil, http.StatusRequestEntityTooLarge
	}
	b, err := base64.StdEncoding.DecodeString(req.Body)
	if err != nil {
		return nil, http.StatusBadRequest
	}
	if len(b) > MaxBody {
		return nil, http.StatusRequestEntityTooLarge
	}
	return b, 0
}

// header finds a header regardless of case (Function URLs send lower-case names).
func header(h map[string]string, name string) string {
	if v, ok := h[strings.ToLower(name)]; ok {
		return v
	}
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

func reply(status int, v any) events.LambdaFunctionURLResponse {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{}`)
	}
	return events.LambdaFunctionURLResponse{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       string(b),
	}
}
