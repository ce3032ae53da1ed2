// Package s3emu is an in-memory emulator of the Amazon S3 REST API for tests and the demo,
// limited to what ssoflow calls: PutObject, GetObject and HeadObject on path-style URLs
// (PUT, GET, HEAD /{bucket}/{key...}, keys percent-escaped and free to contain slashes). Tests
// read, replace and delete what is stored through Go methods; Delete stands in for the bucket's
// lifecycle expiry. It reproduces what the real SDK client sends and expects:
//
//   - Requests must be SigV4-signed: an Authorization header "AWS4-HMAC-SHA256 ..." (the
//     signature itself is not checked), else 403 AccessDenied.
//   - PutObject bodies arrive as the SDK sends them by default. Over plain http the body is
//     plain, its CRC32 in x-amz-checksum-crc32 and its SHA-256 signed in x-amz-content-sha256;
//     over https the body is aws-chunked (Content-Encoding: aws-chunked, x-amz-content-sha256:
//     STREAMING-UNSIGNED-PAYLOAD-TRAILER, x-amz-decoded-content-length) with the CRC32 in a
//     trailer. Both are decoded; a flexible checksum (header or trailer), Content-MD5 and a
//     signed payload hash are verified (400 BadDigest, InvalidDigest, InvalidRequest,
//     XAmzContentSHA256Mismatch), and only the decoded bytes are stored.
//   - Errors are S3's XML <Error> documents with S3's codes and statuses (404 NoSuchKey and
//     NoSuchBucket, 400 InvalidRequest, 403 AccessDenied, 500 InternalError, 503 SlowDown) and
//     an x-amz-request-id header; a HEAD error has no body, as in S3.
//   - Every bucket is treated as encrypted with SSE-S3 by default, as every S3 bucket is since
//     January 2023: an object put without x-amz-server-side-encryption reports AES256; one put
//     with it reports what was asked (AES256, aws:kms, aws:kms:dsse).
//   - An object put without a flexible checksum gets a CRC64NVME, as S3 computes for it. A GET
//     with x-amz-checksum-mode: ENABLED (which the SDK sets by default) is answered with the
//     stored checksum, which the SDK then validates against the body it reads.
//
// Throttling and server errors can be injected (FailNext), and requests are counted per
// operation. Everything else S3 offers (listing, deletes over HTTP, multipart uploads, ranges,
// conditional reads, versioning, SSE-C, presigned URLs, virtual-hosted addressing) answers 501
// NotImplemented. One object is limited to 64 MiB here (5 GiB in S3).
package s3emu

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// Operation names, as counted by Requests.
const (
	OpPutObject  = "PutObject"
	OpGetObject  = "GetObject"
	OpHeadObject = "HeadObject"
	// OpUnsupported counts requests for anything else (answered 501 NotImplemented).
	OpUnsupported = "Unsupported"
)

// MaxObjectBytes is the largest object the emulator stores.
const MaxObjectBytes = 64 << 20

// maxRequestBytes bounds a PutObject body as sent, aws-chunked framing included.
const maxRequestBytes = MaxObjectBytes + 1<<20

// Server is the emulator; it is an http.Handler for httptest.NewServer. All methods are safe for
// concurrent use.
type Server struct {
	mu         sync.Mutex
	buckets    map[string]map[string]*object
	counts     map[string]int
	total      int
	failNext   int
	failStatus int
}

// New returns an emulator holding the (empty) buckets named.
func New(buckets ...string) *Server {
	s := &Server{buckets: map[string]map[string]*object{}, counts: map[string]int{}}
	for _, b := range buckets {
		s.AddBucket(b)
	}
	return s
}

// AddBucket creates bucket if it does not exist.
func (s *Server) AddBucket(bucket string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.buckets[bucket] == nil {
		s.buckets[bucket] = map[string]*object{}
	}
}

// FailNext makes the next n signed requests, whatever their operation, fail with HTTP status
// and the S3 error code that goes with it: 503 SlowDown, 500 InternalError, 429
// TooManyRequests, 403 AccessDenied, 400 InvalidRequest (other statuses get a code made of
// their status text).
func (s *Server) FailNext(n int, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext, s.failStatus = n, status
}

// Requests is how many requests for operation op (OpPutObject, ...) the emulator received,
// refused ones included.
func (s *Server) Requests(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[op]
}

// AllRequests is how many requests the emulator received, of any operation.
func (s *Server) AllRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// Put stores body under bucket/key directly, as a PutObject without a checksum or encryption
// header would (SSE-S3, a CRC64NVME computed), replacing what was there: tests use it to seed
// or tamper with objects. An empty contentType stores S3's default, binary/octet-stream.
func (s *Server) Put(bucket, key string, body []byte, contentType string) error {
	if contentType == "" {
		contentType = "binary/octet-stream"
	}
	o := newObject(slices.Clone(body), contentType, "", "AES256", "crc64nvme", digest("crc64nvme", body), nil, nil)
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buckets[bucket]
	if b == nil {
		return fmt.Errorf("s3emu: no bucket %q", bucket)
	}
	b[key] = o
	return nil
}

// Object returns a copy of the object's bytes and whether it exists.
func (s *Server) Object(bucket, key string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.buckets[bucket][key]
	if o == nil {
		return nil, false
	}
	return slices.Clone(o.body), true
}

// Header returns the metadata stored with the object, as GetObject answers it: Content-Type,
// Content-Length, ETag, Last-Modified, x-amz-server-side-encryption, x-amz-checksum-<alg>,
// x-amz-meta-* and Content-Encoding when set.
func (s *Server) Header(bucket, key string) (http.Header, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.buckets[bucket][key]
	if o == nil {
		return nil, false
	}
	return o.header(true), true
}

// PutRequestHeader returns the headers of the PutObject request that stored the object, as
// received: what the client asked for and how it framed the body. It is nil for an object
// stored with Put.
func (s *Server) PutRequestHeader(bucket, key string) (http.Header, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.buckets[bucket][key]
	if o == nil {
		return nil, false
	}
	return o.request.Clone(), true
}

// Keys returns the keys stored in bucket, sorted.
func (s *Server) Keys(bucket string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.buckets[bucket]))
	for k := range s.buckets[bucket] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Delete removes an object, as the bucket's lifecycle expiry would, and reports whether it
// existed.
func (s *Server) Delete(bucket, key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.buckets[bucket][key]
	delete(s.buckets[bucket], key)
	return ok
}

// ServeHTTP answers one S3 REST request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := &call{w: w, r: r, requestID: randomHex(8)}
	w.Header().Set("X-Amz-Request-Id", c.requestID)
	w.Header().Set("X-Amz-Id-2", base64.StdEncoding.EncodeToString([]byte(randomHex(24))))
	w.Header().Set("Server", "AmazonS3")

	bucket, key, pathErr := splitPath(r.URL.EscapedPath())
	c.bucket, c.key = bucket, key
	op := OpUnsupported
	if pathErr == nil && bucket != "" && key != "" {
		switch r.Method {
		case http.MethodPut:
			op = OpPutObject
		case http.MethodGet:
			op = OpGetObject
		case http.MethodHead:
			op = OpHeadObject
		}
	}
	s.mu.Lock()
	s.counts[op]++
	s.total++
	s.mu.Unlock()

	// Read a PutObject body before answering anything, so that an early error does not leave
	// the client writing into a closed connection.
	var raw []byte
	if op == OpPutObject {
		if r.ContentLength < 0 {
			c.fail(http.StatusLengthRequired, "MissingContentLength", "You must provide the Content-Length HTTP header.")
			return
		}
		if r.ContentLength > maxRequestBytes {
			c.fail(http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
			return
		}
		var err error
		if raw, err = io.ReadAll(io.LimitReader(r.Body, r.ContentLength)); err != nil || int64(len(raw)) != r.ContentLength {
			c.fail(http.StatusBadRequest, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header.")
			return
		}
	}
	switch {
	case pathErr != nil:
		c.fail(http.StatusBadRequest, "InvalidURI", "Couldn't parse the specified URI.")
		return
	case !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 "):
		c.fail(http.StatusForbidden, "AccessDenied", "Access Denied")
		return
	case op == OpUnsupported:
		c.notImplemented(r.Method + " " + r.URL.EscapedPath())
		return
	}
	for q := range r.URL.Query() {
		if q != "x-id" {
			c.notImplemented("query parameter " + q)
			return
		}
	}
	if status := s.takeFailure(); status != 0 {
		code, msg := injected[status][0], injected[status][1]
		if code == "" {
			code, msg = strings.ReplaceAll(http.StatusText(status), " ", ""), "Injected failure."
		}
		c.fail(status, code, msg)
		return
	}
	if len(key) > 1024 {
		c.fail(http.StatusBadRequest, "KeyTooLongError", "Your key is too long")
		return
	}
	if r.Header.Get("X-Amz-Server-Side-Encryption-Customer-Algorithm") != "" {
		c.notImplemented("SSE-C")
		return
	}
	switch op {
	case OpPutObject:
		s.putObject(c, raw)
	default:
		s.getObject(c, op == OpHeadObject)
	}
}

func (s *Server) takeFailure() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failNext <= 0 {
		return 0
	}
	s.failNext--
	return s.failStatus
}

func (s *Server) hasBucket(bucket string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buckets[bucket] != nil
}

// splitPath splits an escaped path-style path /{bucket}/{key...} into its unescaped bucket
// and key.
func splitPath(escaped string) (bucket, key string, err error) {
	b, k, _ := strings.Cut(strings.TrimPrefix(escaped, "/"), "/")
	if bucket, err = url.PathUnescape(b); err != nil {
		return "", "", err
	}
	if key, err = url.PathUnescape(k); err != nil {
		return "", "", err
	}
	if strings.Contains(bucket, "/") {
		return "", "", errors.New("escaped slash in the bucket name")
	}
	return bucket, key, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return strings.ToUpper(hex.EncodeToString(b))
}
