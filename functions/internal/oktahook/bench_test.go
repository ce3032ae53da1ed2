package oktahook

import (
	"context"
	"log/slog"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// memEmitter accepts every entry in memory: the benchmark measures the handler, not the network.
type memEmitter struct{}

func (m *memEmitter) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	out := &eventbridge.PutEventsOutput{Entries: make([]types.PutEventsResultEntry, len(in.Entries))}
	for i := range in.Entries {
		out.Entries[i].EventId = aws.String("id")
	}
	return out, nil
}

func BenchmarkHandle100Events(b *testing.B) {
	h := &Handler{Secret: staticSecret(hookSecret), Events: &memEmitter{}, EventBusName: "ssoflow",
		Logger: slog.New(slog.DiscardHandler)}
	req := post(batchOf(100), hookSecret)
	b.ReportAllocs()
	for b.Loop() {
		resp, err := h.Handle(context.Background(), req)
		if err != nil || resp.StatusCode != 200 || resp.Body != `{"accepted":100,"ignored":0}` {
			b.Fatalf("%d %s %v", resp.StatusCode, resp.Body, err)
		}
	}
}
