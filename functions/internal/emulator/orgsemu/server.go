// Package orgsemu is an in-memory emulator of the AWS Organizations API for tests and the demo,
// limited to what ssoflow calls: DescribeAccount. It speaks the AWS JSON 1.1 protocol the real SDK
// client uses: POST /, X-Amz-Target: AWSOrganizationsV20161128.<Operation>, SigV4-signed, errors
// as HTTP 400 with a __type. Accounts are seeded with a lifecycle state (ACTIVE, SUSPENDED,
// PENDING_CLOSURE, ...); an unknown account answers AccountNotFoundException. The refusals of a
// caller without Organizations read access (AccessDeniedException, as for a delegated
// administrator account, or AWSOrganizationsNotInUseException) and throttling
// (TooManyRequestsException) can be injected, and requests are counted per operation.
package orgsemu

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/awsjson"
	"net/http"
	"regexp"
	"sync"
	"time"
)

const targetPrefix = "AWSOrganizationsV20161128."

// Account lifecycle states (the Account.State of DescribeAccount).
const (
	Active            = "ACTIVE"
	Suspended         = "SUSPENDED"
	PendingClosure    = "PENDING_CLOSURE"
	PendingActivation = "PENDING_ACTIVATION"
	Closed            = "CLOSED"
)

// Server is the emulator; it is an http.Handler for httptest.NewServer. All methods are safe for
// concurrent use.
type Server struct {
	management string // the management account's id
	orgID      string // o-...

	mu           sync.Mutex
	accounts     map[string]*account
	denied       bool
	notInUse     bool
	throttleNext int
	counts       map[string]int
}

type account struct {
	ID, Name, Email, State string
	Joined                 time.Time
}

// New returns an organization whose management account is managementAccount (seeded ACTIVE).
func New(managementAccount string) *Server {
	s := &Server{management: managementAccount, orgID: "o-" + newID()[:10], accounts: map[string]*account{}, counts: map[string]int{}}
	s.AddAccount(managementAccount, "management", Active)
	return s
}

// AddAccount seeds (or replaces) the member account id with a name and a lifecycle state.
func (s *Server) AddAccount(id, name, state string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accounts[id] = &account{ID: id, Name: name, Email: "aws+" + id + "@example.com", State: state, Joined: time.Now().UTC().Truncate(time.Second)}
}

// SetState changes a seeded account's lifecycle state (for example to SUSPENDED).
func (s *Server) SetState(id, state string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.accounts[id]; a != nil {
		a.State = state
	}
}

// SetAccessDenied makes every request fail with AccessDeniedException while on, as for a
// caller whose role may not read Organizations (a delegated administrator account).
func (s *Server) SetAccessDenied(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denied = on
}

// SetNotInUse makes every request fail with AWSOrganizationsNotInUseException while on, as for
// an account that belongs to no organization.
func (s *Server) SetNotInUse(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notInUse = on
}

// ThrottleNext makes the next n requests fail with TooManyRequestsException.
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

// proto is this service's dialect of the AWS JSON protocol.
var proto = awsjson.Protocol{Version: "1.1", TargetPrefix: targetPrefix}

type handler func(s *Server, body []byte) (any, *apiError)

var operations = map[string]handler{
	"DescribeAccount": (*Server).describeAccount,
}

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
		apiErr = &apiError{Type: "TooManyRequestsException", Message: "You have sent too many requests in too short a period of time. Try again later."}
	case s.denied:
		apiErr = &apiError{Type: "AccessDeniedException", Message: "You don't have permissions to access this resource."}
	case s.notInUse:
		apiErr = &apiError{Type: "AWSOrganizationsNotInUseException", Message: "Your account is not a member of an organization."}
	default:
		out, apiErr = h(s, body)
	}
	s.mu.Unlock()
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	proto.Write(w, out)
}

var reAccountID = regexp.MustCompile(`^\d{12}$`)

// describeAccount answers DescribeAccount. Account.State is always set; the older Account.Status
// (retired by AWS in September 2026) only for the states it has a value for.
func (s *Server) describeAccount(body []byte) (any, *apiError) {
	var in struct{ AccountId string }
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, &apiError{Type: "SerializationException", Message: "malformed request body: " + err.Error()}
	}
	if !reAccountID.MatchString(in.AccountId) {
		return nil, &apiError{Type: "InvalidInputException", Reason: "INVALID_PATTERN",
			Message: fmt.Sprintf("The account id %q must be exactly 12 digits.", in.AccountId)}
	}
	a := s.accounts[in.AccountId]
	if a == nil {
		return nil, &apiError{Type: "AccountNotFoundException", Message: "You specified an account that doesn't exist."}
	}
	acct := map[string]any{
		"Id":              a.ID,
		"Arn":             fmt.Sprintf("arn:aws:organizations::%s:account/%s/%s", s.management, s.orgID, a.ID),
		"Email":           a.Email,
		"Name":            a.Name,
		"State":           a.State,
		"JoinedMethod":    "CREATED",
		"JoinedTimestamp": float64(a.Joined.Unix()),
	}
	switch a.State {
	case Active, Suspended, PendingClosure:
		acct["Status"] = a.State
	}
	return map[string]any{"Account": acct}, nil
}

func writeError(w http.ResponseWriter, e *apiError) {
	proto.WriteError(w, http.StatusBadRequest, e)
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
