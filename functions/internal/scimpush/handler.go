package scimpush

import (
	"context"

	ssoflow "github.com/ssoflow/ssoflow/functions"
	"github.com/ssoflow/ssoflow/functions/internal/errs"
)

// Input is the PushToIdentityCenter state's input.
type Input struct {
	Push *ssoflow.GroupPush `json:"push"`
}

// Handler adapts the Pusher to the state machine's task input.
type Handler struct{ P *Pusher }

// NewHandler returns the Lambda handler for p.
func NewHandler(p *Pusher) *Handler { return &Handler{P: p} }

// Handle pushes the planned membership; errors come out classified for Retry and Catch.
func (h *Handler) Handle(ctx context.Context, in Input) (ssoflow.PushResult, error) {
	if in.Push == nil {
		return ssoflow.PushResult{}, errs.Invalid("scimpush: no push in the input (want {\"push\": {...}})")
	}
	return h.P.Push(ctx, *in.Push)
}
