package oktaemu

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

type userJSON struct {
	ID      string    `json:"id"`
	Status  string    `json:"status"`
	Created time.Time `json:"created"`
	Profile struct {
		Login string `json:"login"`
		Email string `json:"email"`
	} `json:"profile"`
	Links map[string]href `json:"_links"`
}

type groupJSON struct {
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	Type    string    `json:"type"`
	Profile struct {
		Name        string  `json:"name"`
		Description *string `json:"description"`
	} `json:"profile"`
	Links map[string]href `json:"_links"`
}

type href struct {
	Href string `json:"href"`
}

func (u *user) json(base string) userJSON {
	j := userJSON{ID: u.id, Status: u.status, Created: u.created.UTC()}
	j.Profile.Login, j.Profile.Email = u.login, u.email
	j.Links = map[string]href{"self": {base + "/api/v1/users/" + u.id}}
	return j
}

func (g *group) json(base string) groupJSON {
	j := groupJSON{ID: g.id, Created: g.created.UTC(), Type: "OKTA_GROUP"}
	j.Profile.Name = g.name
	j.Links = map[string]href{"users": {base + "/api/v1/groups/" + g.id + "/users"}}
	return j
}

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client has gone if this fails
}

// writeError answers with Okta's error body.
func writeError(w http.ResponseWriter, status int, code, summary string) {
	writeJSON(w, status, map[string]any{
		"errorCode": code, "errorSummary": summary, "errorLink": code,
		"errorId": "oae" + strconv.Itoa(status), "errorCauses": []any{},
	})
}

func notFound(w http.ResponseWriter, id, kind string) {
	writeError(w, http.StatusNotFound, "E0000007", "Not found: Resource not found: "+id+" ("+kind+")")
}

// requestedLimit reads limit=: 0 when absent. A limit that is not a positive number is
// answered with Okta's E0000001 and ok false.
func requestedLimit(w http.ResponseWriter, r *http.Request) (n int, ok bool) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return 0, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		writeError(w, http.StatusBadRequest, "E0000001", "Api validation failed: limit")
		return 0, false
	}
	return n, true
}

// pageParams reads limit= (capped at the page size) and after=.
func (e *Emulator) pageParams(w http.ResponseWriter, r *http.Request) (limit int, after string, ok bool) {
	n, ok := requestedLimit(w, r)
	if !ok {
		return 0, "", false
	}
	e.mu.Lock()
	limit = e.pageSize
	e.mu.Unlock()
	if n > 0 {
		limit = min(n, limit)
	}
	return limit, r.URL.Query().Get("after"), true
}

// selfURL is the URL of the request, as Okta's rel="self" link gives it.
func selfURL(r *http.Request) string {
	self := baseURL(r) + r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		self += "?" + r.URL.RawQuery
	}
	return self
}

// page cuts one page out of sorted ids after the cursor and writes the Link headers: self, and
// next when more remain. The cursor is the last id of the previous page, so a page is stable
// even when members are added or removed in between.
func page(w http.ResponseWriter, r *http.Request, ids []string, limit int, after string) []string {
	start, _ := slices.BinarySearch(ids, after)
	if start < len(ids) && ids[start] == after {
		start++
	}
	end := min(start+limit, len(ids))
	out := ids[start:end]
	w.Header().Add("Link", "<"+selfURL(r)+">; rel=\"self\"")
	if end < len(ids) {
		q := r.URL.Query()
		q.Set("after", out[len(out)-1])
		q.Set("limit", strconv.Itoa(limit))
		next := baseURL(r) + r.URL.EscapedPath() + "?" + q.Encode()
		w.Header().Add("Link", "<"+next+">; rel=\"next\"")
	}
	return out
}

func (e *Emulator) findUser(idOrLogin string) *user {
	if u, ok := e.users[idOrLogin]; ok {
		return u
	}
	for _, u := range e.users {
		if strings.EqualFold(u.login, idOrLogin) {
			return u
		}
	}
	return nil
}

func (e *Emulator) getUser(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("idOrLogin")
	e.mu.Lock()
	u := e.findUser(id)
	var j userJSON
	if u != nil {
		j = u.json(baseURL(r))
	}
	e.mu.Unlock()
	if u == nil {
		notFound(w, id, "User")
		return
	}
	writeJSON(w, http.StatusOK, j)
}

func (e *Emulator) getGroup(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	e.mu.Lock()
	g, ok := e.groups[id]
	var j groupJSON
	if ok {
		j = g.json(baseURL(r))
	}
	e.mu.Unlock()
	if !ok {
		notFound(w, id, "UserGroup")
		return
	}
	writeJSON(w, http.StatusOK, j)
}

func (e *Emulator) writeGroups(w http.ResponseWriter, r *http.Request, ids []string) {
	e.mu.Lock()
	out := make([]groupJSON, 0, len(ids))
	for _, id := range ids {
		if g, ok := e.groups[id]; ok {
			out = append(out, g.json(baseURL(r)))
		}
	}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (e *Emulator) listUserGroups(w http.ResponseWriter, r *http.Request) {
	limit, after, ok := e.pageParams(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	e.mu.Lock()
	u := e.findUser(id)
	var ids []string
	if u != nil {
		for gid, m := range e.members {
			if m[u.id] {
				ids = append(ids, gid)
			}
		}
	}
	e.mu.Unlock()
	if u == nil {
		notFound(w, id, "User")
		return
	}
	slices.Sort(ids)
	e.writeGroups(w, r, page(w, r, ids, limit, after))
}

func (e *Emulator) listGroupMembers(w http.ResponseWriter, r *http.Request) {
	limit, after, ok := e.pageParams(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	if _, exists := e.groupExists(id); !exists {
		notFound(w, id, "UserGroup")
		return
	}
	ids := e.Members(id)
	ids = page(w, r, ids, limit, after)
	e.mu.Lock()
	out := make([]userJSON, 0, len(ids))
	for _, uid := range ids {
		if u, ok := e.users[uid]; ok {
			out = append(out, u.json(baseURL(r)))
		}
	}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (e *Emulator) groupExists(id string) (*group, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	g, ok := e.groups[id]
	return g, ok
}

// putMember serves PUT /api/v1/groups/{id}/users/{userId}: 204, idempotent.
func (e *Emulator) putMember(w http.ResponseWriter, r *http.Request) {
	gid, uid := r.PathValue("id"), r.PathValue("userId")
	if err := e.AddMember(gid, uid); err != nil {
		notFound(w, gid+"/"+uid, "UserGroupMembership")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// deleteMember serves DELETE /api/v1/groups/{id}/users/{userId}: 204, idempotent.
func (e *Emulator) deleteMember(w http.ResponseWriter, r *http.Request) {
	gid := r.PathValue("id")
	if err := e.RemoveMember(gid, r.PathValue("userId")); err != nil {
		notFound(w, gid, "UserGroup")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
