// Package ebemu is an Amazon EventBridge emulator speaking the AWS JSON 1.1 protocol the SDK
// uses, enough for PutEvents and TestEventPattern: it records the entries and turns each
// accepted one into the event envelope a rule delivers to its target. Entries can be made to
// fail, as EventBridge does partially.
//
// It holds rules (PutRule, LoadRules; the deployment's own come from SynthesizedRules) whose
// event patterns are compiled and matched as EventBridge's content filtering is documented
// (ParsePattern, Match), and routes every accepted PutEvents entry, and every event put
// directly with Deliver, to the targets of each matching rule: Go functions registered by kind
// and name (RegisterTarget). FIDELITY.md lists what is reproduced and what is not.
package ebemu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/ssoflow/ssoflow/functions/internal/emulator/awsjson"
)

// Entry is one PutEvents request entry.
type Entry struct {
	Source       string
	DetailType   string
	Detail       string
	EventBusName string
	Time         float64 `json:",omitempty"` // epoch seconds
}

// Emulator records accepted events. Use New.
type Emulator struct {
	Account, Region string

	mu         sync.Mutex
	events     []json.RawMessage
	calls      int
	failNext   int // entries to fail
	seq        int
	rules      []*compiledRule
	targets    map[targetKey]TargetFunc
	deliveries []Delivery
}

// New returns an emulator for the given account and region.
func New(account, region string) *Emulator { return &Emulator{Account: account, Region: region} }

// FailNextEntries makes the next n entries come back with ErrorCode InternalFailure.
func (e *Emulator) FailNextEntries(n int) {
	e.mu.Lock()
	e.failNext = n
	e.mu.Unlock()
}

// Events returns the accepted events as a rule target receives them, in order.
func (e *Emulator) Events() []json.RawMessage {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]json.RawMessage(nil), e.events...)
}

// Calls is the number of PutEvents requests received (TestEventPattern calls are not counted).
func (e *Emulator) Calls() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.calls
}

type result struct {
	EventId      string `json:",omitempty"`
	ErrorCode    string `json:",omitempty"`
	ErrorMessage string `json:",omitempty"`
}

// proto is EventBridge's dialect of the AWS JSON protocol.
var proto = awsjson.Protocol{Version: "1.1", TargetPrefix: "AWSEvents."}

func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, body, ok := proto.Read(w, r, func(op string) bool { return op == "PutEvents" || op == "TestEventPattern" })
	if !ok {
		return
	}
	if op == "TestEventPattern" {
		e.testEventPattern(w, body)
		return
	}
	var req struct{ Entries []Entry }
	if err := json.Unmarshal(body, &req); err != nil {
		writeErr(w, http.StatusBadRequest, "ValidationException", err.Error())
		return
	}
	if len(req.Entries) == 0 || len(req.Entries) > 10 {
		writeErr(w, http.StatusBadRequest, "ValidationException", fmt.Sprintf("PutEvents takes 1 to 10 entries, got %d", len(req.Entries)))
		return
	}
	out, accepted := e.accept(req.Entries)
	// Rules see each accepted event before PutEvents answers, so a test can assert on the
	// deliveries as soon as its call returns. The caller's deadline does not bound them.
	ctx := context.WithoutCancel(r.Context())
	for _, a := range accepted {
		// The envelope was just built by accept, so it is well formed.
		_, _ = e.Deliver(ctx, a.bus, a.event)
	}
	proto.Write(w, out)
}

type putResult struct {
	FailedEntryCount int
	Entries          []result
}

type acceptedEvent struct {
	bus   string
	event json.RawMessage
}

// accept records the entries and answers each, returning the accepted events with their bus.
func (e *Emulator) accept(entries []Entry) (putResult, []acceptedEvent) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls++
	var (
		out      putResult
		accepted []acceptedEvent
	)
	for _, en := range entries {
		if e.failNext > 0 {
			e.failNext--
			out.FailedEntryCount++
			out.Entries = append(out.Entries, result{ErrorCode: "InternalFailure", ErrorMessage: "injected failure"})
			continue
		}
		if en.Source == "" || en.DetailType == "" || !json.Valid([]byte(en.Detail)) {
			out.FailedEntryCount++
			out.Entries = append(out.Entries, result{ErrorCode: "MalformedDetail", ErrorMessage: "Source, DetailType and a JSON Detail are required"})
			continue
		}
		e.seq++
		id := fmt.Sprintf("00000000-0000-4000-a000-%012d", e.seq)
		t := time.Now().UTC()
		if en.Time > 0 {
			t = time.Unix(0, int64(en.Time*1e9)).UTC()
		}
		ev, _ := json.Marshal(map[string]any{
			"version": "0", "id": id, "detail-type": en.DetailType, "source": en.Source,
			"account": e.Account, "time": t.Format(time.RFC3339), "region": e.Region,
			"resources": []string{}, "detail": json.RawMessage(en.Detail),
		})
		e.events = append(e.events, ev)
		accepted = append(accepted, acceptedEvent{bus: busName(en.EventBusName), event: ev})
		out.Entries = append(out.Entries, result{EventId: id})
	}
	return out, accepted
}

// testEventPattern answers TestEventPattern: {"EventPattern", "Event"} → {"Result"}.
func (e *Emulator) testEventPattern(w http.ResponseWriter, body []byte) {
	var req struct{ EventPattern, Event string }
	if err := json.Unmarshal(body, &req); err != nil {
		writeErr(w, http.StatusBadRequest, "ValidationException", err.Error())
		return
	}
	p, err := ParsePattern(json.RawMessage(req.EventPattern))
	if err != nil {
		msg := err.Error()
		var refused *InvalidPatternError
		if errors.As(err, &refused) {
			msg = "Event pattern is not valid. Reason: " + refused.Reason
		}
		writeErr(w, http.StatusBadRequest, "InvalidEventPatternException", msg)
		return
	}
	obj, err := decodeEvent(json.RawMessage(req.Event))
	if err == nil {
		err = requireEnvelope(obj)
	}
	if err != nil {
		writeErr(w, http.StatusBadRequest, "InvalidEventPatternException", err.Error())
		return
	}
	proto.Write(w, struct{ Result bool }{p.root.match(obj)})
}

// requireEnvelope checks the fields TestEventPattern requires of its event.
func requireEnvelope(obj map[string]any) error {
	for _, f := range []string{"id", "account", "source", "time", "region", "resources", "detail-type"} {
		if _, ok := obj[f]; !ok {
			return fmt.Errorf("event: the %q field is mandatory", f)
		}
	}
	return nil
}

func writeErr(w http.ResponseWriter, status int, typ, msg string) {
	proto.WriteError(w, status, map[string]string{"__type": typ, "message": msg})
}
