package scimemu

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
)

// maxPatchChanges is Identity Center's limit of membership changes in one PATCH.
const maxPatchChanges = 100

type groupJSON struct {
	Schemas     []string `json:"schemas"`
	ID          string   `json:"id,omitempty"`
	ExternalID  string   `json:"externalId,omitempty"`
	DisplayName string   `json:"displayName"`
	Members     []any    `json:"members"`
	Meta        *meta    `json:"meta,omitempty"`
}

// json renders the group as Identity Center does: members is always empty.
func (g *group) json() groupJSON {
	return groupJSON{Schemas: []string{schemaGroup}, ID: g.id, ExternalID: g.externalID, DisplayName: g.displayName,
		Members: []any{},
		Meta:    &meta{ResourceType: "Group", Created: g.created.Format(time.RFC3339), LastModified: g.created.Format(time.RFC3339)}}
}

// groupFilterOK reports whether the clauses are a combination Identity Center accepts:
// displayName, externalId, id, members(.value), or id and members in either order.
func groupFilterOK(cs []clause) bool {
	attrs := make([]string, len(cs))
	for i, c := range cs {
		attrs[i] = c.Attr
		if attrs[i] == "members.value" {
			attrs[i] = "members"
		}
	}
	switch len(attrs) {
	case 1:
		return slices.Contains([]string{"displayname", "externalid", "id", "members"}, attrs[0])
	case 2:
		return slices.Contains(attrs, "id") && slices.Contains(attrs, "members")
	}
	return false
}

func (e *Emulator) listGroups(w http.ResponseWriter, r *http.Request) {
	lp, msg := e.listParams(r, "Groups")
	if msg != "" {
		validation(w, msg)
		return
	}
	var clauses []clause
	if r.URL.Query().Has("filter") {
		var err error
		if clauses, err = parseFilter(r.URL.Query().Get("filter")); err != nil {
			validation(w, "Request is unparsable, syntactically incorrect, or violates schema: "+err.Error())
			return
		}
		if !groupFilterOK(clauses) {
			validation(w, "Unsupported filter combination.")
			return
		}
	}
	for _, c := range clauses {
		if c.Attr == "members" || c.Attr == "members.value" {
			if _, ok := e.users[c.Value]; !ok {
				writeError(w, http.StatusNotFound, "Member not found.")
				return
			}
		}
	}
	var all []*group
	for _, g := range e.groups {
		if groupMatches(g, clauses) {
			all = append(all, g)
		}
	}
	slices.SortFunc(all, func(a, b *group) int { return a.seq - b.seq })
	writeList(w, lp, all, func(g *group) int { return g.seq }, func(g *group) any { return g.json() })
}

func groupMatches(g *group, clauses []clause) bool {
	for _, c := range clauses {
		switch c.Attr {
		case "displayname":
			if g.displayName != c.Value {
				return false
			}
		case "externalid":
			if g.externalID != c.Value {
				return false
			}
		case "id":
			if g.id != c.Value {
				return false
			}
		case "members", "members.value":
			if _, ok := g.members[c.Value]; !ok {
				return false
			}
		}
	}
	return true
}

func (e *Emulator) getGroup(w http.ResponseWriter, id string) {
	g, ok := e.groups[id]
	if !ok {
		writeError(w, http.StatusNotFound, "Group not found.")
		return
	}
	writeJSON(w, http.StatusOK, g.json())
}

func (e *Emulator) deleteGroupHTTP(w http.ResponseWriter, id string) {
	if _, ok := e.groups[id]; !ok {
		writeError(w, http.StatusNotFound, "Group not found.")
		return
	}
	delete(e.groups, id)
	if e.peer != nil {
		e.peer.DeleteGroup(id)
	}
	w.WriteHeader(http.StatusNoContent)
}

func (e *Emulator) createGroup(w http.ResponseWriter, r *http.Request) {
	var in struct {
		DisplayName string          `json:"displayName"`
		ExternalID  string          `json:"externalId"`
		Members     json.RawMessage `json:"members"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&in); err != nil || in.DisplayName == "" {
		validation(w, "Request is unparsable, syntactically incorrect, or violates schema.")
		return
	}
	members, ok := memberValues(in.Members)
	if !ok || len(members) > maxPatchChanges {
		validation(w, "members must be a list of at most 100 {\"value\": \"<user id>\"}.")
		return
	}
	for _, u := range members {
		if _, ok := e.users[u]; !ok {
			writeError(w, http.StatusNotFound, "Member not found.")
			return
		}
	}
	for _, g := range e.groups {
		if g.displayName == in.DisplayName {
			writeError(w, http.StatusConflict, "Duplicate GroupDisplayName.")
			return
		}
	}
	e.seq++
	g := &group{seq: e.seq, id: newID(), displayName: in.DisplayName, externalID: in.ExternalID,
		members: map[string]struct{}{}, created: time.Now().UTC()}
	for _, u := range members {
		g.members[u] = struct{}{}
	}
	e.groups[g.id] = g
	e.mirrorGroup(g)
	e.mirrorMembers(g.id, members, nil)
	writeJSON(w, http.StatusCreated, g.json())
}

type patchOp struct {
	Op    string          `json:"op"`
	Path  string          `json:"path"`
	Value json.RawMessage `json:"value"`
}

// memberChange is one membership change of a PATCH.
type memberChange struct {
	add  bool
	user string
}

func (e *Emulator) patchGroup(w http.ResponseWriter, r *http.Request, id string) {
	var in struct {
		Schemas    []string  `json:"schemas"`
		Operations []patchOp `json:"Operations"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&in); err != nil ||
		!slices.Contains(in.Schemas, schemaPatch) || len(in.Operations) == 0 {
		validation(w, "Request is unparsable, syntactically incorrect, or violates schema.")
		return
	}
	g, ok := e.groups[id]
	if !ok {
		writeError(w, http.StatusNotFound, "Group not found.")
		return
	}
	var changes []memberChange
	var rename *string
	for _, op := range in.Operations {
		cs, name, msg := parseOp(op)
		if msg != "" {
			validation(w, msg)
			return
		}
		changes = append(changes, cs...)
		if name != nil {
			rename = name
		}
	}
	if len(changes) > maxPatchChanges {
		validation(w, "Too many membership changes in one request: the limit is 100.")
		return
	}
	for _, c := range changes {
		if _, ok := e.users[c.user]; c.add && !ok {
			writeError(w, http.StatusNotFound, "Member not found.")
			return
		}
	}
	var added, removed []string
	for _, c := range changes {
		if c.add {
			g.members[c.user] = struct{}{}
			added = append(added, c.user)
		} else {
			delete(g.members, c.user)
			removed = append(removed, c.user)
		}
	}
	e.mirrorMembers(id, added, removed)
	if rename != nil {
		g.displayName = *rename
		e.mirrorGroup(g)
	}
	w.WriteHeader(http.StatusNoContent)
}

// parseOp reads one PatchOp operation; msg is the ValidationException detail when refused.
func parseOp(op patchOp) (changes []memberChange, rename *string, msg string) {
	path := strings.TrimSpace(op.Path)
	lpath := strings.ToLower(path)
	switch strings.ToLower(op.Op) {
	case "add":
		if lpath != "members" {
			return nil, nil, "add supports only the members path."
		}
		vals, ok := memberValues(op.Value)
		if !ok || len(vals) == 0 {
			return nil, nil, "add needs a list of members."
		}
		for _, v := range vals {
			changes = append(changes, memberChange{add: true, user: v})
		}
		return changes, nil, ""
	case "remove":
		if lpath == "members" {
			vals, ok := memberValues(op.Value)
			if !ok || len(vals) == 0 {
				return nil, nil, "Removing all members is not supported."
			}
			for _, v := range vals {
				changes = append(changes, memberChange{user: v})
			}
			return changes, nil, ""
		}
		if strings.HasPrefix(lpath, "members[") && strings.HasSuffix(path, "]") {
			cs, err := parseFilter(path[len("members[") : len(path)-1])
			if err != nil || len(cs) != 1 || cs[0].Attr != "value" {
				return nil, nil, "remove supports only members[value eq \"<id>\"]."
			}
			return []memberChange{{user: cs[0].Value}}, nil, ""
		}
		return nil, nil, "remove supports only member paths."
	case "replace":
		if lpath == "displayname" {
			var s string
			if err := json.Unmarshal(op.Value, &s); err != nil || s == "" {
				return nil, nil, "displayName must be a non-empty string."
			}
			return nil, &s, ""
		}
		return nil, nil, "replace is supported only for displayName; replacing members is not supported."
	}
	return nil, nil, "Unsupported operation " + op.Op + "."
}

// memberValues reads a list of {"value": "<user id>"}; absent or null is the empty list.
func memberValues(raw json.RawMessage) ([]string, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, true
	}
	var ms []struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(raw, &ms); err != nil {
		return nil, false
	}
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		if m.Value == "" {
			return nil, false
		}
		out = append(out, m.Value)
	}
	return out, true
}
