// Package oktahook is the core of the Okta event hook Lambda behind a Lambda Function URL:
// it answers Okta's verification, authenticates deliveries against a shared secret, turns the
// membership events of a delivery into ssoflow.OktaMembershipEvent entries on the event bus,
// and reads the same events from Okta's EventBridge log stream.
package oktahook

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	ssoflow "github.com/ssoflow/ssoflow/functions"
	"github.com/ssoflow/ssoflow/functions/internal/errs"
)

// logEvent is one Okta System Log event: an element of a hook's data.events[] and the detail
// of an event from Okta's EventBridge log stream.
type logEvent struct {
	UUID      string   `json:"uuid"`
	Published string   `json:"published"`
	EventType string   `json:"eventType"`
	Target    []target `json:"target"`
}

type target struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	AlternateID string `json:"alternateId"`
	DisplayName string `json:"displayName"`
}

type hookPayload struct {
	Data *struct {
		Events []json.RawMessage `json:"events"`
	} `json:"data"`
}

// errNotMembership says an event is well formed but not a membership change.
var errNotMembership = errors.New("not a membership event")

// membership turns one System Log event into a membership event. It returns errNotMembership
// for other event types and a descriptive error when a membership event lacks what is needed.
// The User and UserGroup targets are found by type, never by position.
func (e logEvent) membership() (ssoflow.OktaMembershipEvent, error) {
	if e.EventType != ssoflow.OktaMembershipAdd && e.EventType != ssoflow.OktaMembershipRemove {
		return ssoflow.OktaMembershipEvent{}, errNotMembership
	}
	if e.UUID == "" {
		return ssoflow.OktaMembershipEvent{}, errors.New("event has no uuid")
	}
	published, err := time.Parse(time.RFC3339Nano, e.Published)
	if err != nil {
		return ssoflow.OktaMembershipEvent{}, fmt.Errorf("event %s: published: %w", e.UUID, err)
	}
	u, okU := findTarget(e.Target, "User")
	g, okG := findTarget(e.Target, "UserGroup")
	switch {
	case !okU && !okG:
		return ssoflow.OktaMembershipEvent{}, fmt.Errorf("event %s: no User and no UserGroup target", e.UUID)
	case !okU:
		return ssoflow.OktaMembershipEvent{}, fmt.Errorf("event %s: no User target", e.UUID)
	case !okG:
		return ssoflow.OktaMembershipEvent{}, fmt.Errorf("event %s: no UserGroup target", e.UUID)
	}
	return ssoflow.OktaMembershipEvent{
		EventID:   e.UUID,
		EventType: e.EventType,
		Published: published.UTC(),
		UserID:    u.ID,
		UserLogin: u.AlternateID,
		GroupID:   g.ID,
		GroupName: g.DisplayName,
	}, nil
}

// findTarget returns the first target of the type that carries an id.
func findTarget(ts []target, typ string) (target, bool) {
	for _, t := range ts {
		if strings.EqualFold(t.Type, typ) && t.ID != "" {
			return t, true
		}
	}
	return target{}, false
}

// Batch is what a hook delivery holds for ssoflow.
type Batch struct {
	// Events are the membership events to emit: deduplicated by uuid, ordered by published.
	Events []ssoflow.OktaMembershipEvent
	// Total is the number of entries in data.events[].
	Total int
	// Other counts events of other types.
	Other int
	// Duplicates counts repeated uuids.
	Duplicates int
	// Skipped lists the membership events that could not be used, with the reason.
	Skipped []string
}

// Ignored is the number of delivered events that are not emitted.
func (b Batch) Ignored() int { return b.Total - len(b.Events) }

// ParseHookPayload reads an Okta event hook delivery. It fails only when the body is not a
// hook payload (not JSON, or no data object); unusable events inside are counted in Batch.
func ParseHookPayload(body []byte) (Batch, error) {
	var p hookPayload
	if err := json.Unmarshal(body, &p); err != nil {
		return Batch{}, fmt.Errorf("okta hook payload: %w", err)
	}
	if p.Data == nil {
		return Batch{}, errors.New("okta hook payload: no data object")
	}
	b := Batch{Total: len(p.Data.Events)}
	seen := make(map[string]bool, len(p.Data.Events))
	for i, raw := range p.Data.Events {
		var e logEvent
		if err := json.Unmarshal(raw, &e); err != nil {
			b.Skipped = append(b.Skipped, fmt.Sprintf("data.events[%d]: %v", i, err))
			continue
		}
		m, err := e.membership()
		switch {
		case errors.Is(err, errNotMembership):
			b.Other++
			continue
		case err != nil:
			b.Skipped = append(b.Skipped, err.Error())
			continue
		}
		if seen[m.EventID] {
			b.Duplicates++
			continue
		}
		seen[m.EventID] = true
		b.Events = append(b.Events, m)
	}
	slices.SortStableFunc(b.Events, func(x, y ssoflow.OktaMembershipEvent) int {
		if c := x.Published.Compare(y.Published); c != 0 {
			return c
		}
		return strings.Compare(x.EventID, y.EventID)
	})
	return b, nil
}

// ParseLogStreamEvent reads the detail of an event from Okta's EventBridge log stream (one
// System Log event). ok is false, with no error, for events that are not membership changes;
// malformed JSON or a membership event without its User or UserGroup target is an
// *errs.InvalidInputError (it can never succeed).
func ParseLogStreamEvent(detail json.RawMessage) (ev ssoflow.OktaMembershipEvent, ok bool, err error) {
	var e logEvent
	if err := json.Unmarshal(detail, &e); err != nil {
		return ssoflow.OktaMembershipEvent{}, false, errs.Invalid("okta log stream event: %w", err)
	}
	m, err := e.membership()
	if errors.Is(err, errNotMembership) {
		return ssoflow.OktaMembershipEvent{}, false, nil
	}
	if err != nil {
		return ssoflow.OktaMembershipEvent{}, false, errs.Invalid("okta log stream event: %w", err)
	}
	return m, true, nil
}
