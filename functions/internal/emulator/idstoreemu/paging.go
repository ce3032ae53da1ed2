package idstoreemu

import (
	"encoding/base64"
	"encoding/json"
	"slices"
)

const maxPage = 100

// pageToken is what an opaque NextToken carries: the listing it belongs to and the last key
// returned, so a page continues after that key even when the set changed in between.
type pageToken struct {
	Op    string `json:"o"`
	Scope string `json:"s"`
	After string `json:"a"`
}

// page returns the keys of one page of a listing of keys (any order; they are sorted here) and
// the NextToken for the next page ("" when this is the last).
func page(keys []string, op, scope string, maxResults *int32, nextToken *string) ([]string, string, *apiError) {
	limit := maxPage
	if maxResults != nil {
		if *maxResults < 1 || *maxResults > maxPage {
			return nil, "", validation("MaxResults must be between 1 and %d, got %d", maxPage, *maxResults)
		}
		limit = int(*maxResults)
	}
	slices.Sort(keys)
	start := 0
	if nextToken != nil && *nextToken != "" {
		t, ok := decodeToken(*nextToken)
		if !ok || t.Op != op || t.Scope != scope {
			return nil, "", validation("invalid NextToken")
		}
		start, _ = slices.BinarySearch(keys, t.After)
		if start < len(keys) && keys[start] == t.After {
			start++
		}
	}
	end := min(start+limit, len(keys))
	out := keys[start:end]
	if end == len(keys) {
		return out, "", nil
	}
	return out, encodeToken(pageToken{Op: op, Scope: scope, After: keys[end-1]}), nil
}

func encodeToken(t pageToken) string {
	b, err := json.Marshal(t)
	if err != nil {
		panic("idstoreemu: marshal page token: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeToken(s string) (pageToken, bool) {
	var t pageToken
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return t, false
	}
	if err := json.Unmarshal(b, &t); err != nil {
		return t, false
	}
	return t, true
}
