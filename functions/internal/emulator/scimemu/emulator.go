// Package scimemu emulates IAM Identity Center's SCIM v2 endpoint for tests, with the quirks
// the real service has: a bearer token, eq-only filters joined by and (on userName, externalId,
// displayName, id, members and members.value), cursor pagination (cursor/nextCursor; startIndex
// refused) with pages of at most 100, no members on group reads,
// at most 100 membership changes per PATCH, replace of members refused, 409 ConflictException
// on duplicate names, 404 for a membership query naming a user that does not exist, and the
// error body format (schema/schemas, string status, exceptionRequestId, timeStamp). FIDELITY.md
// gives the documentation behind each behaviour.
//
// Serve it with httptest.NewServer(scimemu.New(token)); the SCIM base URL is the server URL,
// optionally followed by /<tenant>/scim/v2. Faults can be injected with FailNext, requests are
// counted per method and route for assertions, and Go-side helpers seed and inspect state.
package scimemu

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Emulator is an in-memory Identity Center SCIM tenant. It is safe for concurrent use.
type Emulator struct {
	tokenHash [32]byte

	mu         *sync.Mutex // shared with a peer directory after Share
	peer       Peer
	seq        int
	users      map[string]*user
	groups     map[string]*group
	counts     map[string]int
	failN      int
	failStatus int
	retryAfter int
	pageCap    int // ShortenCursorPages
}

type user struct {
	seq                               int
	id, userName, externalID, display string
	givenName, familyName             string
	active                            bool
	created                           time.Time
}

type group struct {
	seq                         int
	id, displayName, externalID string
	members                     map[string]struct{}
	created                     time.Time
}

// New returns an empty tenant that accepts the bearer token.
func New(token string) *Emulator {
	return &Emulator{
		tokenHash:  sha256.Sum256([]byte("Bearer " + token)),
		mu:         new(sync.Mutex),
		users:      map[string]*user{},
		groups:     map[string]*group{},
		counts:     map[string]int{},
		retryAfter: 1,
	}
}

// FailNext makes the next n authenticated requests fail with status (a SCIM error body; 429
// answers carry Retry-After, 1 second unless changed with SetRetryAfter). AWS documents 429
// ThrottlingException and 500 InternalServerException; other statuses stand for what a proxy
// or load balancer in between may answer.
func (e *Emulator) FailNext(n, status int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.failN, e.failStatus = n, status
}

// SetRetryAfter sets the Retry-After seconds sent with injected 429 answers; 0 sends none.
func (e *Emulator) SetRetryAfter(seconds int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.retryAfter = seconds
}

// Requests returns how many requests arrived for key, "METHOD /Route" with ids written as
// {id}: "GET /Users", "GET /Groups", "GET /Groups/{id}", "PATCH /Groups/{id}", "POST /Groups", ….
func (e *Emulator) Requests(key string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.counts[key]
}

// TotalRequests returns how many requests arrived in all.
func (e *Emulator) TotalRequests() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, c := range e.counts {
		n += c
	}
	return n
}

// ResetCounters sets every request counter to zero.
func (e *Emulator) ResetCounters() {
	e.mu.Lock()
	defer e.mu.Unlock()
	clear(e.counts)
}

// ServeHTTP answers one SCIM request.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if i := strings.Index(p, "/scim/v2"); i >= 0 {
		p = p[i+len("/scim/v2"):]
	}
	p = strings.TrimSuffix(p, "/")
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	route := "/" + parts[0]
	id := ""
	if len(parts) == 2 {
		id = parts[1]
		route += "/{id}"
	} else if len(parts) > 2 {
		route = p
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	e.counts[r.Method+" "+route]++

	got := sha256.Sum256([]byte(r.Header.Get("Authorization")))
	if subtle.ConstantTimeCompare(got[:], e.tokenHash[:]) != 1 {
		writeError(w, http.StatusUnauthorized, "The request does not have a valid bearer token.")
		return
	}
	if e.failN > 0 {
		e.failN--
		if e.failStatus == http.StatusTooManyRequests && e.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(e.retryAfter))
		}
		writeError(w, e.failStatus, "Injected fault.")
		return
	}

	switch r.Method + " " + route {
	case "GET /Users":
		e.listUsers(w, r)
	case "POST /Users":
		e.createUser(w, r)
	case "GET /Users/{id}":
		e.getUser(w, id)
	case "DELETE /Users/{id}":
		e.deleteUser(w, id)
	case "GET /Groups":
		e.listGroups(w, r)
	case "POST /Groups":
		e.createGroup(w, r)
	case "GET /Groups/{id}":
		e.getGroup(w, id)
	case "PATCH /Groups/{id}":
		e.patchGroup(w, r, id)
	case "DELETE /Groups/{id}":
		e.deleteGroupHTTP(w, id)
	default:
		writeError(w, http.StatusNotFound, "The requested operation is not supported.")
	}
}

// newID returns an id shaped like Identity Center's (a 10-hex-digit prefix and a UUID).
func newID() string {
	var b [21]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x-%x", b[0:5], b[5:9], b[9:11], b[11:13], b[13:15], b[15:21])
}

// AddUser seeds a user (displayName and names derived from userName) and returns its id.
func (e *Emulator) AddUser(userName, externalID string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.seq++
	u := &user{seq: e.seq, id: newID(), userName: userName, externalID: externalID,
		display: userName, givenName: userName, familyName: "-", active: true, created: time.Now().UTC()}
	e.users[u.id] = u
	e.mirrorUser(u)
	return u.id
}

// AddGroup seeds a group and returns its id.
func (e *Emulator) AddGroup(displayName string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.seq++
	g := &group{seq: e.seq, id: newID(), displayName: displayName, members: map[string]struct{}{}, created: time.Now().UTC()}
	e.groups[g.id] = g
	e.mirrorGroup(g)
	return g.id
}

// AddMembers makes the users members of the group.
func (e *Emulator) AddMembers(groupID string, userIDs ...string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	g, ok := e.groups[groupID]
	if !ok {
		return fmt.Errorf("scimemu: no group %s", groupID)
	}
	for _, u := range userIDs {
		if _, ok := e.users[u]; !ok {
			return fmt.Errorf("scimemu: no user %s", u)
		}
		g.members[u] = struct{}{}
	}
	e.mirrorMembers(groupID, userIDs, nil)
	return nil
}

// Members returns the group's member user ids, sorted; nil when the group does not exist.
func (e *Emulator) Members(groupID string) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	g, ok := e.groups[groupID]
	if !ok {
		return nil
	}
	out := make([]string, 0, len(g.members))
	for u := range g.members {
		out = append(out, u)
	}
	slices.Sort(out)
	return out
}

// DeleteGroup removes a group; it reports whether it existed.
func (e *Emulator) DeleteGroup(id string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, ok := e.groups[id]
	delete(e.groups, id)
	if ok && e.peer != nil {
		e.peer.DeleteGroup(id)
	}
	return ok
}
