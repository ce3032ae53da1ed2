package s3emu

import (
	"encoding/xml"
	"net/http"
	"strconv"
)

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
