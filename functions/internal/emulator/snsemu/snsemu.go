// Package snsemu is an Amazon SNS emulator speaking the AWS Query protocol the SDK uses for SNS
// (form-encoded POST, XML answers), enough for Publish: tests and the demo point the real SNS
// client at it and read what a person would have received. It refuses what SNS refuses: an
// unsigned request, a missing or unknown Action, and a Publish outside the documented limits
// (FIDELITY.md lists them with their sources).
package snsemu

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// MaxMessageBytes is the largest Message SNS accepts: 256 KiB, counted in bytes.
const MaxMessageBytes = 256 * 1024

// MaxSubjectLength bounds a Subject: it must be shorter than 100 characters.
const MaxSubjectLength = 100

// Message is one published message.
type Message struct {
	TopicArn string
	Subject  string
	Message  string
}

// Emulator records published messages. Its zero value is not ready: use New.
type Emulator struct {
	mu       sync.Mutex
	messages []Message
	failNext int
}

// New returns an empty emulator.
func New() *Emulator { return &Emulator{} }

// Messages returns a copy of what was published, in order.
func (e *Emulator) Messages() []Message {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Message(nil), e.messages...)
}

// FailNext makes the next n Publish calls answer 500 InternalError.
func (e *Emulator) FailNext(n int) {
	e.mu.Lock()
	e.failNext = n
	e.mu.Unlock()
}

func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		e.fail(w, http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token")
		return
	}
	if err := r.ParseForm(); err != nil {
		e.fail(w, http.StatusBadRequest, "InvalidParameter", err.Error())
		return
	}
	switch a := r.PostForm.Get("Action"); a {
	case "Publish":
	case "":
		e.fail(w, http.StatusBadRequest, "MissingAction", "The request is missing an action or a required parameter.")
		return
	default:
		e.fail(w, http.StatusBadRequest, "InvalidAction", fmt.Sprintf("action %q is not emulated", a))
		return
	}
	e.mu.Lock()
	if e.failNext > 0 {
		e.failNext--
		e.mu.Unlock()
		e.fail(w, http.StatusInternalServerError, "InternalError", "injected failure")
		return
	}
	m := Message{TopicArn: r.PostForm.Get("TopicArn"), Subject: r.PostForm.Get("Subject"), Message: r.PostForm.Get("Message")}
	_, hasSubject := r.PostForm["Subject"]
	if err := validate(m, hasSubject); err != "" {
		e.mu.Unlock()
		e.fail(w, http.StatusBadRequest, "InvalidParameter", err)
		return
	}
	e.messages = append(e.messages, m)
	id := fmt.Sprintf("00000000-0000-4000-8000-%012d", len(e.messages))
	e.mu.Unlock()
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>%s</MessageId></PublishResult><ResponseMetadata><RequestId>req-%s</RequestId></ResponseMetadata></PublishResponse>`, id, id)
}

// validate applies SNS's documented limits: a topic, a non-empty UTF-8 message of at most
// MaxMessageBytes, and, when a Subject is sent, one that is not empty, is ASCII text beginning
// with a letter, number or punctuation mark, has no line breaks or control characters and is
// shorter than MaxSubjectLength.
func validate(m Message, hasSubject bool) string {
	if m.TopicArn == "" {
		return "Invalid parameter: TopicArn"
	}
	if m.Message == "" {
		return "Invalid parameter: Empty message"
	}
	if len(m.Message) > MaxMessageBytes {
		return "Invalid parameter: Message too long"
	}
	if !utf8.ValidString(m.Message) {
		return "Invalid parameter: Message must be UTF-8 encoded"
	}
	if !hasSubject {
		return ""
	}
	if m.Subject == "" || len(m.Subject) >= MaxSubjectLength {
		return "Invalid parameter: Subject"
	}
	for _, c := range m.Subject {
		if c > unicode.MaxASCII || !unicode.IsPrint(c) {
			return "Invalid parameter: Subject must be ASCII text without line breaks or control characters"
		}
	}
	// Every printable ASCII character but the space is a letter, a digit or punctuation.
	if m.Subject[0] == ' ' {
		return "Invalid parameter: Subject must begin with a letter, number, or punctuation mark"
	}
	return ""
}

func (e *Emulator) fail(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	type errT struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	b, _ := xml.Marshal(struct {
		XMLName   xml.Name `xml:"ErrorResponse"`
		Error     errT     `xml:"Error"`
		RequestID string   `xml:"RequestId"`
	}{Error: errT{Type: faultOf(status), Code: code, Message: msg}, RequestID: "req-error"})
	_, _ = w.Write(b)
}

// faultOf is the Query protocol's Type of an error: Receiver for a server fault (5xx), Sender
// for the client's.
func faultOf(status int) string {
	if status >= 500 {
		return "Receiver"
	}
	return "Sender"
}
