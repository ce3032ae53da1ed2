package oktahook

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	ssoflow "github.com/ssoflow/ssoflow/functions"
)

// Emitter is the EventBridge call the hook makes; *eventbridge.Client satisfies it.
type Emitter interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput,
		optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// maxEntriesPerPut is the limit of PutEvents entries in one request.
const maxEntriesPerPut = 10

// maxConcurrentPuts bounds the PutEvents requests in flight for one delivery.
const maxConcurrentPuts = 4

// failure is an event that could not be put, with the last reason.
type failure struct {
	EventID string
	Reason  string
}

// emitter puts membership events on the bus, retrying the entries EventBridge rejects.
type emitter struct {
	api      Emitter
	bus      string
	attempts int
	backoff  time.Duration
}

func (e emitter) entries(evs []ssoflow.OktaMembershipEvent) ([]types.PutEventsRequestEntry, error) {
	out := make([]types.PutEventsRequestEntry, len(evs))
	for i, ev := range evs {
		detail, err := json.Marshal(ev)
		if err != nil {
			return nil, fmt.Errorf("event %s: encode detail: %w", ev.EventID, err)
		}
		out[i] = types.PutEventsRequestEntry{
			EventBusName: aws.String(e.bus),
			Source:       aws.String(ssoflow.EventSourceOkta),
			DetailType:   aws.String(ssoflow.DetailTypeOktaMembership),
			Detail:       aws.String(string(detail)),
			Time:         aws.Time(ev.Published),
		}
	}
	return out, nil
}

// emit puts every event, in batches of at most ten, and returns the events that still failed
// after the bounded retries. Batches run concurrently; order on the bus is not guaranteed by
// EventBridge anyway (consumers re-read the source).
func (e emitter) emit(ctx context.Context, evs []ssoflow.OktaMembershipEvent) ([]failure, error) {
	entries, err := e.entries(evs)
	if err != nil {
		return nil, err
	}
	var (
		mu     sync.Mutex
		failed []failure
		wg     sync.WaitGroup
		sem    = make(chan struct{}, maxConcurrentPuts)
	)
	for start := 0; start < len(entries); start += maxEntriesPerPut {
		end := min(start+maxEntriesPerPut, len(entries))
		wg.Add(1)
		sem <- struct{}{}
		go func(ids []ssoflow.OktaMembershipEvent, batch []types.PutEventsRequestEntry) {
			defer func() { <-sem; wg.Done() }()
			f := e.putBatch(ctx, ids, batch)
			mu.Lock()
			failed = append(failed, f...)
			mu.Unlock()
		}(evs[start:end], entries[start:end])
	}
	wg.Wait()
	return failed, nil
}

// putBatch puts up to ten entries, re-sending only the entries that come back with an
// ErrorCode (or all of them when the call itself fails), a bounded number of times.
func (e emitter) putBatch(ctx context.Context, evs []ssoflow.OktaMembershipEvent,
	batch []types.PutEventsRequestEntry) []failure {
	pending := make([]int, len(batch)) // indexes into batch/evs
	for i := range pending {
		pending[i] = i
	}
	reasons := make([]string, len(batch))
	for attempt := 1; ; attempt++ {
		in := &eventbridge.PutEventsInput{Entries: make([]types.PutEventsRequestEntry, len(pending))}
		for j, i := range pending {
			in.Entries[j] = batch[i]
		}
		out, err := e.api.PutEvents(ctx, in)
		var still []int
		switch {
		case err != nil:
			for _, i := range pending {
				reasons[i] = err.Error()
			}
			still = pending
		case out.FailedEntryCount > 0 && len(out.Entries) != len(pending):
			// Entries must line up with the request; if not, none can be trusted.
			for _, i := range pending {
				reasons[i] = fmt.Sprintf("PutEvents: %d failed, %d results for %d entries",
					out.FailedEntryCount, len(out.Entries), len(pending))
			}
			still = pending
		default:
			for j, r := range out.Entries {
				if r.ErrorCode != nil && j < len(pending) {
					i := pending[j]
					reasons[i] = aws.ToString(r.ErrorCode) + ": " + aws.ToString(r.ErrorMessage)
					still = append(still, i)
				}
			}
		}
		pending = still
		if len(pending) == 0 || attempt >= e.attempts || !e.wait(ctx, attempt) {
			break
		}
	}
	failed := make([]failure, len(pending))
	for j, i := range pending {
		failed[j] = failure{EventID: evs[i].EventID, Reason: reasons[i]}
	}
	return failed
}

// wait sleeps before attempt+1 (backoff doubling), returning false when ctx ends first.
func (e emitter) wait(ctx context.Context, attempt int) bool {
	t := time.NewTimer(e.backoff << (attempt - 1))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
