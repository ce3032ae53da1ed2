// Package awsjson is the AWS JSON protocol (1.0 and 1.1) as ssoflow's emulators serve it: one
// POST / per call, the operation in X-Amz-Target, a SigV4-signed request, JSON in and out, and
// errors as {"__type": …} documents. Each emulator keeps its own operations and error bodies;
// this package does the request checks and the writing they share.
package awsjson

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// MaxBody is the largest request body accepted; a longer one is refused with HTTP 413.
const MaxBody = 1 << 20

// Protocol is one service's dialect of the protocol.
type Protocol struct {
	Version      string // "1.0" or "1.1"
	TargetPrefix string // e.g. "AWSIdentityStore."
}

func (p Protocol) contentType() string { return "application/x-amz-json-" + p.Version }

// Read checks the request and returns its operation (the X-Amz-Target without the prefix) and
// body (an empty body is returned as "{}"). When the request is not a valid call of an operation
// known reports as emulated, it writes the error answer AWS would give and returns ok false.
func (p Protocol) Read(w http.ResponseWriter, r *http.Request, known func(op string) bool) (op string, body []byte, ok bool) {
	fail := func(status int, typ, format string, args ...any) (string, []byte, bool) {
		p.WriteError(w, status, map[string]string{"__type": typ, "Message": fmt.Sprintf(format, args...)})
		return "", nil, false
	}
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		return fail(http.StatusNotFound, "UnknownOperationException", "only POST / is served")
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), p.contentType()) {
		return fail(http.StatusBadRequest, "SerializationException", "Content-Type must be %s", p.contentType())
	}
	// AWS's common errors: a request without a signature is MissingAuthenticationToken, 403.
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		return fail(http.StatusForbidden, "MissingAuthenticationTokenException", "request is not signed with SigV4")
	}
	target := r.Header.Get("X-Amz-Target")
	op, hasPrefix := strings.CutPrefix(target, p.TargetPrefix)
	if !hasPrefix || !known(op) {
		return fail(http.StatusBadRequest, "UnknownOperationException", "operation %q is not emulated", target)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		return fail(http.StatusBadRequest, "SerializationException", "cannot read body: %v", err)
	}
	if len(body) > MaxBody {
		return fail(http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException", "the request body is larger than %d bytes", MaxBody)
	}
	// The protocol has servers accept an empty body as an operation without input.
	if len(body) == 0 {
		body = []byte("{}")
	}
	return op, body, true
}

// ReadOp is Read for an emulator whose operations are a map from name to handler: it returns
// the handler of the operation called along with its name and body.
func ReadOp[H any](p Protocol, w http.ResponseWriter, r *http.Request, ops map[string]H) (op string, h H, body []byte, ok bool) {
	op, body, ok = p.Read(w, r, func(op string) bool { _, known := ops[op]; return known })
	if ok {
		h = ops[op]
	}
	return op, h, body, ok
}

// Write answers a successful call with v.
func (p Protocol) Write(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", p.contentType())
	w.Header().Set("X-Amzn-Requestid", RequestID())
	// Once the status line is out, an encoding error can only truncate the body.
	_ = json.NewEncoder(w).Encode(v)
}

// WriteError answers with status and an error document (a value with a __type field).
func (p Protocol) WriteError(w http.ResponseWriter, status int, doc any) {
	w.Header().Set("Content-Type", p.contentType())
	w.Header().Set("X-Amzn-Requestid", RequestID())
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(doc)
}

// RequestID returns a random id in the form AWS uses.
func RequestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
