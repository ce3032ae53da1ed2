// Package oktaemu emulates the parts of the Okta Management API that ssoflow reads, for tests
// with httptest: SSWS token check, users, groups, memberships, cursor pagination with Link
// headers, X-Rate-Limit-* headers with a real per-minute budget, and injectable faults.
//
//	emu := oktaemu.New("token")
//	srv := httptest.NewServer(emu)
package oktaemu

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultRateLimit is the per-minute request budget reported in X-Rate-Limit-Limit.
const DefaultRateLimit = 600

// Emulator is an http.Handler speaking Okta's API. All methods are safe for concurrent use.
type Emulator struct {
	token string
	mux   *http.ServeMux

	mu       sync.Mutex
	now      func() time.Time
	seq      int
	users    map[string]*user // by id
	groups   map[string]*group
	members  map[string]map[string]bool // group id → user ids
	pageSize int
	limit    int       // requests per window; 0 = unlimited
	window   time.Time // start of the current rate-limit minute
	used     int
	faults   []fault
	requests map[string]int // by route pattern
	total    int
}

type user struct {
	id, login, email, status string
	created                  time.Time
}

type group struct {
	id, name string
	created  time.Time
}

type fault struct {
	status     int
	retryAfter int // seconds, 429 only
}

// New returns an emulator that accepts `Authorization: SSWS <token>`.
func New(token string) *Emulator {
	e := &Emulator{
		token:    token,
		now:      time.Now,
		users:    map[string]*user{},
		groups:   map[string]*group{},
		members:  map[string]map[string]bool{},
		pageSize: 200,
		limit:    DefaultRateLimit,
		requests: map[string]int{},
	}
	e.mux = http.NewServeMux()
	e.mux.HandleFunc("GET /api/v1/users/{idOrLogin}", e.getUser)
	e.mux.HandleFunc("GET /api/v1/users/{id}/groups", e.listUserGroups)
	e.mux.HandleFunc("GET /api/v1/groups", e.listGroups)
	e.mux.HandleFunc("GET /api/v1/groups/{id}", e.getGroup)
	e.mux.HandleFunc("GET /api/v1/groups/{id}/users", e.listGroupMembers)
	e.mux.HandleFunc("PUT /api/v1/groups/{id}/users/{userId}", e.putMember)
	e.mux.HandleFunc("DELETE /api/v1/groups/{id}/users/{userId}", e.deleteMember)
	return e
}

// SetClock replaces the emulator's clock (used for X-Rate-Limit-Reset and created dates).
func (e *Emulator) SetClock(now func() time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = now
}

// SetPageSize caps the number of items on one page, whatever limit= the client asks for.
func (e *Emulator) SetPageSize(n int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.pageSize = max(n, 1)
}

// SetRateLimit sets the per-minute request budget; past it requests get 429 until the window
// resets. 0 disables the limit (headers still report DefaultRateLimit).
func (e *Emulator) SetRateLimit(perMinute int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.limit = perMinute
}

// FailNext makes the next n requests (after the token check) answer status: 429 comes with
// Okta's rate-limit headers (Remaining 0, Reset at the end of the current minute) and its
// E0000047 body; any other status gets E0000009.
func (e *Emulator) FailNext(n, status int) { e.FailNextRetryAfter(n, status, 0) }

// FailNextRetryAfter is FailNext with a Retry-After header of retryAfter seconds on 429s.
func (e *Emulator) FailNextRetryAfter(n, status, retryAfter int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for range n {
		e.faults = append(e.faults, fault{status: status, retryAfter: retryAfter})
	}
}

// Requests returns how many requests matched the route pattern, e.g.
// "GET /api/v1/groups/{id}/users"; "" returns the total, including unmatched requests.
func (e *Emulator) Requests(pattern string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if pattern == "" {
		return e.total
	}
	return e.requests[pattern]
}

// ServeHTTP counts the request, checks the token, applies faults and the rate limit, then
// serves the endpoint.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, pattern := e.mux.Handler(r)
	e.mu.Lock()
	e.total++
	if pattern != "" {
		e.requests[pattern]++
	}
	e.mu.Unlock()

	if !e.authorized(r.Header.Get("Authorization")) {
		writeError(w, http.StatusUnauthorized, "E0000011", "Invalid token provided")
		return
	}
	if !e.admit(w) {
		return
	}
	if pattern == "" {
		e.writeNoRoute(w, r)
		return
	}
	e.mux.ServeHTTP(w, r) // sets the path values the endpoints read
}

// writeNoRoute answers a request no endpoint serves: Okta's E0000022 when the path exists
// for another method, E0000008 when the path does not exist at all.
func (e *Emulator) writeNoRoute(w http.ResponseWriter, r *http.Request) {
	probe := r.Clone(r.Context())
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete, http.MethodPost} {
		probe.Method = m
		if _, p := e.mux.Handler(probe); p != "" {
			writeError(w, http.StatusNotFound, "E0000022", "The endpoint does not support the provided HTTP method")
			return
		}
	}
	writeError(w, http.StatusNotFound, "E0000008", "The requested path was not found")
}

func (e *Emulator) authorized(header string) bool {
	tok, ok := strings.CutPrefix(header, "SSWS ")
	return ok && e.token != "" &&
		subtle.ConstantTimeCompare([]byte(tok), []byte(e.token)) == 1
}

// admit writes the rate-limit headers and answers a fault or a 429 when one is due.
func (e *Emulator) admit(w http.ResponseWriter) bool {
	e.mu.Lock()
	now := e.now()
	if e.window.IsZero() || !now.Before(e.window.Add(time.Minute)) {
		e.window = now.Truncate(time.Minute)
		e.used = 0
	}
	limit := e.limit
	if limit <= 0 {
		limit = DefaultRateLimit
	}
	reset := e.window.Add(time.Minute).Unix()
	var f *fault
	if len(e.faults) > 0 {
		f = &e.faults[0]
		e.faults = e.faults[1:]
	} else if e.limit > 0 && e.used >= e.limit {
		f = &fault{status: http.StatusTooManyRequests}
	} else {
		e.used++
	}
	remaining := max(limit-e.used, 0)
	e.mu.Unlock()

	h := w.Header()
	h.Set("X-Rate-Limit-Limit", strconv.Itoa(limit))
	h.Set("X-Rate-Limit-Reset", strconv.FormatInt(reset, 10))
	if f == nil {
		h.Set("X-Rate-Limit-Remaining", strconv.Itoa(remaining))
		return true
	}
	if f.status == http.StatusTooManyRequests {
		h.Set("X-Rate-Limit-Remaining", "0")
		if f.retryAfter > 0 {
			h.Set("Retry-After", strconv.Itoa(f.retryAfter))
		}
		writeError(w, f.status, "E0000047", "API call exceeded rate limit due to too many requests.")
		return false
	}
	h.Set("X-Rate-Limit-Remaining", strconv.Itoa(remaining))
	writeError(w, f.status, "E0000009", "Internal Server Error")
	return false
}

// nextID returns a fresh Okta-style id (prefix + 17 characters) that sorts after earlier ones.
func (e *Emulator) nextID(prefix string) string {
	e.seq++
	return fmt.Sprintf("%s%017d", prefix, e.seq)
}

// UserOption sets optional user attributes on AddUser.
type UserOption func(*user)

// WithEmail sets the user's email (default: the login).
func WithEmail(email string) UserOption { return func(u *user) { u.email = email } }

// WithStatus sets the user's status (default ACTIVE).
func WithStatus(status string) UserOption { return func(u *user) { u.status = status } }

// AddUser creates a user and returns its id.
func (e *Emulator) AddUser(login string, opts ...UserOption) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	u := &user{id: e.nextID("00u"), login: login, email: login, status: "ACTIVE", created: e.now()}
	for _, o := range opts {
		o(u)
	}
	e.users[u.id] = u
	return u.id
}

// AddGroup creates an Okta group and returns its id.
func (e *Emulator) AddGroup(name string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	g := &group{id: e.nextID("00g"), name: name, created: e.now()}
	e.groups[g.id] = g
	e.members[g.id] = map[string]bool{}
	return g.id
}

// RenameGroup changes a group's name (its id stays).
func (e *Emulator) RenameGroup(groupID, name string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	g, ok := e.groups[groupID]
	if !ok {
		return fmt.Errorf("oktaemu: no group %q", groupID)
	}
	g.name = name
	return nil
}

// AddMember puts the user in the group.
func (e *Emulator) AddMember(groupID, userID string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.users[userID]; !ok {
		return fmt.Errorf("oktaemu: no user %q", userID)
	}
	m, ok := e.members[groupID]
	if !ok {
		return fmt.Errorf("oktaemu: no group %q", groupID)
	}
	m[userID] = true
	return nil
}

// RemoveMember takes the user out of the group.
func (e *Emulator) RemoveMember(groupID, userID string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	m, ok := e.members[groupID]
	if !ok {
		return fmt.Errorf("oktaemu: no group %q", groupID)
	}
	delete(m, userID)
	return nil
}

// Members returns the ids of the group's members, sorted.
func (e *Emulator) Members(groupID string) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	ids := make([]string, 0, len(e.members[groupID]))
	for id := range e.members[groupID] {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
