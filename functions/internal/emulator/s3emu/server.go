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
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
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

// object is one stored object. It is never changed once stored: a new put replaces it.
type object struct {
	body            []byte
	etag            string // quoted MD5 hex
	contentType     string
	contentEncoding string
	sse             string
	checksumAlg     string // a key of algorithms
	checksum        string // base64
	meta            http.Header
	lastModified    time.Time
	request         http.Header // the PutObject request's headers; nil for Put
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

func newObject(body []byte, contentType, contentEncoding, sse, alg, sum string, meta, request http.Header) *object {
	return &object{
		body: body, etag: `"` + hex.EncodeToString(md5Sum(body)) + `"`,
		contentType: contentType, contentEncoding: contentEncoding, sse: sse,
		checksumAlg: alg, checksum: sum, meta: meta, request: request,
		lastModified: time.Now().UTC().Truncate(time.Second),
	}
}

// header returns the object's response headers; the checksum only when withChecksum.
func (o *object) header(withChecksum bool) http.Header {
	h := http.Header{}
	for k, v := range o.meta {
		h[k] = slices.Clone(v)
	}
	h.Set("Content-Type", o.contentType)
	h.Set("Content-Length", strconv.Itoa(len(o.body)))
	h.Set("ETag", o.etag)
	h.Set("Last-Modified", o.lastModified.Format(http.TimeFormat))
	h.Set("Accept-Ranges", "bytes")
	h.Set("X-Amz-Server-Side-Encryption", o.sse)
	if o.contentEncoding != "" {
		h.Set("Content-Encoding", o.contentEncoding)
	}
	if withChecksum {
		h.Set(checksumPrefix+o.checksumAlg, o.checksum)
		h.Set("X-Amz-Checksum-Type", "FULL_OBJECT")
	}
	return h
}

// call is one request being answered.
type call struct {
	w           http.ResponseWriter
	r           *http.Request
	bucket, key string
	requestID   string
}

// s3Error is S3's error document.
type s3Error struct {
	XMLName    xml.Name `xml:"Error"`
	Code       string   `xml:"Code"`
	Message    string   `xml:"Message"`
	Key        string   `xml:"Key,omitempty"`
	BucketName string   `xml:"BucketName,omitempty"`
	RequestID  string   `xml:"RequestId"`
	HostID     string   `xml:"HostId"`
}

// fail answers an S3 error; a HEAD gets the status alone.
func (c *call) fail(status int, code, msg string) {
	if c.r.Method == http.MethodHead {
		c.w.WriteHeader(status)
		return
	}
	e := s3Error{Code: code, Message: msg, RequestID: c.requestID, HostID: c.w.Header().Get("X-Amz-Id-2")}
	switch code {
	case "NoSuchKey":
		e.Key = c.key
	case "NoSuchBucket":
		e.BucketName = c.bucket
	}
	b, _ := xml.Marshal(e)
	body := append([]byte(xml.Header), b...)
	c.w.Header().Set("Content-Type", "application/xml")
	c.w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	c.w.WriteHeader(status)
	_, _ = c.w.Write(body)
}

func (c *call) notImplemented(what string) {
	c.fail(http.StatusNotImplemented, "NotImplemented", "A header or query you provided implies functionality that is not implemented (s3emu: "+what+").")
}

// injected is the code and message S3 answers with for an injected failure status.
var injected = map[int][2]string{
	http.StatusServiceUnavailable:  {"SlowDown", "Please reduce your request rate."},
	http.StatusInternalServerError: {"InternalError", "We encountered an internal error. Please try again."},
	http.StatusTooManyRequests:     {"TooManyRequests", "Please reduce your request rate."},
	http.StatusForbidden:           {"AccessDenied", "Access Denied"},
	http.StatusBadRequest:          {"InvalidRequest", "Injected failure."},
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

// putObject answers PutObject; raw is the body as sent.
func (s *Server) putObject(c *call, raw []byte) {
	h := c.r.Header
	if !s.hasBucket(c.bucket) {
		c.fail(http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist")
		return
	}
	if h.Get("If-Match") != "" || h.Get("If-None-Match") != "" && h.Get("If-None-Match") != "*" {
		c.notImplemented("conditional writes other than If-None-Match: *")
		return
	}
	payloadHash := h.Get("X-Amz-Content-Sha256")
	if payloadHash == "" {
		c.fail(http.StatusBadRequest, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256")
		return
	}

	// Undo aws-chunked framing; what is left of Content-Encoding is stored.
	var encodings []string
	chunked := strings.HasPrefix(payloadHash, "STREAMING-")
	for _, v := range h.Values("Content-Encoding") {
		for e := range strings.SplitSeq(v, ",") {
			e = strings.TrimSpace(e)
			if strings.EqualFold(e, "aws-chunked") {
				chunked = true
			} else if e != "" {
				encodings = append(encodings, e)
			}
		}
	}
	data := raw
	var trailers []trailer
	if chunked {
		decoded := h.Get("X-Amz-Decoded-Content-Length")
		if decoded == "" {
			c.fail(http.StatusLengthRequired, "MissingContentLength", "You must provide the Content-Length HTTP header (x-amz-decoded-content-length for aws-chunked bodies).")
			return
		}
		n, err := strconv.ParseInt(decoded, 10, 64)
		if err != nil || n < 0 {
			c.fail(http.StatusBadRequest, "InvalidArgument", "x-amz-decoded-content-length is not a number of bytes.")
			return
		}
		if data, trailers, err = decodeAWSChunked(raw); err != nil {
			c.fail(http.StatusBadRequest, "InvalidRequest", "The aws-chunked body is malformed: "+err.Error())
			return
		}
		if int64(len(data)) != n {
			c.fail(http.StatusBadRequest, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header.")
			return
		}
		if msg := checkTrailers(h, trailers); msg != "" {
			c.fail(http.StatusBadRequest, "MalformedTrailerError", "The request contained trailing data that was not well-formed or did not conform to our published schema: "+msg)
			return
		}
	} else if isSHA256Hex(payloadHash) {
		sum := sha256.Sum256(raw)
		if !strings.EqualFold(payloadHash, hex.EncodeToString(sum[:])) {
			c.fail(http.StatusBadRequest, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.")
			return
		}
	} else if payloadHash != "UNSIGNED-PAYLOAD" {
		c.fail(http.StatusBadRequest, "InvalidArgument", "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-..., or a valid sha256 value.")
		return
	}
	if len(data) > MaxObjectBytes {
		c.fail(http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
		return
	}

	// Integrity: one flexible checksum (header or trailer), Content-MD5.
	alg, sum, code, msg := checkChecksums(h, trailers, data)
	if code != "" {
		c.fail(http.StatusBadRequest, code, msg)
		return
	}
	if v := h.Get("Content-Md5"); v != "" {
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(b) != 16 {
			c.fail(http.StatusBadRequest, "InvalidDigest", "The Content-MD5 you specified was invalid.")
			return
		}
		if string(b) != string(md5Sum(data)) {
			c.fail(http.StatusBadRequest, "BadDigest", "The Content-MD5 you specified did not match what we received.")
			return
		}
	}

	sse := h.Get("X-Amz-Server-Side-Encryption")
	switch sse {
	case "":
		sse = "AES256" // the bucket's default encryption
	case "AES256", "aws:kms", "aws:kms:dsse":
	default:
		c.fail(http.StatusBadRequest, "InvalidArgument", "The encryption method specified is not supported")
		return
	}
	contentType := h.Get("Content-Type")
	if contentType == "" {
		contentType = "binary/octet-stream"
	}
	meta := http.Header{}
	for k, v := range h {
		if strings.HasPrefix(strings.ToLower(k), "x-amz-meta-") {
			meta[k] = slices.Clone(v)
		}
	}
	o := newObject(data, contentType, strings.Join(encodings, ","), sse, alg, sum, meta, h.Clone())

	s.mu.Lock()
	b := s.buckets[c.bucket]
	if b == nil {
		s.mu.Unlock()
		c.fail(http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist")
		return
	}
	if h.Get("If-None-Match") == "*" && b[c.key] != nil {
		s.mu.Unlock()
		c.fail(http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
		return
	}
	b[c.key] = o
	s.mu.Unlock()

	rh := c.w.Header()
	rh.Set("ETag", o.etag)
	rh.Set("X-Amz-Server-Side-Encryption", o.sse)
	rh.Set(checksumPrefix+o.checksumAlg, o.checksum)
	rh.Set("X-Amz-Checksum-Type", "FULL_OBJECT")
	rh.Set("Content-Length", "0")
	c.w.WriteHeader(http.StatusOK)
}

// checkTrailers reports ("" if none) a trailer that x-amz-trailer did not declare, or a
// declared one that did not come.
func checkTrailers(h http.Header, trailers []trailer) string {
	declared := map[string]bool{}
	for _, v := range h.Values("X-Amz-Trailer") {
		for n := range strings.SplitSeq(v, ",") {
			if n = strings.ToLower(strings.TrimSpace(n)); n != "" {
				declared[n] = false
			}
		}
	}
	for _, t := range trailers {
		n := strings.ToLower(t.Name)
		if n == "x-amz-trailer-signature" {
			continue
		}
		if _, ok := declared[n]; !ok {
			return fmt.Sprintf("trailer %s was not declared in x-amz-trailer", n)
		}
		declared[n] = true
	}
	for n, seen := range declared {
		if !seen {
			return fmt.Sprintf("trailer %s was declared in x-amz-trailer but not sent", n)
		}
	}
	return ""
}

// checkChecksums verifies the flexible checksum sent in a header or trailer, if any, and
// returns the algorithm and value to store (a computed CRC64NVME when none was sent), or the
// S3 error code and message to answer with.
func checkChecksums(h http.Header, trailers []trailer, data []byte) (alg, sum, code, msg string) {
	type sent struct{ alg, value string }
	var got []sent
	for name, vs := range h {
		if a, ok := checksumAlgorithm(name); ok {
			got = append(got, sent{a, vs[0]})
		}
	}
	for _, t := range trailers {
		if a, ok := checksumAlgorithm(t.Name); ok {
			got = append(got, sent{a, t.Value})
		}
	}
	sdkAlg := strings.ToLower(h.Get("X-Amz-Sdk-Checksum-Algorithm"))
	switch {
	case len(got) > 1:
		return "", "", "InvalidRequest", "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."
	case len(got) == 0 && sdkAlg != "":
		return "", "", "InvalidRequest", "x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found."
	case len(got) == 0:
		return "crc64nvme", digest("crc64nvme", data), "", ""
	}
	g := got[0]
	if algorithms[g.alg] == nil {
		return "", "", "InvalidRequest", fmt.Sprintf("Checksum algorithm %s is not supported.", strings.ToUpper(g.alg))
	}
	if sdkAlg != "" && sdkAlg != g.alg {
		return "", "", "InvalidRequest", fmt.Sprintf("Value for x-amz-sdk-checksum-algorithm header is invalid: the checksum sent is %s.", strings.ToUpper(g.alg))
	}
	if !validDigest(g.alg, g.value) {
		return "", "", "InvalidRequest", fmt.Sprintf("Value for x-amz-checksum-%s header is invalid.", g.alg)
	}
	if d := digest(g.alg, data); d != g.value {
		return "", "", "BadDigest", fmt.Sprintf("The %s you specified did not match the calculated checksum.", strings.ToUpper(g.alg))
	}
	return g.alg, g.value, "", ""
}

// getObject answers GetObject, or HeadObject when head.
func (s *Server) getObject(c *call, head bool) {
	for _, h := range []string{"Range", "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since"} {
		if c.r.Header.Get(h) != "" {
			c.notImplemented(h)
			return
		}
	}
	s.mu.Lock()
	b := s.buckets[c.bucket]
	o := b[c.key]
	s.mu.Unlock()
	switch {
	case b == nil:
		c.fail(http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist")
		return
	case o == nil:
		c.fail(http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
		return
	}
	withChecksum := strings.EqualFold(c.r.Header.Get("X-Amz-Checksum-Mode"), "ENABLED")
	for k, v := range o.header(withChecksum) {
		c.w.Header()[k] = v
	}
	c.w.WriteHeader(http.StatusOK)
	if !head {
		_, _ = c.w.Write(o.body)
	}
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

func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return strings.ToUpper(hex.EncodeToString(b))
}
