package scimemu

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
)

type userJSON struct {
	Schemas     []string `json:"schemas"`
	ID          string   `json:"id,omitempty"`
	ExternalID  string   `json:"externalId,omitempty"`
	UserName    string   `json:"userName"`
	DisplayName string   `json:"displayName,omitempty"`
	Name        *struct {
		GivenName  string `json:"givenName,omitempty"`
		FamilyName string `json:"familyName,omitempty"`
	} `json:"name,omitempty"`
	Active *bool `json:"active,omitempty"`
	Meta   *meta `json:"meta,omitempty"`
}

func (u *user) json() userJSON {
	out := userJSON{Schemas: []string{schemaUser}, ID: u.id, ExternalID: u.externalID, UserName: u.userName,
		DisplayName: u.display, Active: &u.active,
		Meta: &meta{ResourceType: "User", Created: u.created.Format(time.RFC3339), LastModified: u.created.Format(time.RFC3339)}}
	out.Name = &struct {
		GivenName  string `json:"givenName,omitempty"`
		FamilyName string `json:"familyName,omitempty"`
	}{u.givenName, u.familyName}
	return out
}

func (e *Emulator) listUsers(w http.ResponseWriter, r *http.Request) {
	lp, msg := e.listParams(r, "Users")
	if msg != "" {
		validation(w, msg)
		return
	}
	var clauses []clause
	if f := r.URL.Query().Get("filter"); r.URL.Query().Has("filter") {
		var err error
		if clauses, err = parseFilter(f); err != nil {
			validation(w, "Request is unparsable, syntactically incorrect, or violates schema: "+err.Error())
			return
		}
	}
	for _, c := range clauses {
		if c.Attr != "username" && c.Attr != "externalid" && c.Attr != "id" {
			validation(w, "Unsupported filter attribute: "+c.Attr)
			return
		}
	}
	var all []*user
	for _, u := range e.users {
		if userMatches(u, clauses) {
			all = append(all, u)
		}
	}
	slices.SortFunc(all, func(a, b *user) int { return a.seq - b.seq })
	writeList(w, lp, all, func(u *user) int { return u.seq }, func(u *user) any { return u.json() })
}

func userMatches(u *user, clauses []clause) bool {
	for _, c := range clauses {
		switch c.Attr {
		case "username": // userName is case-insensitive in SCIM
			if !strings.EqualFold(u.userName, c.Value) {
				return false
			}
		case "externalid":
			if u.externalID != c.Value {
				return false
			}
		case "id":
			if u.id != c.Value {
				return false
			}
		}
	}
	return true
}

func (e *Emulator) getUser(w http.ResponseWriter, id string) {
	u, ok := e.users[id]
	if !ok {
		writeError(w, http.StatusNotFound, "User not found.")
		return
	}
	writeJSON(w, http.StatusOK, u.json())
}

func (e *Emulator) deleteUser(w http.ResponseWriter, id string) {
	if _, ok := e.users[id]; !ok {
		writeError(w, http.StatusNotFound, "User not found.")
		return
	}
	delete(e.users, id)
	for _, g := range e.groups {
		delete(g.members, id)
	}
	if e.peer != nil {
		e.peer.DeleteUser(id)
	}
	w.WriteHeader(http.StatusNoContent)
}

func (e *Emulator) createUser(w http.ResponseWriter, r *http.Request) {
	var in struct {
		userJSON
		Groups json.RawMessage `json:"groups"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&in); err != nil {
		validation(w, "Request is unparsable, syntactically incorrect, or violates schema.")
		return
	}
	if len(in.Groups) > 0 && string(in.Groups) != "null" {
		validation(w, "groups cannot be specified with CreateUser.")
		return
	}
	if in.UserName == "" || in.DisplayName == "" || in.Name == nil || in.Name.GivenName == "" || in.Name.FamilyName == "" {
		validation(w, "userName, displayName, name.givenName and name.familyName are required.")
		return
	}
	for _, u := range e.users {
		if strings.EqualFold(u.userName, in.UserName) {
			writeError(w, http.StatusConflict, "Duplicate userName.")
			return
		}
	}
	e.seq++
	u := &user{seq: e.seq, id: newID(), userName: in.UserName, externalID: in.ExternalID, display: in.DisplayName,
		givenName: in.Name.GivenName, familyName: in.Name.FamilyName, active: in.Active == nil || *in.Active,
		created: time.Now().UTC()}
	e.users[u.id] = u
	e.mirrorUser(u)
	writeJSON(w, http.StatusCreated, u.json())
}
