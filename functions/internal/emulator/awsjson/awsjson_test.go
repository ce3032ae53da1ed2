package awsjson_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
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
