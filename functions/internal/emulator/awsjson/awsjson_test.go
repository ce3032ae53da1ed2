package awsjson_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/ssoflow/ssoflow/functions/internal/emulator/awsjson"
)

func TestReadRefusesWhatAWSRefuses(t *testing.T) {
	p := awsjson.Protocol{Version: "1.1", TargetPrefix: "AWSIdentityStore."}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op, body, ok := p.Read(w, r, func(op string) bool { return op == "DescribeUser" })
		if ok {
			p.Write(w, map[string]any{"op": op, "len": len(body)})
		}
	}))
	defer srv.Close()
	signed := "AWS4-HMAC-SHA256 Credential=AKID/20261121/us-east-1/identitystore/aws4_request, SignedHeaders=host, Signature=abc"
	cases := []struct {
		name, method, path, ctype, auth, target string
		status                                  int
		errType                                 string
	}{
		{"valid", "POST", "/", "application/x-amz-json-1.1", signed, "AWSIdentityStore.DescribeUser", 200, ""},
		{"GET", "GET", "/", "application/x-amz-json-1.1", signed, "AWSIdentityStore.DescribeUser", 404, "UnknownOperationException"},
		{"other path", "POST", "/x", "application/x-amz-json-1.1", signed, "AWSIdentityStore.DescribeUser", 404, "UnknownOperationException"},
		{"json 1.0", "POST", "/", "application/x-amz-json-1.0", signed, "AWSIdentityStore.DescribeUser", 400, "SerializationException"},
		{"unsigned", "POST", "/", "application/x-amz-json-1.1", "", "AWSIdentityStore.DescribeUser", 403, "MissingAuthenticationTokenException"},
		{"other service", "POST", "/", "application/x-amz-json-1.1", signed, "SWBExternalService.DescribeUser", 400, "UnknownOperationException"},
		{"unknown operation", "POST", "/", "application/x-amz-json-1.1", signed, "AWSIdentityStore.DeleteEverything", 400, "UnknownOperationException"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader(`{"UserId":"u"}`))
			req.Header.Set("Content-Type", c.ctype)
			req.Header.Set("X-Amz-Target", c.target)
			if c.auth != "" {
				req.Header.Set("Authorization", c.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var doc map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&doc)
			if resp.StatusCode != c.status || (c.errType != "" && doc["__type"] != c.errType) {
				t.Errorf("HTTP %d %v, want %d %s", resp.StatusCode, doc, c.status, c.errType)
			}
			if c.status == 200 && (doc["op"] != "DescribeUser" || doc["len"] != float64(len(`{"UserId":"u"}`))) {
				t.Errorf("the call reached the handler as %v", doc)
			}
			if resp.Header.Get("Content-Type") != "application/x-amz-json-1.1" || resp.Header.Get("X-Amzn-Requestid") == "" {
				t.Errorf("headers %v", resp.Header)
			}
		})
	}
}

// serveEcho serves p, answering a valid call with its operation and the body it read.
func serveEcho(t *testing.T, p awsjson.Protocol) string {
	t.Helper()
	ops := map[string]string{"DescribeUser": "describe-handler"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op, h, body, ok := awsjson.ReadOp(p, w, r, ops)
		if ok {
			p.Write(w, map[string]any{"op": op, "handler": h, "body": string(body)})
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func post(t *testing.T, url, ctype, target string, body []byte) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/", bytes.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("X-Amz-Target", target)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20261121/us-east-1/identitystore/aws4_request, SignedHeaders=host, Signature=abc")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatalf("HTTP %d: the body is not a JSON document: %v", resp.StatusCode, err)
	}
	return resp, doc
}

// The AWS JSON protocol has servers accept an empty request body; the operation then sees the
// empty object.
func TestEmptyBodyIsAnEmptyObject(t *testing.T) {
	url := serveEcho(t, awsjson.Protocol{Version: "1.1", TargetPrefix: "AWSIdentityStore."})
	resp, doc := post(t, url, "application/x-amz-json-1.1", "AWSIdentityStore.DescribeUser", nil)
	if resp.StatusCode != http.StatusOK || doc["body"] != "{}" || doc["handler"] != "describe-handler" {
		t.Errorf("empty body: HTTP %d %v, want 200 with body {} passed to the operation's handler", resp.StatusCode, doc)
	}
}

// A body over MaxBody is refused whole (413), never cut short and parsed.
func TestOversizedBodyRefused(t *testing.T) {
	url := serveEcho(t, awsjson.Protocol{Version: "1.0", TargetPrefix: "AWSStepFunctions."})
	fill := func(n int) []byte { return []byte(`{"x":"` + strings.Repeat("a", n-len(`{"x":""}`)) + `"}`) }
	resp, doc := post(t, url, "application/x-amz-json-1.0", "AWSStepFunctions.DescribeUser", fill(awsjson.MaxBody+1))
	if resp.StatusCode != http.StatusRequestEntityTooLarge || doc["__type"] != "RequestEntityTooLargeException" {
		t.Errorf("MaxBody+1 bytes: HTTP %d %v, want 413 RequestEntityTooLargeException", resp.StatusCode, doc["__type"])
	}
	resp, doc = post(t, url, "application/x-amz-json-1.0", "AWSStepFunctions.DescribeUser", fill(awsjson.MaxBody))
	if resp.StatusCode != http.StatusOK || len(doc["body"].(string)) != awsjson.MaxBody {
		t.Errorf("MaxBody bytes: HTTP %d, want 200 with the whole body read", resp.StatusCode)
	}
}

var reRequestID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// Answers carry the protocol's Content-Type and a request id; errors their status and a
// document whose __type names the error.
func TestWriteAndWriteError(t *testing.T) {
	p := awsjson.Protocol{Version: "1.0", TargetPrefix: "AWSStepFunctions."}
	rec := httptest.NewRecorder()
	p.WriteError(rec, http.StatusConflict, map[string]string{"__type": "ExecutionAlreadyExists", "message": "m"})
	var doc map[string]string
	_ = json.Unmarshal(rec.Body.Bytes(), &doc)
	if rec.Code != http.StatusConflict || doc["__type"] != "ExecutionAlreadyExists" || rec.Header().Get("Content-Type") != "application/x-amz-json-1.0" {
		t.Errorf("WriteError: HTTP %d %v %v", rec.Code, doc, rec.Header())
	}
	if id := rec.Header().Get("X-Amzn-Requestid"); !reRequestID.MatchString(id) {
		t.Errorf("request id %q is not a UUID", id)
	}
	rec = httptest.NewRecorder()
	p.Write(rec, map[string]int{"n": 1})
	if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != `{"n":1}` || rec.Header().Get("Content-Type") != "application/x-amz-json-1.0" {
		t.Errorf("Write: HTTP %d %q %v", rec.Code, rec.Body.String(), rec.Header())
	}
	if a, b := awsjson.RequestID(), awsjson.RequestID(); a == b || !reRequestID.MatchString(a) {
		t.Errorf("RequestID gave %q and %q, want two distinct UUIDs", a, b)
	}
}
