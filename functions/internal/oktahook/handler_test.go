package oktahook

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	ssoflow "github.com/ssoflow/ssoflow/functions"
)

const hookSecret = "Bearer s3cr3t-hook-value-7f3a"

type staticSecret string

func (s staticSecret) Secret(context.Context) (string, error) { return string(s), nil }

// rig is a Handler wired to a local EventBridge server, logging into a buffer that each test
// checks for leaked secrets.
type rig struct {
	h    *Handler
	eb   *eventBridgeServer
	logs *bytes.Buffer
}

func newRig(t *testing.T, secret SecretSource, fail func(int, putEntry) bool) *rig {
	t.Helper()
	r := &rig{eb: newEventBridgeServer(t, fail), logs: &bytes.Buffer{}}
	r.h = &Handler{
		Secret:       secret,
		Events:       r.eb.client(),
		EventBusName: "ssoflow",
		Logger:       slog.New(slog.NewJSONHandler(r.logs, nil)),
		PutBackoff:   time.Millisecond,
	}
	t.Cleanup(func() {
		for _, s := range []string{hookSecret, "rotated-value", "attacker-guess"} {
			if strings.Contains(r.logs.String(), s) {
				t.Errorf("logs contain a secret or header value %q", s)
			}
		}
	})
	return r
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func post(body, auth string) events.LambdaFunctionURLRequest {
	req := events.LambdaFunctionURLRequest{Body: body, Headers: map[string]string{"content-type": "application/json"}}
	req.RequestContext.HTTP.Method = "POST"
	if auth != "" {
		req.Headers["authorization"] = auth
	}
	return req
}

func (r *rig) do(t *testing.T, req events.LambdaFunctionURLRequest) events.LambdaFunctionURLResponse {
	t.Helper()
	resp, err := r.h.Handle(context.Background(), req)
	if err != nil {
		t.Fatalf("Handle returned error %v", err)
	}
	return resp
}

func TestVerification(t *testing.T) {
	r := newRig(t, staticSecret(hookSecret), nil)
	get := func(headers map[string]string) events.LambdaFunctionURLResponse {
		req := events.LambdaFunctionURLRequest{Headers: headers}
		req.RequestContext.HTTP.Method = "GET"
		return r.do(t, req)
	}
	resp := get(map[string]string{"x-okta-verification-challenge": "Wf0HbN2x-8cL", "authorization": hookSecret})
	var body map[string]string
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil || resp.StatusCode != 200 || body["verification"] != "Wf0HbN2x-8cL" {
		t.Fatalf("verification: %d %s", resp.StatusCode, resp.Body)
	}
	// Header names in any case.
	if resp := get(map[string]string{"X-Okta-Verification-Challenge": "abc", "Authorization": hookSecret}); resp.StatusCode != 200 {
		t.Errorf("mixed-case headers: %d", resp.StatusCode)
	}
	if resp := get(map[string]string{"x-okta-verification-challenge": "abc"}); resp.StatusCode != 401 {
		t.Errorf("no Authorization: %d, want 401", resp.StatusCode)
	}
	if resp := get(map[string]string{"authorization": hookSecret}); resp.StatusCode != 400 {
		t.Errorf("no challenge: %d, want 400", resp.StatusCode)
	}
	req := post("{}", hookSecret)
	req.RequestContext.HTTP.Method = "PUT"
	if resp := r.do(t, req); resp.StatusCode != 405 {
		t.Errorf("PUT: %d, want 405", resp.StatusCode)
	}
	// Every answer is one log line with its status, which the deployment's metric filters count.
	var statuses []int
	for _, line := range strings.Split(strings.TrimSpace(r.logs.String()), "\n") {
		var rec struct {
			Msg    string `json:"msg"`
			Status int    `json:"status"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == AnsweredMessage {
			statuses = append(statuses, rec.Status)
		}
	}
	if fmt.Sprint(statuses) != "[200 200 401 400 405]" {
		t.Errorf("answers logged with statuses %v, want [200 200 401 400 405]", statuses)
	}
}

func TestUnauthorizedEmitsNothing(t *testing.T) {
	r := newRig(t, staticSecret(hookSecret), nil)
	body := string(fixture(t, "okta-hook-membership-batch.json"))
	for _, auth := range []string{"", "attacker-guess", hookSecret + " ", strings.ToUpper(hookSecret)} {
		if resp := r.do(t, post(body, auth)); resp.StatusCode != 401 {
			t.Errorf("auth %q: %d, want 401", auth, resp.StatusCode)
		}
	}
	if calls, _ := r.eb.snapshot(); len(calls) != 0 {
		t.Errorf("PutEvents reached EventBridge %d times", len(calls))
	}
}

func TestBodyTooLarge(t *testing.T) {
	r := newRig(t, staticSecret(hookSecret), nil)
	big := `{"data":{"events":[]},"pad":"` + strings.Repeat("x", MaxBody) + `"}`
	if resp := r.do(t, post(big, hookSecret)); resp.StatusCode != 413 {
		t.Errorf("raw: %d, want 413", resp.StatusCode)
	}
	req := post(base64.StdEncoding.EncodeToString([]byte(big)), hookSecret)
	req.IsBase64Encoded = true
	if resp := r.do(t, req); resp.StatusCode != 413 {
		t.Errorf("base64: %d, want 413", resp.StatusCode)
	}
	if calls, _ := r.eb.snapshot(); len(calls) != 0 {
		t.Errorf("PutEvents called %d times", len(calls))
	}
}

func TestMalformedBody(t *testing.T) {
	r := newRig(t, staticSecret(hookSecret), nil)
	for _, body := range []string{`{"data":{"events":[`, `[]`, `{}`, `{"data":{"events":{}}}`, ``} {
		if resp := r.do(t, post(body, hookSecret)); resp.StatusCode != 400 {
			t.Errorf("body %q: %d, want 400", body, resp.StatusCode)
		}
	}
	req := post("not base64!", hookSecret)
	req.IsBase64Encoded = true
	if resp := r.do(t, req); resp.StatusCode != 400 {
		t.Errorf("bad base64: %d, want 400", resp.StatusCode)
	}
}

func decodeDetails(t *testing.T, entries []putEntry) []ssoflow.OktaMembershipEvent {
	t.Helper()
	var out []ssoflow.OktaMembershipEvent
	for _, e := range entries {
		if e.Source != ssoflow.EventSourceOkta || e.DetailType != ssoflow.DetailTypeOktaMembership || e.EventBusName != "ssoflow" {
			t.Errorf("entry envelope %+v", e)
		}
		var ev ssoflow.OktaMembershipEvent
		if err := json.Unmarshal([]byte(e.Detail), &ev); err != nil {
			t.Fatalf("detail %q: %v", e.Detail, err)
		}
		if got := time.UnixMilli(int64(e.Time * 1000)).UTC(); !got.Equal(ev.Published.Truncate(time.Millisecond)) {
			t.Errorf("entry Time %v, published %v", got, ev.Published)
		}
		out = append(out, ev)
	}
	return out
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func TestFixtureBatch(t *testing.T) {
	for _, tc := range []struct {
		file         string
		base64       bool
		want         []ssoflow.OktaMembershipEvent
		wantAccepted string
	}{
		{file: "okta-hook-membership-batch.json", wantAccepted: `{"accepted":2,"ignored":1}`, want: []ssoflow.OktaMembershipEvent{
			{EventID: "8c1e6a52-5b0f-11ef-9a7c-2b9f3d4e5a61", EventType: ssoflow.OktaMembershipAdd, Published: ts("2026-11-02T09:14:07.412Z"),
				UserID: "00u1jane000000000000x7", UserLogin: "jane.doe@example.com", GroupID: "00g1platform0000000x7", GroupName: "AWS_PlatformAdmins"},
			{EventID: "8c1e6a53-5b0f-11ef-9a7c-2b9f3d4e5a61", EventType: ssoflow.OktaMembershipRemove, Published: ts("2026-11-02T09:14:08.030Z"),
				UserID: "00u2omar000000000000x7", UserLogin: "omar.haddad@example.com", GroupID: "00g2dbreaders000000x7", GroupName: "AWS_DBReaders"},
		}},
		{file: "okta-hook-duplicates-unordered.json", base64: true, wantAccepted: `{"accepted":3,"ignored":3}`, want: []ssoflow.OktaMembershipEvent{
			{EventID: "a1000005-5b0f-11ef-9a7c-2b9f3d4e5a61", EventType: ssoflow.OktaMembershipAdd, Published: ts("2026-11-02T09:14:59Z"),
				UserID: "00u4sam0000000000000x7", UserLogin: "sam@example.com", GroupID: "00g4ops00000000000000x7", GroupName: "AWS_Ops"},
			{EventID: "a1000002-5b0f-11ef-9a7c-2b9f3d4e5a61", EventType: ssoflow.OktaMembershipAdd, Published: ts("2026-11-02T09:15:01.25Z"),
				UserID: "00u3li0000000000000x7", UserLogin: "li.wei@example.com", GroupID: "00g3dbwriters000000x7", GroupName: "AWS_DBWriters"},
			{EventID: "a1000003-5b0f-11ef-9a7c-2b9f3d4e5a61", EventType: ssoflow.OktaMembershipRemove, Published: ts("2026-11-02T09:15:02Z"),
				UserID: "00u3li0000000000000x7", UserLogin: "li.wei@example.com", GroupID: "00g3dbwriters000000x7", GroupName: "AWS_DBWriters"},
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			r := newRig(t, staticSecret(hookSecret), nil)
			body := string(fixture(t, tc.file))
			req := post(body, hookSecret)
			if tc.base64 {
				req = post(base64.StdEncoding.EncodeToString([]byte(body)), hookSecret)
				req.IsBase64Encoded = true
			}
			resp := r.do(t, req)
			if resp.StatusCode != 200 || resp.Body != tc.wantAccepted {
				t.Fatalf("response %d %s, want 200 %s", resp.StatusCode, resp.Body, tc.wantAccepted)
			}
			calls, accepted := r.eb.snapshot()
			if len(calls) != 1 {
				t.Errorf("PutEvents calls = %d, want 1", len(calls))
			}
			got := decodeDetails(t, accepted)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("events\n got %+v\nwant %+v", got, tc.want)
			}
			if !strings.Contains(r.logs.String(), tc.want[0].EventID) {
				t.Errorf("log does not name the event ids: %s", r.logs)
			}
		})
	}
}

// batchOf builds a hook payload with n add events, published one second apart.
func batchOf(n int) string {
	var b strings.Builder
	b.WriteString(`{"eventType":"com.okta.event_hook","data":{"events":[`)
	start := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"uuid":"e%07d-5b0f-11ef-9a7c-2b9f3d4e5a61","published":%q,"eventType":"group.user_membership.add",`+
			`"target":[{"id":"00u%017d","type":"User","alternateId":"user%d@example.com","displayName":"User %d"},`+
			`{"id":"00g1platform0000000x7","type":"UserGroup","alternateId":"unknown","displayName":"AWS_PlatformAdmins"}]}`,
			i, start.Add(time.Duration(i)*time.Second).Format(time.RFC3339Nano), i, i, i)
	}
	b.WriteString(`]}}`)
	return b.String()
}

func TestBatchesOfTen(t *testing.T) {
	r := newRig(t, staticSecret(hookSecret), nil)
	resp := r.do(t, post(batchOf(25), hookSecret))
	if resp.StatusCode != 200 || resp.Body != `{"accepted":25,"ignored":0}` {
		t.Fatalf("%d %s", resp.StatusCode, resp.Body)
	}
	calls, accepted := r.eb.snapshot()
	if len(calls) != 3 || len(accepted) != 25 {
		t.Fatalf("calls %d, accepted %d", len(calls), len(accepted))
	}
	ids := map[string]bool{}
	for _, c := range calls {
		if len(c) > 10 {
			t.Errorf("a PutEvents call had %d entries", len(c))
		}
	}
	for _, ev := range decodeDetails(t, accepted) {
		ids[ev.EventID] = true
	}
	if len(ids) != 25 {
		t.Errorf("%d distinct events on the bus", len(ids))
	}
}

func TestPartialFailureRetried(t *testing.T) {
	// The first call rejects its second entry; the retry carries only that entry.
	r := newRig(t, staticSecret(hookSecret), func(call int, e putEntry) bool {
		return call == 0 && strings.Contains(e.Detail, "8c1e6a53")
	})
	resp := r.do(t, post(string(fixture(t, "okta-hook-membership-batch.json")), hookSecret))
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, resp.Body)
	}
	calls, accepted := r.eb.snapshot()
	if len(calls) != 2 || len(calls[0]) != 2 || len(calls[1]) != 1 || !strings.Contains(calls[1][0].Detail, "8c1e6a53") {
		t.Fatalf("calls = %+v", calls)
	}
	if len(decodeDetails(t, accepted)) != 2 {
		t.Errorf("accepted %d entries, want 2", len(accepted))
	}
}

func TestPersistentFailureIs502(t *testing.T) {
	r := newRig(t, staticSecret(hookSecret), func(_ int, e putEntry) bool {
		return strings.Contains(e.Detail, "8c1e6a53")
	})
	resp := r.do(t, post(string(fixture(t, "okta-hook-membership-batch.json")), hookSecret))
	if resp.StatusCode != 502 {
		t.Fatalf("%d %s, want 502", resp.StatusCode, resp.Body)
	}
	if calls, _ := r.eb.snapshot(); len(calls) != DefaultPutAttempts {
		t.Errorf("calls = %d, want %d", len(calls), DefaultPutAttempts)
	}
	if !strings.Contains(r.logs.String(), "8c1e6a53-5b0f-11ef-9a7c-2b9f3d4e5a61") {
		t.Errorf("failed event id not logged: %s", r.logs)
	}
}

func TestEventBusUnreachableIs502(t *testing.T) {
	r := newRig(t, staticSecret(hookSecret), nil)
	r.eb.srv.Close() // connection refused: the deadline and attempts bound the handling
	r.h.Deadline = 500 * time.Millisecond
	resp := r.do(t, post(string(fixture(t, "okta-hook-membership-batch.json")), hookSecret))
	if resp.StatusCode != 502 {
		t.Fatalf("%d %s, want 502", resp.StatusCode, resp.Body)
	}
}
