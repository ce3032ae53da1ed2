// Package ssoadminemu is an in-memory emulator of the IAM Identity Center administration API
// (sso-admin, service SWBExternalService) for tests and the demo. It speaks the AWS JSON 1.1
// protocol the real SDK client uses: POST /, X-Amz-Target: SWBExternalService.<Operation>,
// errors as HTTP 400 with a __type. It reproduces what just-in-time access depends on:
// CreateAccountAssignment and DeleteAccountAssignment are asynchronous (IN_PROGRESS for a
// configurable number of status polls, then SUCCEEDED, or FAILED with a FailureReason), the
// assignment exists only once its creation SUCCEEDED, a second operation on an assignment with
// one in progress is refused with ConflictException, at most MaxOutstandingCreations creations
// are IN_PROGRESS at once (ThrottlingException beyond), and ConflictException and
// ThrottlingException can be injected. FIDELITY.md lists the sources.
package ssoadminemu

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/awsjson"
	"net/http"
	"strings"
	"sync"
	"time"
)

const targetPrefix = "SWBExternalService."

// Server is the emulator; it is an http.Handler for httptest.NewServer. All methods are safe for
// concurrent use.
type Server struct {
	instanceArn string
	instanceID  string

	mu             sync.Mutex
	permissionSets map[string]*permissionSet // by ARN
	psOrder        []string
	accounts       map[string]bool
	assignments    map[Assignment]bool
	requests       map[string]*operation // by request id
	pollsToFinish  int
	failNext       []string // FailureReasons for the next creations
	conflictNext   int
	throttleNext   int
	counts         map[string]int
}

type permissionSet struct {
	Name, Description, Arn, SessionDuration string
	Created                                 time.Time
}

// Assignment is one account assignment.
type Assignment struct {
	AccountID        string
	PermissionSetArn string
	PrincipalType    string // USER or GROUP
	PrincipalID      string
}

type operation struct {
	ID      string
	Delete  bool
	A       Assignment
	Status  string // IN_PROGRESS, SUCCEEDED, FAILED
	Reason  string
	Polls   int
	Created time.Time
}

// New returns an empty Identity Center instance whose ARN is instanceArn
// (arn:aws:sso:::instance/ssoins-...). Creations and deletions finish on the second status poll.
func New(instanceArn string) *Server {
	return &Server{
		instanceArn:    instanceArn,
		instanceID:     instanceArn[strings.LastIndex(instanceArn, "/")+1:],
		permissionSets: map[string]*permissionSet{},
		accounts:       map[string]bool{},
		assignments:    map[Assignment]bool{},
		requests:       map[string]*operation{},
		pollsToFinish:  2,
		counts:         map[string]int{},
	}
}

// InstanceArn is the instance the emulator answers for.
func (s *Server) InstanceArn() string { return s.instanceArn }

// SetPollsToFinish sets on which status poll an operation finishes: n polls answer IN_PROGRESS
// n-1 times first (n ≤ 1: the first poll already finishes).
func (s *Server) SetPollsToFinish(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pollsToFinish = n
}

// FailNextCreation makes the next account assignment creation end FAILED with reason.
func (s *Server) FailNextCreation(reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = append(s.failNext, reason)
}

// ConflictNext makes the next n Create/DeleteAccountAssignment requests fail with
// ConflictException.
func (s *Server) ConflictNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conflictNext = n
}

// ThrottleNext makes the next n requests, whatever their operation, fail with
// ThrottlingException.
func (s *Server) ThrottleNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttleNext = n
}

// Requests is how many requests for operation op the emulator received, refused ones included.
func (s *Server) Requests(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[op]
}

type apiError struct {
	Type    string `json:"__type"`
	Message string `json:"Message"`
	Reason  string `json:"Reason,omitempty"`
}

func (e *apiError) Error() string { return e.Type + ": " + e.Message }

func validation(format string, args ...any) *apiError {
	return &apiError{Type: "ValidationException", Message: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *apiError {
	return &apiError{Type: "ResourceNotFoundException", Message: fmt.Sprintf(format, args...)}
}

// proto is this service's dialect of the AWS JSON protocol.
var proto = awsjson.Protocol{Version: "1.1", TargetPrefix: targetPrefix}

type handler func(s *Server, body []byte) (any, *apiError)

var operations = map[string]handler{
	"CreateAccountAssignment":                 (*Server).createAssignment,
	"DeleteAccountAssignment":                 (*Server).deleteAssignment,
	"DescribeAccountAssignmentCreationStatus": (*Server).describeCreation,
	"DescribeAccountAssignmentDeletionStatus": (*Server).describeDeletion,
	"ListAccountAssignments":                  (*Server).listAssignments,
	"DescribePermissionSet":                   (*Server).describePermissionSet,
	"ListPermissionSets":                      (*Server).listPermissionSets,
}

// mutating operations are the ones ConflictNext refuses.
var mutating = map[string]bool{"CreateAccountAssignment": true, "DeleteAccountAssignment": true}

// ServeHTTP answers one AWS JSON 1.1 request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, h, body, ok := awsjson.ReadOp(proto, w, r, operations)
	if !ok {
		return
	}
	s.mu.Lock()
	s.counts[op]++
	var out any
	var apiErr *apiError
	switch {
	case s.throttleNext > 0:
		s.throttleNext--
		apiErr = &apiError{Type: "ThrottlingException", Message: "Rate exceeded"}
	case mutating[op] && s.conflictNext > 0:
		s.conflictNext--
		apiErr = &apiError{Type: "ConflictException", Message: "Occurs when a conflict with a previous successful write is detected. This generally occurs when the previous write did not have time to propagate to the host serving the current request."}
	default:
		var base struct{ InstanceArn string }
		if err := json.Unmarshal(body, &base); err != nil {
			apiErr = &apiError{Type: "SerializationException", Message: "malformed request body: " + err.Error()}
		} else if base.InstanceArn != s.instanceArn {
			apiErr = validation("The instance ARN %q is not valid for this account", base.InstanceArn)
		} else {
			out, apiErr = h(s, body)
		}
	}
	s.mu.Unlock()
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	proto.Write(w, out)
}

func writeError(w http.ResponseWriter, e *apiError) {
	proto.WriteError(w, http.StatusBadRequest, e)
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func decode(body []byte, v any) *apiError {
	if err := json.Unmarshal(body, v); err != nil {
		return &apiError{Type: "SerializationException", Message: "malformed request body: " + err.Error()}
	}
	return nil
}

// page returns items[from:from+size] and the next token, for opaque numeric tokens. maxResults, when
// given, must be 1..100 (the documented range of MaxResults); it defaults to 100.
func page[T any](items []T, token string, maxResults *int32) ([]T, *string, *apiError) {
	size := 100
	if maxResults != nil {
		if *maxResults < 1 || *maxResults > 100 {
			return nil, nil, validation("MaxResults must be between 1 and 100, got %d", *maxResults)
		}
		size = int(*maxResults)
	}
	from := 0
	if token != "" {
		if _, err := fmt.Sscanf(token, "tok-%d", &from); err != nil || from < 0 || from > len(items) {
			return nil, nil, validation("invalid NextToken")
		}
	}
	end := min(from+size, len(items))
	if end < len(items) {
		next := fmt.Sprintf("tok-%d", end)
		return items[from:end], &next, nil
	}
	return items[from:end], nil, nil
}
