package s3emu

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

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
		// PutObject's reference: a checksum whose algorithm is not the one named in
		// x-amz-sdk-checksum-algorithm fails with BadDigest.
		return "", "", "BadDigest", fmt.Sprintf("x-amz-sdk-checksum-algorithm is %s but the checksum sent is %s.", strings.ToUpper(sdkAlg), strings.ToUpper(g.alg))
	}
	if !validDigest(g.alg, g.value) {
		return "", "", "InvalidRequest", fmt.Sprintf("Value for x-amz-checksum-%s header is invalid.", g.alg)
	}
	if d := digest(g.alg, data); d != g.value {
		return "", "", "BadDigest", fmt.Sprintf("The %s you specified did not match the calculated checksum.", strings.ToUpper(g.alg))
	}
	return g.alg, g.value, "", ""
}

func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}
