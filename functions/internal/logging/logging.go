// Package logging builds the JSON slog logger every function and the CLI use. In Lambda each
// record carries the request id, so a person at 3 a.m. can go from an SNS message to the exact
// log lines.
package logging

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// New returns a JSON logger writing to w at the level named by level ("debug", "info", "warn",
// "error"; anything else is info).
func New(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	switch strings.ToLower(level) {
	case "debug":
		l = slog.LevelDebug
	case "warn":
		l = slog.LevelWarn
	case "error":
		l = slog.LevelError
	default:
		l = slog.LevelInfo
	}
	return slog.New(&requestIDHandler{slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})})
}

// Default is New(os.Stderr, level).
func Default(level string) *slog.Logger { return New(os.Stderr, level) }

// requestIDHandler adds the Lambda request id of the record's context, when there is one.
type requestIDHandler struct{ slog.Handler }

func (h *requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		r.AddAttrs(slog.String("requestId", lc.AwsRequestID))
	}
	return h.Handler.Handle(ctx, r)
}

func (h *requestIDHandler) WithAttrs(a []slog.Attr) slog.Handler {
	return &requestIDHandler{h.Handler.WithAttrs(a)}
}

func (h *requestIDHandler) WithGroup(n string) slog.Handler {
	return &requestIDHandler{h.Handler.WithGroup(n)}
}
