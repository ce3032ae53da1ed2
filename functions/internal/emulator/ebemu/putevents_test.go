package ebemu_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/ssoflow/ssoflow/functions/internal/emulator/ebemu"
)

// TestPutEventsEntryOutcomes: entries are answered in request order, a detail that is not JSON
// fails with MalformedDetail and an injected failure with InternalFailure while the other
// entries are accepted; more than 10 entries are refused. The accepted event carries the
// envelope fields of an EventBridge event.
func TestPutEventsEntryOutcomes(t *testing.T) {
	e := ebemu.New("111122223333", "us-east-1")
	c := serve(t, e)
	ctx := context.Background()
	entry := func(detail string) types.PutEventsRequestEntry {
		return types.PutEventsRequestEntry{Source: aws.String("ssoflow.okta"), DetailType: aws.String("x"), Detail: aws.String(detail)}
	}
	e.FailNextEntries(1)
	out, err := c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{
		entry(`{"n":1}`), entry(`{"n":`), entry(`{"n":3}`),
	}})
	if err != nil {
		t.Fatal(err)
	}
	codes := []string{aws.ToString(out.Entries[0].ErrorCode), aws.ToString(out.Entries[1].ErrorCode), aws.ToString(out.Entries[2].ErrorCode)}
	if out.FailedEntryCount != 2 || codes[0] != "InternalFailure" || codes[1] != "MalformedDetail" || codes[2] != "" || out.Entries[2].EventId == nil {
		t.Errorf("FailedEntryCount %d, error codes %q, want 2 and InternalFailure, MalformedDetail, accepted", out.FailedEntryCount, codes)
	}
	evs := e.Events()
	if len(evs) != 1 {
		t.Fatalf("%d events accepted, want 1", len(evs))
	}
	var env map[string]json.RawMessage
	if err := json.Unmarshal(evs[0], &env); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"} {
		if _, ok := env[f]; !ok {
			t.Errorf("the event has no %q field", f)
		}
	}
	eleven := make([]types.PutEventsRequestEntry, 11)
	for i := range eleven {
		eleven[i] = entry(`{}`)
	}
	if _, err := c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: eleven}); err == nil {
		t.Error("PutEvents accepted 11 entries")
	}
}
