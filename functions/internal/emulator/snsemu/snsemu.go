// Package snsemu is an Amazon SNS emulator speaking the AWS Query protocol the SDK uses for SNS
// (form-encoded POST, XML answers), enough for Publish: tests and the demo point the real SNS
// client at it and read what a person would have received.
package snsemu

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"sync"
	"unicode"
)

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
	if err := r.ParseForm(); err != nil {
		e.fail(w, http.StatusBadRequest, "InvalidParameter", err.Error())
		return
	}
	if a := r.PostForm.Get("Action"); a != "Publish" {
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
	if err := validate(m); err != "" {
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

// validate applies SNS's documented limits: a topic, a message, and a subject of ASCII
// printable characters shorter than 100 characters with no line breaks.
func validate(m Message) string {
	if m.TopicArn == "" {
		return "Invalid parameter: TopicArn"
	}
	if m.Message == "" {
		return "Invalid parameter: Empty message"
	}
	if len(m.Message) > 256*1024 {
		return "Invalid parameter: Message too long"
	}
	if len(m.Subject) >= 100 {
		return "Invalid parameter: Subject must be less than 100 characters"
	}
	for _, c := range m.Subject {
		if c > unicode.MaxASCII || !unicode.IsPrint(c) {
			return "Invalid parameter: Subject must be ASCII text without line breaks or control characters"
		}
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
	}{Error: errT{Type: "Sender", Code: code, Message: msg}, RequestID: "req-error"})
	_, _ = w.Write(b)
}
