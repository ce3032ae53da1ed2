package oktaemu

import (
	"net/http"
	"slices"
	"strings"
)

// QueryLimit is the most groups a q= query returns: Okta's "default limit for a query is 300
// results", and a query cannot be paged.
const QueryLimit = 300

// listGroups serves GET /api/v1/groups in its three forms: every group (paged), q= (a name
// prefix, never paged) and search= (an expression, paged with after cursors).
func (e *Emulator) listGroups(w http.ResponseWriter, r *http.Request) {
	qv := r.URL.Query()
	switch {
	case qv.Has("filter"):
		writeError(w, http.StatusBadRequest, "E0000031", "oktaemu does not implement filter= on groups: use search=")
	case qv.Has("q") && qv.Has("search"):
		writeError(w, http.StatusBadRequest, "E0000031", "oktaemu does not implement q= together with search=")
	case qv.Has("q"):
		e.findGroups(w, r, qv.Get("q"))
	case qv.Has("search"):
		match, err := parseGroupSearch(qv.Get("search"))
		if err != nil {
			writeInvalidSearch(w, err)
			return
		}
		e.pageGroups(w, r, match)
	default:
		e.pageGroups(w, r, func(*group) bool { return true })
	}
}

// writeInvalidSearch answers a malformed search= with Okta's E0000031 ("Bad request. Invalid
// filter parameter."), the cause in errorCauses.
func writeInvalidSearch(w http.ResponseWriter, cause error) {
	writeJSON(w, http.StatusBadRequest, map[string]any{
		"errorCode": "E0000031", "errorSummary": "Bad request. Invalid filter parameter.",
		"errorLink": "E0000031", "errorId": "oae400",
		"errorCauses": []map[string]string{{"errorSummary": cause.Error()}},
	})
}

// pageGroups answers the groups that match, one page at a time with after cursors.
func (e *Emulator) pageGroups(w http.ResponseWriter, r *http.Request, match groupMatcher) {
	limit, after, ok := e.pageParams(w, r)
	if !ok {
		return
	}
	e.mu.Lock()
	var ids []string
	for id, g := range e.groups {
		if match(g) {
			ids = append(ids, id)
		}
	}
	e.mu.Unlock()
	slices.Sort(ids)
	e.writeGroups(w, r, page(w, r, ids, limit, after))
}

// findGroups serves q=: groups whose name starts with q, ignoring case, exact matches first,
// at most min(limit, QueryLimit) of them and never a next link ("Paging and searching are
// currently mutually exclusive. You can't page a query."). after= is ignored.
func (e *Emulator) findGroups(w http.ResponseWriter, r *http.Request, q string) {
	n, ok := requestedLimit(w, r)
	if !ok {
		return
	}
	if n == 0 || n > QueryLimit {
		n = QueryLimit
	}
	lq := strings.ToLower(q)
	e.mu.Lock()
	var exact, partial []string
	for id, g := range e.groups {
		switch name := strings.ToLower(g.name); {
		case name == lq:
			exact = append(exact, id)
		case strings.HasPrefix(name, lq):
			partial = append(partial, id)
		}
	}
	e.mu.Unlock()
	slices.Sort(exact)
	slices.Sort(partial)
	ids := append(exact, partial...)
	ids = ids[:min(n, len(ids))]
	w.Header().Add("Link", "<"+selfURL(r)+">; rel=\"self\"")
	e.writeGroups(w, r, ids)
}
