// Package planstore keeps database-plan chunks in S3 and hands out references to them.
//
// A Step Functions state carries at most 256 KiB of input and output, and a plan for an
// all-groups change over large groups, repeated per database, can outgrow it. Such a plan
// travels as small Refs instead: the chunk is stored once, and the state that needs it reads it
// back. Chunks are content-addressed (the key is the SHA-256 of the body), so a retried or
// redriven step that stores the same chunk again writes the same object and returns the same
// Ref, and a Ref read back is checked against the bytes it names: a reference can never load
// a different plan than the one it was made for. Objects are written with SSE-S3 and expire by
// the bucket's lifecycle rule once the 14-day redrive window has passed; a Ref older than that
// reads as ErrNotFound, and the execution must be planned anew.
//
// Errors name the bucket and key, never the body. Throttling (503 SlowDown, 429), S3 server
// errors (5xx) and network failures come back as *TemporaryError, which errs.Classify turns into
// a RetryableError; a malformed Ref (it comes from state input) is an *errs.InvalidInputError,
// refused before any request; a missing bucket or a refused access is an *errs.ConfigError.
// The function's role needs s3:ListBucket on the bucket besides s3:GetObject and s3:PutObject:
// without it S3 answers a missing key with 403 AccessDenied instead of 404 NoSuchKey, and an
// expired chunk would look like a configuration error.
package planstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/ssoflow/ssoflow/functions/internal/errs"
)

// MaxBytes is the largest chunk a Ref may name: Put refuses bodies over it and Get refuses to
// read more than it.
const MaxBytes = 1 << 20

// keyPrefix is where chunks live in the bucket; the lifecycle rule targets it.
const keyPrefix = "plans/"

// ErrNotFound means the chunk a Ref names is not in the bucket (any more): it expired after the
// redrive window, or was never stored there.
var ErrNotFound = errors.New("plan chunk not found (chunks expire after the redrive window)")

// ErrCorrupt means the stored object is not the chunk its Ref names: its length or SHA-256
// differs.
var ErrCorrupt = errors.New("stored plan chunk does not match its reference")

// ErrTooLarge means a chunk is over MaxBytes.
var ErrTooLarge = fmt.Errorf("plan chunk over the %d-byte limit", MaxBytes)

// Ref names a stored chunk: it travels in Step Functions state instead of the chunk.
type Ref struct {
	Key    string `json:"key"`    // "plans/<sha256 hex>.json"
	SHA256 string `json:"sha256"` // hex of the body
	Bytes  int    `json:"bytes"`
}

// API is what the store needs of S3; *s3.Client has it.
type API interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// Store keeps chunks in one bucket. It is safe for concurrent use if its API is.
type Store struct {
	api    API
	bucket string
}

// New returns a Store of the bucket named, through api.
func New(api API, bucket string) *Store { return &Store{api: api, bucket: bucket} }

// Bucket is the name of the store's bucket.
func (s *Store) Bucket() string { return s.bucket }

// TemporaryError is a failure worth retrying later: S3 throttling (503 SlowDown, 429), a 5xx, or
// a network failure. errs.Classify turns it into a RetryableError.
type TemporaryError struct {
	Op     string // "put" or "get"
	Bucket string
	Key    string
	Err    error
}

func (e *TemporaryError) Error() string {
	return fmt.Sprintf("plan store %s s3://%s/%s: temporary failure: %v", e.Op, e.Bucket, e.Key, e.Err)
}
func (e *TemporaryError) Unwrap() error   { return e.Err }
func (e *TemporaryError) Temporary() bool { return true }

// Put stores body under its content address (idempotent: the same body gives the same Ref), with
// ServerSideEncryption AES256 and Content-Type application/json. S3 checks the upload against
// the same SHA-256 (sent as its x-amz-checksum-sha256).
func (s *Store) Put(ctx context.Context, body []byte) (Ref, error) {
	if len(body) > MaxBytes {
		return Ref{}, fmt.Errorf("plan store put to s3://%s: %w: %d bytes", s.bucket, ErrTooLarge, len(body))
	}
	sum := sha256.Sum256(body)
	ref := Ref{Key: keyFor(hex.EncodeToString(sum[:])), SHA256: hex.EncodeToString(sum[:]), Bytes: len(body)}
	_, err := s.api.PutObject(ctx, &s3.PutObjectInput{
		Bucket:               aws.String(s.bucket),
		Key:                  aws.String(ref.Key),
		Body:                 bytes.NewReader(body),
		ContentLength:        aws.Int64(int64(len(body))),
		ContentType:          aws.String("application/json"),
		ServerSideEncryption: types.ServerSideEncryptionAes256,
		ChecksumSHA256:       aws.String(base64.StdEncoding.EncodeToString(sum[:])),
	})
	if err != nil {
		return Ref{}, s.wrap("put", ref.Key, err)
	}
	return ref, nil
}

// Get reads a chunk and checks its length and SHA-256 against ref (a mismatch is an error
// matching ErrCorrupt). A missing object returns an error matching ErrNotFound (errors.Is).
func (s *Store) Get(ctx context.Context, ref Ref) ([]byte, error) {
	if err := ref.validate(); err != nil {
		return nil, err
	}
	out, err := s.api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(ref.Key)})
	if err != nil {
		return nil, s.wrap("get", ref.Key, err)
	}
	if out.Body == nil {
		return nil, fmt.Errorf("plan store get s3://%s/%s: no body in the response", s.bucket, ref.Key)
	}
	defer out.Body.Close()
	if n := aws.ToInt64(out.ContentLength); n > MaxBytes {
		return nil, fmt.Errorf("plan store get s3://%s/%s: %w: the object has %d bytes", s.bucket, ref.Key, ErrTooLarge, n)
	}
	body, err := io.ReadAll(io.LimitReader(out.Body, MaxBytes+1))
	if err != nil {
		// A connection cut mid-body, or the SDK's response checksum failing: the read may work
		// again.
		return nil, &TemporaryError{Op: "get", Bucket: s.bucket, Key: ref.Key, Err: fmt.Errorf("reading the body: %w", err)}
	}
	if len(body) > MaxBytes {
		return nil, fmt.Errorf("plan store get s3://%s/%s: %w: the object has more", s.bucket, ref.Key, ErrTooLarge)
	}
	sum := sha256.Sum256(body)
	if got := hex.EncodeToString(sum[:]); len(body) != ref.Bytes || got != ref.SHA256 {
		return nil, fmt.Errorf("plan store get s3://%s/%s: %w: the object has %d bytes with SHA-256 %s, the reference says %d bytes with SHA-256 %s",
			s.bucket, ref.Key, ErrCorrupt, len(body), got, ref.Bytes, ref.SHA256)
	}
	return body, nil
}

func keyFor(sha string) string { return keyPrefix + sha + ".json" }

var reSHA256 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// validate refuses a Ref that Put could not have made.
func (r Ref) validate() error {
	invalid := func(format string, args ...any) error {
		return &errs.InvalidInputError{Err: fmt.Errorf("plan store: invalid chunk reference: "+format, args...)}
	}
	switch {
	case !reSHA256.MatchString(r.SHA256):
		return invalid("sha256 %.80q is not 64 lower-case hex digits", r.SHA256)
	case r.Key != keyFor(r.SHA256):
		return invalid("key %.200q is not %q", r.Key, keyFor(r.SHA256))
	case r.Bytes < 0 || r.Bytes > MaxBytes:
		return invalid("bytes %d is outside 0..%d", r.Bytes, MaxBytes)
	}
	return nil
}

// wrap gives an S3 error its context and its class.
func (s *Store) wrap(op, key string, err error) error {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	if errors.As(err, &nsk) || errors.As(err, &nf) {
		return fmt.Errorf("plan store %s s3://%s/%s: %w: %w", op, s.bucket, key, ErrNotFound, err)
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchBucket", "AccessDenied", "AllAccessDisabled":
			return &errs.ConfigError{Err: fmt.Errorf("plan store %s s3://%s/%s: %w", op, s.bucket, key, err)}
		}
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		if st := re.HTTPStatusCode(); st == http.StatusTooManyRequests || st >= 500 {
			return &TemporaryError{Op: op, Bucket: s.bucket, Key: key, Err: err}
		}
	}
	var se *smithyhttp.RequestSendError
	var ne net.Error
	if errors.As(err, &se) || errors.As(err, &ne) {
		return &TemporaryError{Op: op, Bucket: s.bucket, Key: key, Err: err}
	}
	return fmt.Errorf("plan store %s s3://%s/%s: %w", op, s.bucket, key, err)
}
