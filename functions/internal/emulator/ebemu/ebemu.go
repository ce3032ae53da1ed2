// Package ebemu is an Amazon EventBridge emulator speaking the AWS JSON 1.1 protocol the SDK
// uses, enough for PutEvents: it records the entries and turns each accepted one into the event
// envelope a rule delivers to its target, so tests and the demo can hand the exact event to the
// local state machine. Entries can be made to fail, as EventBridge does partially.
package ebemu

import (
	"encoding/json"
	"fmt"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/awsjson"
	"net/http"
	"sync"
	"time"
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

	mu       sync.Mutex
	events   []json.RawMessage
	calls    int
	failNext int // entries to fail
	seq      int
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

// Calls is the number of PutEvents requests received.
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
	_, body, ok := proto.Read(w, r, func(op string) bool { return op == "PutEvents" })
	if !ok {
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
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls++
	out := struct {
		FailedEntryCount int
		Entries          []result
	}{}
	for _, en := range req.Entries {
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
		out.Entries = append(out.Entries, result{EventId: id})
	}
	proto.Write(w, out)
}

func writeErr(w http.ResponseWriter, status int, typ, msg string) {
	proto.WriteError(w, status, map[string]string{"__type": typ, "message": msg})
}
