package s3emu_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/ssoflow/ssoflow/functions/internal/awsconf"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/s3emu"
)

const bucket = "plans-bucket"

// start serves a new emulator over http, or https when tls, and returns it with an SDK client.
func start(t *testing.T, tls bool) (*s3emu.Server, *s3.Client, string) {
	t.Helper()
	emu := s3emu.New(bucket)
	if !tls {
		srv := httptest.NewServer(emu)
		t.Cleanup(srv.Close)
		return emu, s3emu.NewClient(srv.URL), srv.URL
	}
	srv := httptest.NewTLSServer(emu)
	t.Cleanup(srv.Close)
	return emu, s3emu.NewClient(srv.URL, func(o *s3.Options) { o.HTTPClient = awsconf.WithoutBodyWriteTo(srv.Client()) }), srv.URL
}

func randomBytes(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// apiCode returns the S3 error code and HTTP status of an SDK error.
func apiCode(t *testing.T, err error) (string, int) {
	t.Helper()
	var ae smithy.APIError
	var re *awshttp.ResponseError
	if !errors.As(err, &ae) || !errors.As(err, &re) {
		t.Fatalf("not an S3 API error: %T %v", err, err)
	}
	return ae.ErrorCode(), re.HTTPStatusCode()
}

func TestPutGetRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		tls  bool
	}{{"http", false}, {"https", true}} {
		t.Run(tc.name, func(t *testing.T) {
			emu, c, _ := start(t, tc.tls)
			ctx := context.Background()
			body := randomBytes(t, 300*1024)
			key := "plans/round-trip.json"
			put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
				Body: bytes.NewReader(body), ContentType: aws.String("application/json"),
				ServerSideEncryption: types.ServerSideEncryptionAes256})
			if err != nil {
				t.Fatal(err)
			}
			sum := md5.Sum(body)
			etag := `"` + hex.EncodeToString(sum[:]) + `"`
			if aws.ToString(put.ETag) != etag || put.ServerSideEncryption != types.ServerSideEncryptionAes256 {
				t.Errorf("put answered ETag %s SSE %q, want %s AES256", aws.ToString(put.ETag), put.ServerSideEncryption, etag)
			}
			req, _ := emu.PutRequestHeader(bucket, key)
			t.Logf("PutObject over %s sent: %v", tc.name, req)
			if tc.tls {
				for h, want := range map[string]string{"Content-Encoding": "aws-chunked", "X-Amz-Content-Sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
					"X-Amz-Decoded-Content-Length": fmt.Sprint(len(body)), "X-Amz-Trailer": "x-amz-checksum-crc32"} {
					if got := req.Get(h); got != want {
						t.Errorf("over https the SDK sent %s: %q, want %q", h, got, want)
					}
				}
			} else if req.Get("X-Amz-Checksum-Crc32") == "" || len(req.Get("X-Amz-Content-Sha256")) != 64 || req.Get("Content-Encoding") != "" {
				t.Errorf("over http the SDK was expected to send a plain body with a CRC32 header and a signed payload hash: %v", req)
			}

			got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(got.Body)
			got.Body.Close()
			if err != nil {
				t.Fatal(err) // includes the SDK's validation of the returned checksum
			}
			if !bytes.Equal(b, body) {
				t.Fatalf("got %d bytes back, want the %d put", len(b), len(body))
			}
			if aws.ToInt64(got.ContentLength) != int64(len(body)) || aws.ToString(got.ContentType) != "application/json" ||
				aws.ToString(got.ETag) != etag || got.LastModified == nil || got.ServerSideEncryption != types.ServerSideEncryptionAes256 ||
				aws.ToString(got.ChecksumCRC32) == "" {
				t.Errorf("GetObject metadata: length %d type %q etag %s modified %v sse %q crc32 %q", aws.ToInt64(got.ContentLength),
					aws.ToString(got.ContentType), aws.ToString(got.ETag), got.LastModified, got.ServerSideEncryption, aws.ToString(got.ChecksumCRC32))
			}

			head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToInt64(head.ContentLength) != int64(len(body)) || aws.ToString(head.ETag) != etag {
				t.Errorf("HeadObject: length %d etag %s", aws.ToInt64(head.ContentLength), aws.ToString(head.ETag))
			}
			if h, _ := emu.Header(bucket, key); h.Get("Content-Type") != "application/json" || h.Get("X-Amz-Server-Side-Encryption") != "AES256" {
				t.Errorf("stored metadata: %v", h)
			}
			for op, n := range map[string]int{s3emu.OpPutObject: 1, s3emu.OpGetObject: 1, s3emu.OpHeadObject: 1} {
				if got := emu.Requests(op); got != n {
					t.Errorf("Requests(%s) = %d, want %d", op, got, n)
				}
			}
		})
	}
}

func TestDefaultEncryptionAndChecksum(t *testing.T) {
	emu, c, _ := start(t, false)
	ctx := context.Background()
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	h, _ := emu.Header(bucket, "k")
	if h.Get("X-Amz-Server-Side-Encryption") != "AES256" {
		t.Errorf("an object put without SSE reports %q, want the bucket default AES256", h.Get("X-Amz-Server-Side-Encryption"))
	}
	// An object stored without a checksum (the Go API) gets a CRC64NVME the SDK validates.
	if err := emu.Put(bucket, "seeded", []byte("seeded body"), ""); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("seeded")})
	if err != nil {
		t.Fatal(err)
	}
	defer got.Body.Close()
	if b, err := io.ReadAll(got.Body); err != nil || string(b) != "seeded body" {
		t.Fatalf("read %q, %v", b, err)
	}
	if aws.ToString(got.ChecksumCRC64NVME) == "" || aws.ToString(got.ContentType) != "binary/octet-stream" {
		t.Errorf("seeded object: crc64nvme %q type %q", aws.ToString(got.ChecksumCRC64NVME), aws.ToString(got.ContentType))
	}
}

func TestKeyWithSlashesAndEscapes(t *testing.T) {
	emu, c, _ := start(t, false)
	ctx := context.Background()
	keys := []string{"plans/2024/01/abc.json", "a b/c%d+e/ü?x=1#y", "dir//double/slash", "trailing/"}
	for _, k := range keys {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), Body: strings.NewReader("v:" + k)}); err != nil {
			t.Fatalf("put %q: %v", k, err)
		}
	}
	for _, k := range keys {
		if b, ok := emu.Object(bucket, k); !ok || string(b) != "v:"+k {
			t.Errorf("stored under %q: %q %v; keys are %q", k, b, ok, emu.Keys(bucket))
		}
		got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)})
		if err != nil {
			t.Fatalf("get %q: %v", k, err)
		}
		b, _ := io.ReadAll(got.Body)
		got.Body.Close()
		if string(b) != "v:"+k {
			t.Errorf("get %q = %q", k, b)
		}
	}
	if got := emu.Keys(bucket); len(got) != len(keys) {
		t.Errorf("Keys = %q", got)
	}
}

func TestNotFound(t *testing.T) {
	emu, c, _ := start(t, false)
	ctx := context.Background()
	_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("plans/missing.json")})
	var nsk *types.NoSuchKey
	if !errors.As(err, &nsk) {
		t.Fatalf("GetObject of a missing key: %T %v, want *types.NoSuchKey", err, err)
	}
	if code, status := apiCode(t, err); code != "NoSuchKey" || status != 404 {
		t.Errorf("got %s %d", code, status)
	}
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("plans/missing.json")})
	var nf *types.NotFound
	if !errors.As(err, &nf) {
		t.Errorf("HeadObject of a missing key: %T %v, want *types.NotFound", err, err)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("no-such-bucket"), Key: aws.String("k")})
	if code, status := apiCode(t, err); code != "NoSuchBucket" || status != 404 {
		t.Errorf("missing bucket: %s %d", code, status)
	}
	// Delete stands in for lifecycle expiry.
	if err := emu.Put(bucket, "expiring", []byte("x"), ""); err != nil {
		t.Fatal(err)
	}
	if !emu.Delete(bucket, "expiring") {
		t.Fatal("Delete found nothing")
	}
	if _, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("expiring")}); !errors.As(err, &nsk) {
		t.Errorf("after Delete: %v", err)
	}
}

func TestUnsignedRequestRefused(t *testing.T) {
	emu, _, url := start(t, false)
	if err := emu.Put(bucket, "k", []byte("secret"), ""); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(url + "/" + bucket + "/k")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(b), "<Code>AccessDenied</Code>") ||
		!strings.HasPrefix(string(b), `<?xml version="1.0" encoding="UTF-8"?>`) || resp.Header.Get("X-Amz-Request-Id") == "" {
		t.Errorf("unsigned GET: %d %q request id %q", resp.StatusCode, b, resp.Header.Get("X-Amz-Request-Id"))
	}
	if strings.Contains(string(b), "secret") {
		t.Error("the body leaked")
	}
}

func TestInjectedFailures(t *testing.T) {
	emu, c, _ := start(t, false)
	ctx := context.Background()
	for _, tc := range []struct {
		status int
		code   string
	}{{503, "SlowDown"}, {500, "InternalError"}} {
		emu.FailNext(1, tc.status)
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: strings.NewReader("body")})
		if code, status := apiCode(t, err); code != tc.code || status != tc.status {
			t.Errorf("injected %d: got %s %d (%v)", tc.status, code, status, err)
		}
		if _, ok := emu.Object(bucket, "k"); ok {
			t.Error("a failed put stored the object")
		}
	}
	emu.FailNext(1, 503)
	_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
	if _, status := apiCode(t, err); status != 503 {
		t.Errorf("HEAD: %v", err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: strings.NewReader("body")}); err != nil {
		t.Errorf("after the injected failures: %v", err)
	}
	if n := emu.Requests(s3emu.OpPutObject); n != 3 {
		t.Errorf("Requests(PutObject) = %d, want 3", n)
	}
}

func TestCorruptChecksumRefused(t *testing.T) {
	t.Run("header through the SDK", func(t *testing.T) {
		emu, c, _ := start(t, false)
		_, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"),
			Body: strings.NewReader("hello"), ChecksumCRC32: aws.String("AAAAAA==")})
		if code, status := apiCode(t, err); code != "BadDigest" || status != 400 {
			t.Errorf("got %s %d", code, status)
		}
		if _, ok := emu.Object(bucket, "k"); ok {
			t.Error("stored despite the bad checksum")
		}
	})
	t.Run("header through the SDK over https", func(t *testing.T) {
		_, c, _ := start(t, true)
		_, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"),
			Body: strings.NewReader("hello"), ChecksumCRC32: aws.String("AAAAAA==")})
		if code, status := apiCode(t, err); code != "BadDigest" || status != 400 {
			t.Errorf("got %s %d", code, status)
		}
	})

	// A trailer, as the SDK sends it over https, with its CRC32 corrupted in transit.
	emu, _, url := start(t, false)
	chunked := func(crc string) *http.Request {
		body := "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:" + crc + "\r\n\r\n"
		req, _ := http.NewRequest(http.MethodPut, url+"/"+bucket+"/chunked", strings.NewReader(body))
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00")
		req.Header.Set("Content-Encoding", "aws-chunked")
		req.Header.Set("X-Amz-Content-Sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
		req.Header.Set("X-Amz-Decoded-Content-Length", "5")
		req.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
		return req
	}
	for _, tc := range []struct {
		crc, code string
		status    int
	}{{"NhCmhg==", "", 200}, {"NhCmhw==", "BadDigest", 400}, {"not-base64", "InvalidRequest", 400}} {
		resp, err := http.DefaultClient.Do(chunked(tc.crc))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.Contains(string(b), tc.code) {
			t.Errorf("trailer crc32 %s: %d %s, want %d %s", tc.crc, resp.StatusCode, b, tc.status, tc.code)
		}
		if tc.status == 200 {
			if got, _ := emu.Object(bucket, "chunked"); string(got) != "hello" {
				t.Errorf("stored %q, want the decoded body", got)
			}
		}
	}

	// Content-MD5.
	t.Run("Content-MD5", func(t *testing.T) {
		_, c, _ := start(t, false)
		_, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"),
			Body: strings.NewReader("hello"), ContentMD5: aws.String("XUFAKrxLKna5cZ2REBfFkg==")}) // md5("hello") is XUFAKrxLKna5cZ2REBfFkg==
		if err != nil {
			t.Fatalf("right MD5: %v", err)
		}
		_, err = c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"),
			Body: strings.NewReader("hellO"), ContentMD5: aws.String("XUFAKrxLKna5cZ2REBfFkg==")})
		if code, status := apiCode(t, err); code != "BadDigest" || status != 400 {
			t.Errorf("wrong MD5: %s %d", code, status)
		}
	})
}

func TestConcurrentUse(t *testing.T) {
	emu, c, _ := start(t, false)
	ctx := context.Background()
	errc := make(chan error, 16)
	for i := range 16 {
		go func() {
			key := fmt.Sprintf("k/%d", i)
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(key)})
			if err == nil {
				var out *s3.GetObjectOutput
				if out, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err == nil {
					_, err = io.Copy(io.Discard, out.Body)
					out.Body.Close()
				}
			}
			errc <- err
		}()
	}
	for range 16 {
		if err := <-errc; err != nil {
			t.Error(err)
		}
	}
	if n := len(emu.Keys(bucket)); n != 16 {
		t.Errorf("%d keys stored, want 16", n)
	}
}
