package s3emu

import (
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

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
