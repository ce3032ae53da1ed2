// Package idstoreemu is an in-memory emulator of the IAM Identity Center identity store API
// (service AWSIdentityStore) for tests. It speaks the AWS JSON 1.1 protocol the real SDK client
// uses: POST /, X-Amz-Target: AWSIdentityStore.<Operation>, errors as HTTP 400 with a __type.
// It reproduces the behaviour the pipeline depends on: pages of at most 100 with opaque
// NextTokens, IsMemberInGroups limited to 100 groups, ConflictException (with its Reason) on
// duplicates, ResourceNotFoundException for unknown ids, and, on demand, throttling
// (FailNext) and conflicts of either reason (ConflictNext). FIDELITY.md gives the
// documentation behind each behaviour.
package idstoreemu

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/awsjson"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"github.com/ssoflow/ssoflow/functions/internal/emulator/scimemu"
)

const targetPrefix = "AWSIdentityStore."

var storeIDPattern = regexp.MustCompile(`^(d-[0-9a-f]{10}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$`)

// Server is the emulator; it is an http.Handler for httptest.NewServer. All methods are safe
// for concurrent use.
type Server struct {
	storeID string

	mu          *sync.Mutex // shared with the SCIM emulator by NewShared
	peer        scimemu.Peer
	pairs       map[string]*membership // group id + "/" + user id → membership
	users       map[string]*user
	groups      map[string]*group
	memberships map[string]*membership
	counts      map[string]int
	failNext    int
	retryAfter  int32
	throttled   int
	conflicts   int    // ConflictNext: mutating requests still to refuse
	conflictWhy string // their Reason ("" sends none)
}

type user struct {
	ID          string
	UserName    string
	DisplayName string
	Emails      []Email
	Name        *Name
}

type group struct {
	ID          string
	DisplayName string
}

type membership struct {
	ID      string
	GroupID string
	UserID  string
}

// Email is one of a user's e-mail addresses, as the API carries it.
type Email struct {
	Value   string `json:"Value,omitempty"`
	Type    string `json:"Type,omitempty"`
	Primary bool   `json:"Primary,omitempty"`
}

// Name is a user's structured name, as the API carries it.
type Name struct {
	Formatted  string `json:"Formatted,omitempty"`
	FamilyName string `json:"FamilyName,omitempty"`
	GivenName  string `json:"GivenName,omitempty"`
}

// New returns an empty identity store whose id is storeID (for example "d-1234567890").
// Requests naming another identity store fail as the real service does.
func New(storeID string) *Server {
	return &Server{
		storeID:     storeID,
		mu:          new(sync.Mutex),
		pairs:       map[string]*membership{},
		users:       map[string]*user{},
		groups:      map[string]*group{},
		memberships: map[string]*membership{},
		counts:      map[string]int{},
		retryAfter:  1,
	}
}

// StoreID is the identity store id the emulator answers for.
func (s *Server) StoreID() string { return s.storeID }

// FailNext makes the next n requests, whatever their operation, fail with ThrottlingException
// carrying the RetryAfterSeconds set by SetRetryAfterSeconds (1 by default).
func (s *Server) FailNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = n
}

// Reasons a ConflictException carries, as the SDK's types.ConflictExceptionReason spells them.
const (
	// ReasonUniqueness: the request would violate a uniqueness claim (the membership, user or
	// group exists already).
	ReasonUniqueness = "UNIQUENESS_CONSTRAINT_VIOLATION"
	// ReasonConcurrentModification: the resource was being modified by another request;
	// nothing was done.
	ReasonConcurrentModification = "CONCURRENT_MODIFICATION"
)

// ConflictNext makes the next n mutating requests (CreateUser, CreateGroup,
// CreateGroupMembership, DeleteUser, DeleteGroupMembership) fail with ConflictException
// carrying reason ("" sends none) and change nothing. Reads are not affected.
func (s *Server) ConflictNext(n int, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conflicts, s.conflictWhy = n, reason
}

// SetRetryAfterSeconds sets the RetryAfterSeconds that throttled answers carry.
func (s *Server) SetRetryAfterSeconds(sec int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.retryAfter = sec
}

// Requests is how many requests for operation op (for example "DescribeUser") the emulator
// has received, throttled ones included.
func (s *Server) Requests(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[op]
}

// Throttled is how many requests were answered with ThrottlingException.
func (s *Server) Throttled() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.throttled
}

// apiError is an error answer of the JSON protocol.
type apiError struct {
	Type              string `json:"__type"`
	Message           string `json:"Message"`
	ResourceType      string `json:"ResourceType,omitempty"`
	ResourceID        string `json:"ResourceId,omitempty"`
	Reason            string `json:"Reason,omitempty"`
	RetryAfterSeconds *int32 `json:"RetryAfterSeconds,omitempty"`
	status            int
}

func (e *apiError) Error() string { return e.Type + ": " + e.Message }

func validation(format string, args ...any) *apiError {
	return &apiError{Type: "ValidationException", Message: fmt.Sprintf(format, args...)}
}

func notFound(resourceType, id string) *apiError {
	return &apiError{
		Type:         "ResourceNotFoundException",
		Message:      fmt.Sprintf("%s %s not found", strings.ToLower(resourceType), id),
		ResourceType: resourceType,
		ResourceID:   id,
	}
}

func conflict(format string, args ...any) *apiError {
	return &apiError{
		Type:    "ConflictException",
		Message: fmt.Sprintf(format, args...),
		Reason:  ReasonUniqueness,
	}
}

// proto is the identity store's dialect of the AWS JSON protocol.
var proto = awsjson.Protocol{Version: "1.1", TargetPrefix: targetPrefix}

type handler func(s *Server, body []byte) (any, *apiError)

var operations = map[string]handler{
	"DescribeUser":                  (*Server).describeUser,
	"DescribeGroup":                 (*Server).describeGroup,
	"GetUserId":                     (*Server).getUserID,
	"GetGroupId":                    (*Server).getGroupID,
	"ListUsers":                     (*Server).listUsers,
	"ListGroups":                    (*Server).listGroups,
	"CreateUser":                    (*Server).createUser,
	"CreateGroup":                   (*Server).createGroup,
	"DeleteUser":                    (*Server).deleteUser,
	"ListGroupMemberships":          (*Server).listGroupMemberships,
	"ListGroupMembershipsForMember": (*Server).listGroupMembershipsForMember,
	"IsMemberInGroups":              (*Server).isMemberInGroups,
	"GetGroupMembershipId":          (*Server).getGroupMembershipID,
	"CreateGroupMembership":         (*Server).createGroupMembership,
	"DeleteGroupMembership":         (*Server).deleteGroupMembership,
}

// ServeHTTP answers one AWS JSON 1.1 request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, h, body, ok := awsjson.ReadOp(proto, w, r, operations)
	if !ok {
		return
	}

	s.mu.Lock()
	s.counts[op]++
	if s.failNext > 0 {
		s.failNext--
		s.throttled++
		after := s.retryAfter
		s.mu.Unlock()
		w.Header().Set("Retry-After", fmt.Sprint(after))
		writeError(w, &apiError{Type: "ThrottlingException", Message: "Rate exceeded", RetryAfterSeconds: &after})
		return
	}
	if s.conflicts > 0 && (strings.HasPrefix(op, "Create") || strings.HasPrefix(op, "Delete")) {
		s.conflicts--
		reason := s.conflictWhy
		s.mu.Unlock()
		writeError(w, &apiError{Type: "ConflictException", Reason: reason,
			Message: "The request could not be completed: conflict (" + reason + ")"})
		return
	}
	out, apiErr := h(s, body)
	s.mu.Unlock()

	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	proto.Write(w, out)
}

func writeError(w http.ResponseWriter, e *apiError) {
	status := e.status
	if status == 0 {
		status = http.StatusBadRequest
	}
	proto.WriteError(w, status, e)
}

// decode parses a request body into v and checks its IdentityStoreId. Callers hold s.mu.
func (s *Server) decode(body []byte, v any) *apiError {
	var base struct{ IdentityStoreId string }
	if err := json.Unmarshal(body, v); err != nil {
		return &apiError{Type: "SerializationException", Message: "malformed request body: " + err.Error()}
	}
	if err := json.Unmarshal(body, &base); err != nil {
		return &apiError{Type: "SerializationException", Message: "malformed request body: " + err.Error()}
	}
	id := base.IdentityStoreId
	if id == "" {
		return validation("IdentityStoreId is required")
	}
	if !storeIDPattern.MatchString(id) {
		return validation("1 validation error detected: Value '%s' at 'identityStoreId' failed to satisfy constraint", id)
	}
	if id != s.storeID {
		return notFound("IDENTITY_STORE", id)
	}
	return nil
}

// newID returns a random id shaped like the identity store's resource ids.
func newID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("idstoreemu: crypto/rand: %v", err))
	}
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
