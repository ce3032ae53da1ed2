package ebemu_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/ssoflow/ssoflow/functions/internal/awsconf"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/ebemu"
)

// recorder is a target that keeps what it receives.
type recorder struct {
	mu     sync.Mutex
	events []json.RawMessage
}

func (r *recorder) receive(_ context.Context, ev json.RawMessage) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
	return nil
}

func (r *recorder) received() []json.RawMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]json.RawMessage(nil), r.events...)
}

func serve(t *testing.T, e *ebemu.Emulator) *eventbridge.Client {
	t.Helper()
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return eventbridge.NewFromConfig(awsconf.Local(), func(o *eventbridge.Options) { o.BaseEndpoint = aws.String(srv.URL) })
}

func mustPut(t *testing.T, e *ebemu.Emulator, spec ebemu.RuleSpec) {
	t.Helper()
	if err := e.PutRule(spec); err != nil {
		t.Fatalf("PutRule(%s): %v", spec.Rule, err)
	}
}

func sm(name string) []ebemu.RuleTarget {
	return []ebemu.RuleTarget{{Kind: ebemu.KindStateMachine, Name: name}}
}

// TestPutEventsRoutesToMatchingRules: each accepted entry reaches the targets of the rules of
// its bus whose pattern matches, before PutEvents answers; the bus may be named by ARN.
func TestPutEventsRoutesToMatchingRules(t *testing.T) {
	e := ebemu.New("111122223333", "us-east-1")
	mustPut(t, e, ebemu.RuleSpec{Rule: "okta", Bus: "ssoflow", Pattern: json.RawMessage(`{"source":["ssoflow.okta"]}`), Targets: sm("provision")})
	mustPut(t, e, ebemu.RuleSpec{Rule: "same-pattern-other-bus", Bus: ebemu.DefaultBus, Pattern: json.RawMessage(`{"source":["ssoflow.okta"]}`), Targets: sm("grant")})
	provision, grant := &recorder{}, &recorder{}
	e.RegisterTarget(ebemu.KindStateMachine, "provision", provision.receive)
	e.RegisterTarget(ebemu.KindStateMachine, "grant", grant.receive)

	out, err := serve(t, e).PutEvents(context.Background(), &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{
		{EventBusName: aws.String("ssoflow"), Source: aws.String("ssoflow.okta"), DetailType: aws.String("x"), Detail: aws.String(`{"n":1}`)},
		{EventBusName: aws.String("arn:aws:events:us-east-1:111122223333:event-bus/ssoflow"), Source: aws.String("ssoflow.okta"), DetailType: aws.String("x"), Detail: aws.String(`{"n":2}`)},
		{EventBusName: aws.String("ssoflow"), Source: aws.String("other"), DetailType: aws.String("x"), Detail: aws.String(`{"n":3}`)},
		{Source: aws.String("ssoflow.okta"), DetailType: aws.String("x"), Detail: aws.String(`{"n":4}`)}, // default bus
	}})
	if err != nil || out.FailedEntryCount != 0 {
		t.Fatalf("PutEvents: %v, %d failed", err, out.FailedEntryCount)
	}
	if got := details(t, provision.received()); got != "1,2" {
		t.Errorf("provision received details %s, want 1,2", got)
	}
	if got := details(t, grant.received()); got != "4" {
		t.Errorf("grant received details %s, want 4", got)
	}
	if n := len(e.Events()); n != 4 {
		t.Errorf("Events() has %d events, want every accepted one (4)", n)
	}
}

// details lists the detail.n of events.
func details(t *testing.T, evs []json.RawMessage) string {
	t.Helper()
	var ns []string
	for _, ev := range evs {
		var v struct {
			Detail struct{ N json.Number } `json:"detail"`
		}
		if err := json.Unmarshal(ev, &v); err != nil {
			t.Fatalf("event %s: %v", ev, err)
		}
		ns = append(ns, v.Detail.N.String())
	}
	return strings.Join(ns, ",")
}

// TestFailedEntriesAreNotRouted: an entry answered with an ErrorCode is not on the bus.
func TestFailedEntriesAreNotRouted(t *testing.T) {
	e := ebemu.New("111122223333", "us-east-1")
	mustPut(t, e, ebemu.RuleSpec{Rule: "all", Bus: ebemu.DefaultBus, Pattern: json.RawMessage(`{"source":["a"]}`), Targets: sm("provision")})
	got := &recorder{}
	e.RegisterTarget(ebemu.KindStateMachine, "provision", got.receive)
	e.FailNextEntries(1)
	out, err := serve(t, e).PutEvents(context.Background(), &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{
		{Source: aws.String("a"), DetailType: aws.String("x"), Detail: aws.String(`{"n":1}`)},
		{Source: aws.String("a"), DetailType: aws.String("x"), Detail: aws.String(`{"n":2}`)},
	}})
	if err != nil || out.FailedEntryCount != 1 {
		t.Fatalf("PutEvents: %v, %d failed, want 1", err, out.FailedEntryCount)
	}
	if d := details(t, got.received()); d != "2" {
		t.Errorf("delivered %s, want only the accepted entry 2", d)
	}
}

// TestDeliverRecordsTargetOutcomes: a target's error and a target nobody registered are
// recorded on the delivery; other targets of the rule still receive the event.
func TestDeliverRecordsTargetOutcomes(t *testing.T) {
	e := ebemu.New("111122223333", "us-east-1")
	mustPut(t, e, ebemu.RuleSpec{Rule: "r", Bus: "b", Pattern: json.RawMessage(`{"source":["a"]}`), Targets: []ebemu.RuleTarget{
		{Kind: ebemu.KindFunction, Name: "Failing"}, {Kind: ebemu.KindFunction, Name: "Missing"}, {Kind: ebemu.KindStateMachine, Name: "provision"},
	}})
	boom := errors.New("boom")
	e.RegisterTarget(ebemu.KindFunction, "Failing", func(context.Context, json.RawMessage) error { return boom })
	ok := &recorder{}
	e.RegisterTarget(ebemu.KindStateMachine, "provision", ok.receive)
	ds, err := e.Deliver(context.Background(), "b", json.RawMessage(`{"source":"a"}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 3 || !errors.Is(ds[0].Err, boom) || !errors.Is(ds[1].Err, ebemu.ErrNoTarget) || ds[2].Err != nil {
		t.Fatalf("deliveries %+v, want boom, ErrNoTarget, success", ds)
	}
	if len(ok.received()) != 1 || len(e.Deliveries()) != 3 {
		t.Errorf("provision received %d events, %d deliveries recorded; want 1 and 3", len(ok.received()), len(e.Deliveries()))
	}
	if _, err := e.Deliver(context.Background(), "b", json.RawMessage(`["not an object"]`)); err == nil {
		t.Error("Deliver accepted an event that is not a JSON object")
	}
}

// TestTargetsMayPutEvents: a target that puts another event (as a state machine's task might)
// is not blocked by the delivery that called it.
func TestTargetsMayPutEvents(t *testing.T) {
	e := ebemu.New("111122223333", "us-east-1")
	mustPut(t, e, ebemu.RuleSpec{Rule: "first", Bus: "b", Pattern: json.RawMessage(`{"source":["first"]}`), Targets: sm("relay")})
	mustPut(t, e, ebemu.RuleSpec{Rule: "second", Bus: "b", Pattern: json.RawMessage(`{"source":["second"]}`), Targets: sm("end")})
	end := &recorder{}
	e.RegisterTarget(ebemu.KindStateMachine, "relay", func(ctx context.Context, _ json.RawMessage) error {
		_, err := e.Deliver(ctx, "b", json.RawMessage(`{"source":"second"}`))
		return err
	})
	e.RegisterTarget(ebemu.KindStateMachine, "end", end.receive)
	if _, err := e.Deliver(context.Background(), "b", json.RawMessage(`{"source":"first"}`)); err != nil {
		t.Fatal(err)
	}
	if len(end.received()) != 1 {
		t.Errorf("the relayed event reached the end %d times, want 1", len(end.received()))
	}
}

// TestPutRuleRefusals: what PutRule and PutTargets refuse.
func TestPutRuleRefusals(t *testing.T) {
	e := ebemu.New("111122223333", "us-east-1")
	six := make([]ebemu.RuleTarget, 6)
	for i := range six {
		six[i] = ebemu.RuleTarget{Kind: ebemu.KindFunction, Name: string(rune('A' + i))}
	}
	for _, c := range []struct {
		name string
		spec ebemu.RuleSpec
		want string
	}{
		{"no name", ebemu.RuleSpec{Pattern: json.RawMessage(`{"source":["a"]}`)}, "no name"},
		{"neither pattern nor schedule", ebemu.RuleSpec{Rule: "r", Pattern: json.RawMessage(`null`)}, "at least an EventPattern or ScheduleExpression"},
		{"refused pattern", ebemu.RuleSpec{Rule: "r", Pattern: json.RawMessage(`{"source":"a"}`)}, "InvalidEventPatternException"},
		{"pattern over the 2048-character quota", ebemu.RuleSpec{Rule: "r", Pattern: json.RawMessage(`{"source":["` + strings.Repeat("a", 2040) + `"]}`)}, "LimitExceededException"},
		{"six targets", ebemu.RuleSpec{Rule: "r", Pattern: json.RawMessage(`{"source":["a"]}`), Targets: six}, "LimitExceededException"},
		{"unknown target kind", ebemu.RuleSpec{Rule: "r", Schedule: "rate(1 hour)", Targets: []ebemu.RuleTarget{{Kind: "queue", Name: "q"}}}, "kind \"queue\""},
		{"Input and InputPath", ebemu.RuleSpec{Rule: "r", Schedule: "rate(1 hour)", Targets: []ebemu.RuleTarget{{Kind: ebemu.KindFunction, Name: "F", InputPath: "$.detail", Input: json.RawMessage(`{}`)}}}, "mutually exclusive"},
		{"InputPath beyond the emulated subset", ebemu.RuleSpec{Rule: "r", Schedule: "rate(1 hour)", Targets: []ebemu.RuleTarget{{Kind: ebemu.KindFunction, Name: "F", InputPath: "$.a[0]"}}}, "only $ and $.field"},
	} {
		if err := e.PutRule(c.spec); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: PutRule = %v, want an error containing %q", c.name, err, c.want)
		}
	}
	if n := len(e.Rules()); n != 0 {
		t.Errorf("%d rules held after refusals, want 0", n)
	}
}

// TestRulesReplaceAndSchedule: PutRule with the name of a rule replaces it; a schedule-only rule
// matches no event.
func TestRulesReplaceAndSchedule(t *testing.T) {
	e := ebemu.New("111122223333", "us-east-1")
	mustPut(t, e, ebemu.RuleSpec{Rule: "r", Bus: "b", Pattern: json.RawMessage(`{"source":["old"]}`), Targets: sm("provision")})
	mustPut(t, e, ebemu.RuleSpec{Rule: "r", Bus: "b", Pattern: json.RawMessage(`{"source":["new"]}`), Targets: sm("provision")})
	mustPut(t, e, ebemu.RuleSpec{Rule: "tick", Bus: "b", Schedule: "rate(1 hour)", Targets: sm("reconcile")})
	e.RegisterTarget(ebemu.KindStateMachine, "provision", (&recorder{}).receive)
	e.RegisterTarget(ebemu.KindStateMachine, "reconcile", (&recorder{}).receive)
	if n := len(e.Rules()); n != 2 {
		t.Fatalf("%d rules, want 2", n)
	}
	for src, want := range map[string]int{"old": 0, "new": 1} {
		ds, err := e.Deliver(context.Background(), "b", json.RawMessage(`{"source":"`+src+`"}`))
		if err != nil || len(ds) != want {
			t.Errorf("source %s: %d deliveries (%v), want %d", src, len(ds), err, want)
		}
	}
}

// TestTargetInputSelection: InputPath sends part of the event, Input a constant, neither the
// whole event.
func TestTargetInputSelection(t *testing.T) {
	e := ebemu.New("111122223333", "us-east-1")
	mustPut(t, e, ebemu.RuleSpec{Rule: "r", Bus: "b", Pattern: json.RawMessage(`{"source":["a"]}`), Targets: []ebemu.RuleTarget{
		{Kind: ebemu.KindFunction, Name: "Whole"},
		{Kind: ebemu.KindFunction, Name: "Path", InputPath: "$.detail.inner"},
		{Kind: ebemu.KindFunction, Name: "Constant", Input: json.RawMessage(`{"fixed":true}`)},
	}})
	for _, n := range []string{"Whole", "Path", "Constant"} {
		e.RegisterTarget(ebemu.KindFunction, n, (&recorder{}).receive)
	}
	event := `{"source":"a","detail":{"inner":{"k":"v"}}}`
	ds, err := e.Deliver(context.Background(), "b", json.RawMessage(event))
	if err != nil || len(ds) != 3 {
		t.Fatalf("Deliver: %v, %d deliveries", err, len(ds))
	}
	for i, want := range []string{event, `{"k":"v"}`, `{"fixed":true}`} {
		if string(ds[i].Event) != want || ds[i].Err != nil {
			t.Errorf("%s received %s (%v), want %s", ds[i].Target.Name, ds[i].Event, ds[i].Err, want)
		}
	}
}

// TestTestEventPatternOverTheWire: the TestEventPattern operation through the SDK client.
func TestTestEventPatternOverTheWire(t *testing.T) {
	c := serve(t, ebemu.New("111122223333", "us-east-1"))
	ctx := context.Background()
	for pattern, want := range map[string]bool{
		`{"source":["aws.ec2"],"detail":{"state":["terminated"]}}`: true,
		`{"source":["aws.ec2"],"detail":{"state":["running"]}}`:    false,
	} {
		out, err := c.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{EventPattern: aws.String(pattern), Event: aws.String(ec2Event)})
		if err != nil || out.Result != want {
			t.Errorf("TestEventPattern(%s) = %v, %v; want %t", pattern, out, err, want)
		}
	}
	_, err := c.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{EventPattern: aws.String(`{}`), Event: aws.String(ec2Event)})
	var refused *types.InvalidEventPatternException
	if !errors.As(err, &refused) || !strings.Contains(refused.ErrorMessage(), "Empty objects are not allowed") {
		t.Errorf("empty pattern: %v, want InvalidEventPatternException", err)
	}
	_, err = c.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{EventPattern: aws.String(`{"source":["a"]}`), Event: aws.String(`{"source":"a"}`)})
	if err == nil || !strings.Contains(err.Error(), `"id" field is mandatory`) {
		t.Errorf("event without id: %v, want a refusal naming the mandatory field", err)
	}
}
