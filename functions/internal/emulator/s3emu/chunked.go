package s3emu

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// trailer is one "name:value" line after the last chunk of an aws-chunked body.
type trailer struct {
	Name, Value string
}

var crlf = []byte("\r\n")

// decodeAWSChunked decodes a whole aws-chunked request body
// (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html):
//
//	<hex-size>[;chunk-extension]\r\n<size bytes>\r\n   (repeated)
//	0[;chunk-extension]\r\n
//	<trailer-name>:<value>\r\n                        (zero or more)
//	\r\n
//
// It returns the payload and the trailers in order (names and values trimmed of surrounding
// blanks, names as sent). Chunk extensions (the chunk-signature of signed streaming uploads)
// are skipped, not verified. Anything that does not follow the framing exactly (a missing
// CRLF, a size that overruns the body, bytes after the final CRLF, a malformed or repeated
// trailer) is an error; the decoder never reads outside body and returns at most len(body)
// bytes of payload.
func decodeAWSChunked(body []byte) (data []byte, trailers []trailer, err error) {
	pos := 0
	line := func() ([]byte, bool) {
		i := bytes.Index(body[pos:], crlf)
		if i < 0 {
			return nil, false
		}
		l := body[pos : pos+i]
		pos += i + len(crlf)
		return l, true
	}
	data = []byte{}
	for n := 0; ; n++ {
		at := pos
		l, ok := line()
		if !ok {
			return nil, nil, fmt.Errorf("chunk %d at byte %d: no CRLF after the chunk size", n, at)
		}
		sizeField := l
		if i := bytes.IndexByte(l, ';'); i >= 0 {
			sizeField = l[:i]
		}
		if bytes.ContainsAny(l, "\r\n") {
			return nil, nil, fmt.Errorf("chunk %d at byte %d: stray CR or LF in the chunk header", n, at)
		}
		size, err := parseChunkSize(sizeField)
		if err != nil {
			return nil, nil, fmt.Errorf("chunk %d at byte %d: %w", n, at, err)
		}
		if size == 0 {
			break
		}
		if size > uint64(len(body)-pos) {
			return nil, nil, fmt.Errorf("chunk %d at byte %d: size %d overruns the %d bytes left", n, at, size, len(body)-pos)
		}
		data = append(data, body[pos:pos+int(size)]...)
		pos += int(size)
		if !bytes.HasPrefix(body[pos:], crlf) {
			return nil, nil, fmt.Errorf("chunk %d at byte %d: no CRLF after the chunk data", n, at)
		}
		pos += len(crlf)
	}
	seen := map[string]bool{}
	for {
		at := pos
		l, ok := line()
		if !ok {
			return nil, nil, fmt.Errorf("trailer at byte %d: no CRLF (a body ends with an empty line)", at)
		}
		if len(l) == 0 {
			break
		}
		name, value, ok := strings.Cut(string(l), ":")
		name, value = strings.TrimSpace(name), strings.Trim(value, " \t")
		if !ok || !validTrailerName(name) {
			return nil, nil, fmt.Errorf("trailer at byte %d: not a name:value line", at)
		}
		if strings.ContainsFunc(value, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }) {
			return nil, nil, fmt.Errorf("trailer %q: control character in the value", name)
		}
		k := strings.ToLower(name)
		if seen[k] {
			return nil, nil, fmt.Errorf("trailer %q: repeated", name)
		}
		seen[k] = true
		trailers = append(trailers, trailer{Name: name, Value: value})
	}
	if pos != len(body) {
		return nil, nil, fmt.Errorf("%d bytes after the end of the aws-chunked body", len(body)-pos)
	}
	return data, trailers, nil
}

var errChunkSize = errors.New("chunk size is not a hexadecimal number")

// parseChunkSize parses the hexadecimal size of a chunk: 1 to 16 hex digits, nothing else.
func parseChunkSize(b []byte) (uint64, error) {
	if len(b) == 0 || len(b) > 16 {
		return 0, errChunkSize
	}
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return 0, errChunkSize
		}
	}
	return strconv.ParseUint(string(b), 16, 64)
}

// validTrailerName reports whether s is an HTTP field name (an RFC 9110 token).
func validTrailerName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}
