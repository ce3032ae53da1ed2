package planstore_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ssoflow/ssoflow/functions/internal/emulator/s3emu"
	"github.com/ssoflow/ssoflow/functions/internal/errs"
	"github.com/ssoflow/ssoflow/functions/internal/planstore"
)

const bucket = "ssoflow-plans"

func setup(t *testing.T) (*s3emu.Server, *planstore.Store) {
	t.Helper()
	emu := s3emu.New(bucket)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	return emu, planstore.New(s3emu.NewClient(srv.URL), bucket)
}

// chunk returns a JSON body of about n bytes.
func chunk(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"database":"app","users":[`)
	for i := 0; b.Len() < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":"user-%06d","userName":"user%06d@example.com"}`, i, i)
	}
	b.WriteString("]}")
	return b.Bytes()
}

func TestRoundTrip(t *testing.T) {
	emu, store := setup(t)
	ctx := context.Background()
	body := chunk(200 * 1024)
	ref, err := store.Put(ctx, body)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	want := planstore.Ref{Key: "plans/" + hex.EncodeToString(sum[:]) + ".json", SHA256: hex.EncodeToString(sum[:]), Bytes: len(body)}
	if ref != want {
		t.Fatalf("Put = %+v, want %+v", ref, want)
	}
	if store.Bucket() != bucket {
		t.Errorf("Bucket() = %q", store.Bucket())
	}
	h, ok := emu.Header(bucket, ref.Key)
	if !ok || h.Get("Content-Type") != "application/json" || h.Get("X-Amz-Server-Side-Encryption") != "AES256" {
		t.Errorf("stored metadata: %v", h)
	}
	if req, _ := emu.PutRequestHeader(bucket, ref.Key); req.Get("X-Amz-Server-Side-Encryption") != "AES256" || req.Get("X-Amz-Checksum-Sha256") == "" {
		t.Errorf("the put did not ask for AES256 with a SHA-256 checksum: %v", req)
	}
	got, err := store.Get(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, body) {
		t.Fatal("Get returned other bytes than were put")
	}
}

// Over https the SDK frames uploads differently (see s3emu); the explicit SHA-256 checksum
// keeps the body plain there too.
func TestRoundTripHTTPS(t *testing.T) {
	emu := s3emu.New(bucket)
	srv := httptest.NewTLSServer(emu)
	defer srv.Close()
	store := planstore.New(s3emu.NewClient(srv.URL, func(o *s3.Options) { o.HTTPClient = srv.Client() }), bucket)
	body := chunk(100 * 1024)
	ref, err := store.Put(context.Background(), body)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := store.Get(context.Background(), ref); err != nil || !bytes.Equal(got, body) {
		t.Fatalf("Get: %d bytes, %v", len(got), err)
	}
	req, _ := emu.PutRequestHeader(bucket, ref.Key)
	t.Logf("planstore PutObject over https sent: %v", req)
}

func TestPutIsIdempotent(t *testing.T) {
	emu, store := setup(t)
	ctx := context.Background()
	body := chunk(1000)
	r1, err := store.Put(ctx, body)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := store.Put(ctx, bytes.Clone(body))
	if err != nil {
		t.Fatal(err)
	}
	if r1 != r2 {
		t.Errorf("the same body gave %+v then %+v", r1, r2)
	}
	if keys := emu.Keys(bucket); len(keys) != 1 || keys[0] != r1.Key {
		t.Errorf("keys stored: %q, want only %q", keys, r1.Key)
	}
	r3, err := store.Put(ctx, chunk(5000))
	if err != nil {
		t.Fatal(err)
	}
	if r3.Key == r1.Key {
		t.Error("another body got the same key")
	}
}

func TestTamperedObject(t *testing.T) {
	ctx := context.Background()
	for name, tamper := range map[string]func(b []byte) []byte{
		"same length": func(b []byte) []byte { b = bytes.Clone(b); b[10] ^= 1; return b },
		"truncated":   func(b []byte) []byte { return b[:len(b)-1] },
		"replaced":    func([]byte) []byte { return []byte(`{"database":"other"}`) },
	} {
		t.Run(name, func(t *testing.T) {
			emu, store := setup(t)
			body := chunk(4096)
			ref, err := store.Put(ctx, body)
			if err != nil {
				t.Fatal(err)
			}
			if err := emu.Put(bucket, ref.Key, tamper(body), "application/json"); err != nil {
				t.Fatal(err)
			}
			got, err := store.Get(ctx, ref)
			if !errors.Is(err, planstore.ErrCorrupt) || got != nil {
				t.Fatalf("Get of a tampered object: %v", err)
			}
			if !strings.Contains(err.Error(), "does not match") || !strings.Contains(err.Error(), ref.Key) || strings.Contains(err.Error(), "user-0000") {
				t.Errorf("the error should say what does not match, name the key and leave the body out: %v", err)
			}
			var r *errs.RetryableError
			if errors.As(errs.Classify(err), &r) {
				t.Error("a corrupt chunk was classified retryable")
			}
		})
	}
}

func TestExpiredObject(t *testing.T) {
	emu, store := setup(t)
	ctx := context.Background()
	ref, err := store.Put(ctx, chunk(100))
	if err != nil {
		t.Fatal(err)
	}
	emu.Delete(bucket, ref.Key) // the lifecycle rule expired it
	_, err = store.Get(ctx, ref)
	if !errors.Is(err, planstore.ErrNotFound) {
		t.Fatalf("Get of a deleted object: %v, want ErrNotFound", err)
	}
	if !strings.Contains(err.Error(), "s3://"+bucket+"/"+ref.Key) {
		t.Errorf("the error does not name the object: %v", err)
	}
	var r *errs.RetryableError
	if errors.As(errs.Classify(err), &r) {
		t.Error("a missing chunk was classified retryable")
	}
}

func TestTransientFailuresAreRetryable(t *testing.T) {
	ctx := context.Background()
	for _, status := range []int{503, 500, 429} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			emu, store := setup(t)
			body := chunk(100)
			emu.FailNext(1, status)
			_, err := store.Put(ctx, body)
			var r *errs.RetryableError
			var tmp *planstore.TemporaryError
			if !errors.As(errs.Classify(err), &r) || !errors.As(err, &tmp) {
				t.Fatalf("Put answered %d: %T %v, want it classified retryable", status, err, err)
			}
			ref, err := store.Put(ctx, body)
			if err != nil {
				t.Fatal(err)
			}
			emu.FailNext(1, status)
			if _, err = store.Get(ctx, ref); !errors.As(errs.Classify(err), &r) {
				t.Fatalf("Get answered %d: %T %v, want it classified retryable", status, err, err)
			}
			if _, err := store.Get(ctx, ref); err != nil {
				t.Errorf("after the failure: %v", err)
			}
		})
	}
}

func TestNetworkErrorIsRetryable(t *testing.T) {
	srv := httptest.NewServer(s3emu.New(bucket))
	srv.Close()
	store := planstore.New(s3emu.NewClient(srv.URL), bucket)
	_, err := store.Put(context.Background(), chunk(10))
	var r *errs.RetryableError
	var tmp *planstore.TemporaryError
	if !errors.As(errs.Classify(err), &r) || !errors.As(err, &tmp) {
		t.Fatalf("Put to a closed server: %T %v, want it classified retryable", err, err)
	}
}

func TestMissingBucketIsConfigError(t *testing.T) {
	emu := s3emu.New(bucket)
	srv := httptest.NewServer(emu)
	defer srv.Close()
	store := planstore.New(s3emu.NewClient(srv.URL), "not-there")
	_, err := store.Put(context.Background(), chunk(10))
	var c *errs.ConfigError
	if !errors.As(errs.Classify(err), &c) {
		t.Fatalf("Put to a missing bucket: %T %v, want a ConfigError", err, err)
	}
}

func TestMalformedRefRefusedBeforeAnyRequest(t *testing.T) {
	emu, store := setup(t)
	sha := strings.Repeat("ab", 32)
	for name, ref := range map[string]planstore.Ref{
		"empty":           {},
		"short sha":       {Key: "plans/abc.json", SHA256: "abc", Bytes: 1},
		"upper-case sha":  {Key: "plans/" + strings.ToUpper(sha) + ".json", SHA256: strings.ToUpper(sha), Bytes: 1},
		"non-hex sha":     {Key: "plans/" + strings.Repeat("zz", 32) + ".json", SHA256: strings.Repeat("zz", 32), Bytes: 1},
		"other key":       {Key: "secrets/" + sha + ".json", SHA256: sha, Bytes: 1},
		"key of another":  {Key: "plans/" + strings.Repeat("cd", 32) + ".json", SHA256: sha, Bytes: 1},
		"path traversal":  {Key: "plans/../" + sha + ".json", SHA256: sha, Bytes: 1},
		"negative bytes":  {Key: "plans/" + sha + ".json", SHA256: sha, Bytes: -1},
		"too many bytes":  {Key: "plans/" + sha + ".json", SHA256: sha, Bytes: planstore.MaxBytes + 1},
		"trailing suffix": {Key: "plans/" + sha + ".json.gz", SHA256: sha, Bytes: 1},
	} {
		_, err := store.Get(context.Background(), ref)
		var inv *errs.InvalidInputError
		if !errors.As(err, &inv) {
			t.Errorf("%s: Get(%+v) = %T %v, want an InvalidInputError", name, ref, err, err)
		}
	}
	if n := emu.AllRequests(); n != 0 {
		t.Errorf("malformed refs made %d requests, want none", n)
	}
}

func TestSizeLimits(t *testing.T) {
	emu, store := setup(t)
	ctx := context.Background()
	if _, err := store.Put(ctx, make([]byte, planstore.MaxBytes+1)); !errors.Is(err, planstore.ErrTooLarge) {
		t.Errorf("Put of MaxBytes+1: %v, want ErrTooLarge", err)
	}
	if n := emu.AllRequests(); n != 0 {
		t.Errorf("an oversized Put made %d requests", n)
	}
	// A key holding more than MaxBytes (it cannot be a chunk Put made) is refused, not read.
	sha := strings.Repeat("0", 64)
	ref := planstore.Ref{Key: "plans/" + sha + ".json", SHA256: sha, Bytes: 10}
	if err := emu.Put(bucket, ref.Key, make([]byte, 2*planstore.MaxBytes), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Get(ctx, ref); !errors.Is(err, planstore.ErrTooLarge) {
		t.Errorf("Get of a 2 MiB object: %v, want ErrTooLarge", err)
	}
}

// fakeAPI answers GetObject with an endless body that records how much was read and whether
// it was closed, and no Content-Length, as a chunked response would have.
type fakeAPI struct {
	planstore.API
	body *endless
}

type endless struct {
	read   int
	closed bool
}

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	e.read += len(p)
	return len(p), nil
}
func (e *endless) Close() error { e.closed = true; return nil }

func (f *fakeAPI) GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	return &s3.GetObjectOutput{Body: f.body, ContentLength: aws.Int64(-1)}, nil
}

func TestGetReadsBoundedAndCloses(t *testing.T) {
	f := &fakeAPI{body: &endless{}}
	sha := strings.Repeat("1", 64)
	_, err := planstore.New(f, bucket).Get(context.Background(), planstore.Ref{Key: "plans/" + sha + ".json", SHA256: sha, Bytes: 5})
	if !errors.Is(err, planstore.ErrTooLarge) {
		t.Errorf("Get of an endless body: %v, want ErrTooLarge", err)
	}
	if f.body.read > planstore.MaxBytes+1 || !f.body.closed {
		t.Errorf("read %d bytes (limit %d), closed %v", f.body.read, planstore.MaxBytes+1, f.body.closed)
	}
	var _ io.ReadCloser = f.body
}
