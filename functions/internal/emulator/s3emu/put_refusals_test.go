package s3emu_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

const fakeAuth = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00"

// rawPut sends a signed-looking PutObject of body to path (bucket/key) with the headers given
// (x-amz-content-sha256 UNSIGNED-PAYLOAD unless set; an empty value removes a header) and
// returns the status and S3 error code.
func rawPut(t *testing.T, endpoint, path string, h map[string]string, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, endpoint+"/"+path, strings.NewReader(body))
	req.Header.Set("Authorization", fakeAuth)
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	for k, v := range h {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, errorCode(string(b))
}

// errorCode extracts <Code> from an S3 error document ("" when there is none).
func errorCode(doc string) string {
	_, rest, ok := strings.Cut(doc, "<Code>")
	if !ok {
		return ""
	}
	code, _, _ := strings.Cut(rest, "</Code>")
	return code
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// chunked frames "hello" as aws-chunked with the trailer lines given.
func chunked(trailers ...string) string {
	return "5\r\nhello\r\n0\r\n" + strings.Join(trailers, "") + "\r\n"
}

const helloCRC32 = "NhCmhg=="

// PutObject requests S3 refuses are refused with S3's code and status, and store nothing.
func TestPutObjectRefusals(t *testing.T) {
	emu, _, endpoint := start(t, false)
	streaming := map[string]string{"Content-Encoding": "aws-chunked", "X-Amz-Content-Sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
		"X-Amz-Decoded-Content-Length": "5", "X-Amz-Trailer": "x-amz-checksum-crc32"}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	cases := []struct {
		name    string
		key     string
		headers map[string]string
		body    string
		status  int
		code    string
	}{
		{"no x-amz-content-sha256", "k", map[string]string{"X-Amz-Content-Sha256": ""}, "hello", 400, "InvalidRequest"},
		{"x-amz-content-sha256 neither a hash nor a keyword", "k", map[string]string{"X-Amz-Content-Sha256": "not-a-hash"}, "hello", 400, "InvalidArgument"},
		{"signed payload hash of another body", "k", map[string]string{"X-Amz-Content-Sha256": sha256Hex("hellO")}, "hello", 400, "XAmzContentSHA256Mismatch"},
		{"two checksums", "k", map[string]string{"X-Amz-Checksum-Crc32": helloCRC32, "X-Amz-Checksum-Sha1": "qvTGHdzF6KLavt4PO0gs2a6pQ00="}, "hello", 400, "InvalidRequest"},
		{"x-amz-sdk-checksum-algorithm without a checksum", "k", map[string]string{"X-Amz-Sdk-Checksum-Algorithm": "CRC32"}, "hello", 400, "InvalidRequest"},
		{"x-amz-sdk-checksum-algorithm naming another algorithm", "k", map[string]string{"X-Amz-Sdk-Checksum-Algorithm": "SHA256", "X-Amz-Checksum-Crc32": helloCRC32}, "hello", 400, "BadDigest"},
		{"checksum algorithm not emulated (XXHASH64)", "k", map[string]string{"X-Amz-Checksum-Xxhash64": "AAAAAAAAAAA="}, "hello", 400, "InvalidRequest"},
		{"checksum value not base64 of the digest size", "k", map[string]string{"X-Amz-Checksum-Crc32": "AAAA"}, "hello", 400, "InvalidRequest"},
		{"Content-MD5 not an MD5", "k", map[string]string{"Content-Md5": "bm90LW1kNQ=="}, "hello", 400, "InvalidDigest"},
		{"server-side encryption not offered", "k", map[string]string{"X-Amz-Server-Side-Encryption": "DES"}, "hello", 400, "InvalidArgument"},
		{"key over 1024 bytes", strings.Repeat("k", 1025), nil, "hello", 400, "KeyTooLongError"},
		{"bucket that does not exist", "k", map[string]string{"bucket": "no-such-bucket"}, "hello", 404, "NoSuchBucket"},
		{"aws-chunked without a decoded length", "k", with(streaming, "X-Amz-Decoded-Content-Length", ""), chunked("x-amz-checksum-crc32:" + helloCRC32 + "\r\n"), 411, "MissingContentLength"},
		{"aws-chunked decoded length not a number", "k", with(streaming, "X-Amz-Decoded-Content-Length", "five"), chunked("x-amz-checksum-crc32:" + helloCRC32 + "\r\n"), 400, "InvalidArgument"},
		{"aws-chunked decoded length differs", "k", with(streaming, "X-Amz-Decoded-Content-Length", "6"), chunked("x-amz-checksum-crc32:" + helloCRC32 + "\r\n"), 400, "IncompleteBody"},
		{"aws-chunked framing broken", "k", streaming, "5\r\nhello0\r\n\r\n", 400, "InvalidRequest"},
		{"trailer not declared", "k", with(streaming, "X-Amz-Trailer", ""), chunked("x-amz-checksum-crc32:" + helloCRC32 + "\r\n"), 400, "MalformedTrailerError"},
		{"declared trailer not sent", "k", streaming, chunked(), 400, "MalformedTrailerError"},
		{"If-Match (conditional write not emulated)", "k", map[string]string{"If-Match": `"etag"`}, "hello", 501, "NotImplemented"},
		{"SSE-C", "k", map[string]string{"X-Amz-Server-Side-Encryption-Customer-Algorithm": "AES256"}, "hello", 501, "NotImplemented"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := bucket
			if tc.headers["bucket"] != "" {
				b = tc.headers["bucket"]
				delete(tc.headers, "bucket")
			}
			status, code := rawPut(t, endpoint, b+"/"+tc.key, tc.headers, tc.body)
			if status != tc.status || code != tc.code {
				t.Errorf("HTTP %d %s, want %d %s", status, code, tc.status, tc.code)
			}
		})
	}
	if keys := emu.Keys(bucket); len(keys) != 0 {
		t.Errorf("refused puts stored %q", keys)
	}
	if status, code := rawPut(t, endpoint, bucket+"/k", streaming, chunked("x-amz-checksum-crc32:"+helloCRC32+"\r\n")); status != 200 || code != "" {
		t.Errorf("the well-formed aws-chunked put these cases derive from: HTTP %d %s", status, code)
	}
}

// Length errors come before the body is read: no Content-Length is 411, a Content-Length over
// the emulator's limit is EntityTooLarge, a body shorter than its Content-Length IncompleteBody.
func TestPutObjectLengthRefusals(t *testing.T) {
	_, _, endpoint := start(t, false)
	req, _ := http.NewRequest(http.MethodPut, endpoint+"/"+bucket+"/k", io.NopCloser(strings.NewReader("hello")))
	req.ContentLength = -1 // sent with Transfer-Encoding: chunked
	req.Header.Set("Authorization", fakeAuth)
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	if status, code := do(t, req); status != http.StatusLengthRequired || code != "MissingContentLength" {
		t.Errorf("no Content-Length: HTTP %d %s, want 411 MissingContentLength", status, code)
	}

	raw := func(contentLength, body string) (int, string) {
		u, _ := url.Parse(endpoint)
		conn, err := net.Dial("tcp", u.Host)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_, _ = io.WriteString(conn, "PUT /"+bucket+"/k HTTP/1.1\r\nHost: "+u.Host+"\r\nAuthorization: "+fakeAuth+
			"\r\nX-Amz-Content-Sha256: UNSIGNED-PAYLOAD\r\nContent-Length: "+contentLength+"\r\n\r\n"+body)
		_ = conn.(*net.TCPConn).CloseWrite()
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, errorCode(string(b))
	}
	if status, code := raw("70000000", ""); status != 400 || code != "EntityTooLarge" {
		t.Errorf("Content-Length over the limit: HTTP %d %s, want 400 EntityTooLarge", status, code)
	}
	if status, code := raw("10", "hello"); status != 400 || code != "IncompleteBody" {
		t.Errorf("body shorter than Content-Length: HTTP %d %s, want 400 IncompleteBody", status, code)
	}
}

// What the emulator does not serve answers 501 NotImplemented, signed or not only after the
// signature check; a path that is not a valid URI is InvalidURI.
func TestNotImplementedAndInvalidURI(t *testing.T) {
	emu, _, endpoint := start(t, false)
	if err := emu.Put(bucket, "k", []byte("0123456789"), ""); err != nil {
		t.Fatal(err)
	}
	get := func(path string, h map[string]string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, endpoint+path, nil)
		req.Header.Set("Authorization", fakeAuth)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		return do(t, req)
	}
	for _, tc := range []struct {
		name, path string
		h          map[string]string
		status     int
		code       string
	}{
		{"ListObjectsV2", "/" + bucket + "?list-type=2", nil, 501, "NotImplemented"},
		{"query parameter on an object", "/" + bucket + "/k?versionId=v1", nil, 501, "NotImplemented"},
		{"Range", "/" + bucket + "/k", map[string]string{"Range": "bytes=0-1"}, 501, "NotImplemented"},
		{"If-None-Match on GET", "/" + bucket + "/k", map[string]string{"If-None-Match": `"x"`}, 501, "NotImplemented"},
		{"escaped slash in the bucket name", "/plans%2Fbucket/k", nil, 400, "InvalidURI"},
		{"x-id is the SDK's and allowed", "/" + bucket + "/k?x-id=GetObject", nil, 200, ""},
	} {
		if status, code := get(tc.path, tc.h); status != tc.status || code != tc.code {
			t.Errorf("%s: HTTP %d %s, want %d %s", tc.name, status, code, tc.status, tc.code)
		}
	}
	req, _ := http.NewRequest(http.MethodDelete, endpoint+"/"+bucket+"/k", nil)
	req.Header.Set("Authorization", fakeAuth)
	if status, code := do(t, req); status != 501 || code != "NotImplemented" {
		t.Errorf("DeleteObject: HTTP %d %s, want 501 NotImplemented", status, code)
	}
	if _, ok := emu.Object(bucket, "k"); !ok {
		t.Error("the refused DELETE deleted the object")
	}
}
