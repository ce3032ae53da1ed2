package scimemu

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
)

// maxCount is the largest page, and the default one: count's valid range is 1 to 100.
const maxCount = 100

// cursorPattern is the documented form of a cursor.
var cursorPattern = regexp.MustCompile(`^[-a-zA-Z0-9+=/:_]*$`)

// listParams is how a list request pages.
type listParams struct {
	count    int
	cursored bool   // the request carries cursor (empty for the first page)
	after    int    // cursored: the page starts after the resource with this seq
	scope    string // the resource type and filter a cursor belongs to
	pageCap  int    // cursored: at most this many resources on a page (ShortenCursorPages); 0 none
}

// cursorState is what a cursor carries: its listing and the last resource returned, so a page
// continues after that resource even when the directory changed in between.
type cursorState struct {
	Scope string `json:"s"`
	After int    `json:"a"`
}

// ShortenCursorPages makes cursored pages hold at most n resources whatever count asks (0:
// count alone decides), as Identity Center may: "Paginated calls may return less results than
// count but as long as nextCursor is present in the response, additional pages are available."
func (e *Emulator) ShortenCursorPages(n int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.pageCap = max(n, 0)
}

// listParams reads the paging parameters of a list of resource ("Users" or "Groups"). msg is
// the ValidationException detail when the request is refused: startIndex, attributes and
// excludedAttributes are not supported, count must be 1 to 100, and a cursor must be one this
// tenant issued for the same listing. Callers hold e.mu.
func (e *Emulator) listParams(r *http.Request, resource string) (listParams, string) {
	q := r.URL.Query()
	for _, p := range []string{"startIndex", "attributes", "excludedAttributes"} {
		if q.Has(p) {
			return listParams{}, p + " is not supported; page with cursor and count."
		}
	}
	lp := listParams{count: maxCount, scope: resource + "?" + q.Get("filter"), pageCap: e.pageCap}
	if q.Has("count") {
		n, err := strconv.Atoi(q.Get("count"))
		if err != nil || n < 1 || n > maxCount {
			return listParams{}, "count must be an integer from 1 to 100."
		}
		lp.count = n
	}
	if !q.Has("cursor") {
		return lp, ""
	}
	lp.cursored = true
	c := q.Get("cursor")
	if c == "" {
		return lp, ""
	}
	st, ok := decodeCursor(c)
	if !cursorPattern.MatchString(c) || !ok || st.Scope != lp.scope {
		return listParams{}, "The cursor is not valid for this request."
	}
	lp.after = st.After
	return lp, ""
}

func encodeCursor(st cursorState) string {
	b, err := json.Marshal(st)
	if err != nil {
		panic("scimemu: marshal cursor: " + err.Error())
	}
	return base64.StdEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursorState, bool) {
	var st cursorState
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &st) != nil {
		return st, false
	}
	return st, true
}

// writeList answers one list page of all (sorted by seq). Without a cursor it is the first
// count resources, and totalResults counts those returned; with one, the page after the
// cursor, with a nextCursor while more remain.
func writeList[T any](w http.ResponseWriter, lp listParams, all []T, seq func(T) int, render func(T) any) {
	res := []any{}
	if !lp.cursored {
		for _, v := range all[:min(lp.count, len(all))] {
			res = append(res, render(v))
		}
		n, one := len(res), 1
		writeJSON(w, http.StatusOK, listResponse{TotalResults: &n, ItemsPerPage: n, StartIndex: &one,
			Schemas: []string{schemaList}, Resources: res})
		return
	}
	size := lp.count
	if lp.pageCap > 0 {
		size = min(size, lp.pageCap)
	}
	next := ""
	for i, v := range all {
		if seq(v) <= lp.after {
			continue
		}
		if len(res) == size {
			next = encodeCursor(cursorState{Scope: lp.scope, After: seq(all[i-1])})
			break
		}
		res = append(res, render(v))
	}
	writeJSON(w, http.StatusOK, listResponse{ItemsPerPage: len(res), NextCursor: next,
		Schemas: []string{schemaList}, Resources: res})
}
