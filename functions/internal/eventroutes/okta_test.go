package eventroutes_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	ssoflow "github.com/ssoflow/ssoflow/functions"
	"github.com/ssoflow/ssoflow/functions/internal/awsconf"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/ebemu"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/smemu"
	"github.com/ssoflow/ssoflow/functions/internal/oktahook"
)

const (
	hookSecretID = "ssoflow/okta-hook-authorization"
	hookSecret   = "test-hook-authorization-value"
)

// TestOktaHookDeliveryReachesProvision: the real hook handler, with the real SDK clients,
// turns the fixture batch into PutEvents entries on the ssoflow bus; the deployment's rules send
// each membership event, whole, to the provision state machine, and nothing elsewhere. The
// batch's unrelated user.session.start event never reaches the bus.
func TestOktaHookDeliveryReachesProvision(t *testing.T) {
	ctx := context.Background()
	e, box := deployedBus(t)
	busSrv := httptest.NewServer(e)
	t.Cleanup(busSrv.Close)
	secrets := smemu.New()
	secrets.Put(hookSecretID, hookSecret)
	smSrv := httptest.NewServer(secrets)
	t.Cleanup(smSrv.Close)
	cfg := awsconf.Local()
	hook := &oktahook.Handler{
		Secret: oktahook.NewSecretsManagerSource(secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) {
			o.BaseEndpoint = aws.String(smSrv.URL)
		}), hookSecretID),
		Events:       eventbridge.NewFromConfig(cfg, func(o *eventbridge.Options) { o.BaseEndpoint = aws.String(busSrv.URL) }),
		EventBusName: ebemu.BusSSOFlow,
	}
	resp, err := hook.Handle(ctx, events.LambdaFunctionURLRequest{
		RequestContext: events.LambdaFunctionURLRequestContext{HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{Method: http.MethodPost}},
		Headers:        map[string]string{"authorization": hookSecret, "content-type": "application/json"},
		Body:           string(readTestdata(t, "okta-hook-membership-batch.json")),
	})
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("hook: %d %s (%v)", resp.StatusCode, resp.Body, err)
	}

	put := e.Events()
	if len(put) != 2 {
		t.Fatalf("the hook put %d events, want the batch's 2 membership events", len(put))
	}
	got := box.of(provision)
	if len(got) != 2 {
		t.Fatalf("provision received %d events, want 2", len(got))
	}
	var ids []string
	for i, ev := range got {
		if string(ev) != string(put[i]) {
			t.Errorf("provision received %s, want the event put on the bus, whole: %s", ev, put[i])
		}
		var env struct {
			Source     string                      `json:"source"`
			DetailType string                      `json:"detail-type"`
			Detail     ssoflow.OktaMembershipEvent `json:"detail"`
		}
		if err := json.Unmarshal(ev, &env); err != nil {
			t.Fatal(err)
		}
		if env.Source != ssoflow.EventSourceOkta || env.DetailType != ssoflow.DetailTypeOktaMembership {
			t.Errorf("event source %q detail-type %q", env.Source, env.DetailType)
		}
		ids = append(ids, env.Detail.EventType+" "+env.Detail.EventID)
	}
	slices.Sort(ids)
	want := []string{
		"group.user_membership.add 8c1e6a52-5b0f-11ef-9a7c-2b9f3d4e5a61",
		"group.user_membership.remove 8c1e6a53-5b0f-11ef-9a7c-2b9f3d4e5a61",
	}
	if !slices.Equal(ids, want) {
		t.Errorf("provision received %v, want %v", ids, want)
	}
	for _, d := range e.Deliveries() {
		if d.Target.Kind+":"+d.Target.Name != provision {
			t.Errorf("rule %s also sent a hook event to %s %s", d.Rule, d.Target.Kind, d.Target.Name)
		}
	}
}

// hookEntry is an event as the hook's PutEvents entry becomes on the bus.
func hookEntry(source, detailType string) json.RawMessage {
	b, _ := json.Marshal(map[string]any{
		"version": "0", "id": "00000000-0000-4000-a000-000000000001", "detail-type": detailType, "source": source,
		"account": account, "time": "2026-11-02T09:14:07Z", "region": region, "resources": []string{},
		"detail": map[string]any{"eventId": "8c1e6a52-5b0f-11ef-9a7c-2b9f3d4e5a61", "eventType": ssoflow.OktaMembershipAdd,
			"published": "2026-11-02T09:14:07.412Z", "userId": "00u1jane000000000000x7", "groupId": "00g1platform0000000x7"},
	})
	return b
}

// logStreamEvent wraps a System Log event as Okta's log stream puts it on the partner bus: the
// log event is the detail, whole (the envelope's source and detail-type are those the sandbox
// uses; no rule filters on them).
func logStreamEvent(t *testing.T, detail json.RawMessage) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"version": "0", "id": "7f0c2c2e-0000-4000-8000-000000000001", "detail-type": "SystemLog",
		"source": "aws.partner/okta.com/example-org/ssoflow", "account": account,
		"time": "2026-11-02T10:01:13Z", "region": region, "resources": []string{}, "detail": detail,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// withEventType changes the eventType of a System Log event.
func withEventType(t *testing.T, detail []byte, eventType string) json.RawMessage {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(detail, &m); err != nil {
		t.Fatal(err)
	}
	m["eventType"] = eventType
	b, _ := json.Marshal(m)
	return b
}

// TestOktaEventsRouting: the Okta log stream's membership events reach provision from the
// partner bus (and agree with the log stream parser), its other events reach nothing; the
// hook's entries reach provision from the ssoflow bus only, and only with the hook's source and
// detail-type.
func TestOktaEventsRouting(t *testing.T) {
	add := readTestdata(t, "logstream-membership-add.json")
	cases := []struct {
		name   string
		bus    string
		event  json.RawMessage
		detail json.RawMessage // a log stream event's detail, checked against the parser
		want   []string
	}{
		{"log stream: membership add", ebemu.BusOktaPartner, logStreamEvent(t, add), add, []string{provision}},
		{"log stream: membership remove", ebemu.BusOktaPartner, logStreamEvent(t, withEventType(t, add, ssoflow.OktaMembershipRemove)),
			withEventType(t, add, ssoflow.OktaMembershipRemove), []string{provision}},
		{"log stream: session start", ebemu.BusOktaPartner, logStreamEvent(t, readTestdata(t, "logstream-session-start.json")),
			readTestdata(t, "logstream-session-start.json"), nil},
		{"log stream: group renamed", ebemu.BusOktaPartner, logStreamEvent(t, withEventType(t, add, "group.profile.update")),
			withEventType(t, add, "group.profile.update"), nil},
		{"log stream event on the default bus", ebemu.DefaultBus, logStreamEvent(t, add), nil, nil},
		{"hook entry", ebemu.BusSSOFlow, hookEntry(ssoflow.EventSourceOkta, ssoflow.DetailTypeOktaMembership), nil, []string{provision}},
		{"hook source, another detail-type", ebemu.BusSSOFlow, hookEntry(ssoflow.EventSourceOkta, "Okta Group Renamed"), nil, nil},
		{"another source, the hook's detail-type", ebemu.BusSSOFlow, hookEntry("ssoflow.cli", ssoflow.DetailTypeOktaMembership), nil, nil},
		{"hook entry on the default bus", ebemu.DefaultBus, hookEntry(ssoflow.EventSourceOkta, ssoflow.DetailTypeOktaMembership), nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, _ := deployedBus(t)
			got := reached(t, e, c.bus, c.event)
			if !slices.Equal(got, c.want) {
				t.Errorf("reached %s, want %s", describe(got), describe(c.want))
			}
			if c.detail != nil {
				_, membership, err := oktahook.ParseLogStreamEvent(c.detail)
				if err != nil || membership != (len(c.want) > 0) {
					t.Errorf("the log stream parser reads it as membership=%t (%v) while the rules route it to %s", membership, err, describe(got))
				}
			}
		})
	}
}
