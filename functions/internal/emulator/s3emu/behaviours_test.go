package s3emu_test

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// PutObject with If-None-Match: * writes only a key that does not exist yet; otherwise 412.
func TestPutIfNoneMatch(t *testing.T) {
	emu, c, _ := start(t, false)
	ctx := context.Background()
	put := func(body string) error {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("once"), Body: strings.NewReader(body), IfNoneMatch: aws.String("*")})
		return err
	}
	if err := put("first"); err != nil {
		t.Fatal(err)
	}
	if code, status := apiCode(t, put("second")); code != "PreconditionFailed" || status != http.StatusPreconditionFailed {
		t.Errorf("second conditional put: %s %d, want PreconditionFailed 412", code, status)
	}
	if b, _ := emu.Object(bucket, "once"); string(b) != "first" {
		t.Errorf("stored %q, want the first body kept", b)
	}
}

// User metadata, Content-Type, Content-Encoding and the requested encryption are stored and
// answered by GetObject and HeadObject.
func TestMetadataRoundTrip(t *testing.T) {
	_, c, _ := start(t, false)
	ctx := context.Background()
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("plan.json.gz"), Body: strings.NewReader("zz"),
		ContentType: aws.String("application/json"), ContentEncoding: aws.String("gzip"), Metadata: map[string]string{"plan-version": "3"},
		ServerSideEncryption: types.ServerSideEncryptionAwsKms})
	if err != nil {
		t.Fatal(err)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("plan.json.gz")})
	if err != nil {
		t.Fatal(err)
	}
	if head.Metadata["plan-version"] != "3" || aws.ToString(head.ContentType) != "application/json" || aws.ToString(head.ContentEncoding) != "gzip" ||
		head.ServerSideEncryption != types.ServerSideEncryptionAwsKms || aws.ToString(head.AcceptRanges) != "bytes" {
		t.Errorf("HeadObject: metadata %v type %q encoding %q sse %q", head.Metadata, aws.ToString(head.ContentType), aws.ToString(head.ContentEncoding), head.ServerSideEncryption)
	}
}

// A body put without Content-Type is stored as binary/octet-stream; a GET without
// x-amz-checksum-mode: ENABLED gets no checksum header.
func TestDefaultsOfRawRequests(t *testing.T) {
	emu, _, endpoint := start(t, false)
	if status, code := rawPut(t, endpoint, bucket+"/raw", map[string]string{"Content-Type": ""}, "hello"); status != 200 {
		t.Fatalf("raw put: %d %s", status, code)
	}
	h, _ := emu.Header(bucket, "raw")
	if h.Get("Content-Type") != "binary/octet-stream" {
		t.Errorf("Content-Type %q, want binary/octet-stream", h.Get("Content-Type"))
	}
	for _, mode := range []string{"", "ENABLED"} {
		req, _ := http.NewRequest(http.MethodGet, endpoint+"/"+bucket+"/raw", nil)
		req.Header.Set("Authorization", fakeAuth)
		if mode != "" {
			req.Header.Set("X-Amz-Checksum-Mode", mode)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		crc := resp.Header.Get("X-Amz-Checksum-Crc64nvme")
		if (mode == "") != (crc == "") {
			t.Errorf("checksum mode %q: x-amz-checksum-crc64nvme %q", mode, crc)
		}
	}
}

// SHA512 (computed by the SDK) and MD5 (given) flexible checksums are verified and answered.
func TestSHA512AndMD5Checksums(t *testing.T) {
	_, c, _ := start(t, true)
	ctx := context.Background()
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("sha512"), Body: strings.NewReader("hello"),
		ChecksumAlgorithm: types.ChecksumAlgorithmSha512}); err != nil {
		t.Fatalf("SHA512 put: %v", err)
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("sha512")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(out.Body) // the SDK validates the SHA512 it is answered
	out.Body.Close()
	if err != nil || aws.ToString(out.ChecksumSHA512) == "" {
		t.Errorf("SHA512 get: %v, checksum %q", err, aws.ToString(out.ChecksumSHA512))
	}
	sum := md5.Sum([]byte("hello"))
	good := base64.StdEncoding.EncodeToString(sum[:])
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("md5"), Body: strings.NewReader("hello"), ChecksumMD5: aws.String(good)}); err != nil {
		t.Errorf("MD5 checksum put: %v", err)
	}
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("md5"), Body: strings.NewReader("hellO"), ChecksumMD5: aws.String(good)})
	if code, status := apiCode(t, err); code != "BadDigest" || status != 400 {
		t.Errorf("wrong MD5 checksum: %s %d, want BadDigest 400", code, status)
	}
}

// A HEAD error is the status alone, without a body; a GET error carries the XML document.
func TestHeadErrorsHaveNoBody(t *testing.T) {
	_, _, endpoint := start(t, false)
	for _, method := range []string{http.MethodHead, http.MethodGet} {
		req, _ := http.NewRequest(method, endpoint+"/"+bucket+"/missing", nil)
		req.Header.Set("Authorization", fakeAuth)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 404 || (method == http.MethodHead) != (len(b) == 0) || resp.Header.Get("X-Amz-Request-Id") == "" {
			t.Errorf("%s of a missing key: HTTP %d body %q", method, resp.StatusCode, b)
		}
		if method == http.MethodGet && (errorCode(string(b)) != "NoSuchKey" || !strings.Contains(string(b), "<Key>missing</Key>")) {
			t.Errorf("GET error document %s", b)
		}
	}
}

// FailNext answers the S3 code that goes with each status.
func TestInjectedFailureCodes(t *testing.T) {
	emu, c, _ := start(t, false)
	for _, tc := range []struct {
		status int
		code   string
	}{{429, "TooManyRequests"}, {403, "AccessDenied"}, {400, "InvalidRequest"}, {502, "BadGateway"}} {
		emu.FailNext(1, tc.status)
		_, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
		if code, status := apiCode(t, err); code != tc.code || status != tc.status {
			t.Errorf("injected %d: %s %d, want %s", tc.status, code, status, tc.code)
		}
	}
	_, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
	var nsk *types.NoSuchKey
	if !errors.As(err, &nsk) {
		t.Errorf("after the injected failures: %v, want NoSuchKey", err)
	}
	if emu.AllRequests() != 5 || emu.Requests("GetObject") != 5 {
		t.Errorf("AllRequests %d GetObject %d, want 5 and 5", emu.AllRequests(), emu.Requests("GetObject"))
	}
}
