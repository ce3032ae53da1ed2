package scim

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Schema URNs of RFC 7643/7644.
const (
	schemaUser  = "urn:ietf:params:scim:schemas:core:2.0:User"
	schemaGroup = "urn:ietf:params:scim:schemas:core:2.0:Group"
	schemaPatch = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	schemaList  = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	schemaError = "urn:ietf:params:scim:api:messages:2.0:Error"
)

// maxBody bounds how much of any response is read.
const maxBody = 4 << 20

// wireUser is the SCIM User resource as Identity Center sends and accepts it.
type wireUser struct {
	Schemas     []string  `json:"schemas,omitempty"`
	ID          string    `json:"id,omitempty"`
	ExternalID  string    `json:"externalId,omitempty"`
	UserName    string    `json:"userName"`
	DisplayName string    `json:"displayName,omitempty"`
	Name        *wireName `json:"name,omitempty"`
	Active      *bool     `json:"active,omitempty"`
}

type wireName struct {
	GivenName  string `json:"givenName,omitempty"`
	FamilyName string `json:"familyName,omitempty"`
}

// wireGroup is the SCIM Group resource. Identity Center always sends members empty.
type wireGroup struct {
	Schemas     []string     `json:"schemas,omitempty"`
	ID          string       `json:"id,omitempty"`
	ExternalID  string       `json:"externalId,omitempty"`
	DisplayName string       `json:"displayName"`
	Members     []wireMember `json:"members,omitempty"`
}

type wireMember struct {
	Value string `json:"value"`
}

// listResponse is a SCIM ListResponse. Without a cursor Identity Center answers one page
// (totalResults, itemsPerPage, startIndex); asked with a cursor, itemsPerPage and, while more
// remain, nextCursor. startIndex paging is not supported.
type listResponse[T any] struct {
	Schemas      []string `json:"schemas"`
	TotalResults int      `json:"totalResults"`
	ItemsPerPage int      `json:"itemsPerPage"`
	StartIndex   int      `json:"startIndex"`
	NextCursor   string   `json:"nextCursor"`
	Resources    []T      `json:"Resources"`
}

// parseList decodes a ListResponse. It rejects bodies that are not JSON objects or that carry
// more resources than the page could hold, so a broken proxy page is not taken as "no results".
func parseList[T any](body []byte) (listResponse[T], error) {
	var l listResponse[T]
	if err := json.Unmarshal(body, &l); err != nil {
		return l, fmt.Errorf("decode SCIM list response: %w", err)
	}
	if l.Schemas != nil && !contains(l.Schemas, schemaList) {
		return l, fmt.Errorf("decode SCIM list response: schemas %q lack %s", l.Schemas, schemaList)
	}
	if l.TotalResults < 0 || l.StartIndex < 0 || l.ItemsPerPage < 0 {
		return l, fmt.Errorf("decode SCIM list response: negative paging fields")
	}
	if l.TotalResults > 0 && len(l.Resources) > l.TotalResults && l.NextCursor == "" {
		return l, fmt.Errorf("decode SCIM list response: %d resources but totalResults %d", len(l.Resources), l.TotalResults)
	}
	return l, nil
}

// wireError is the SCIM error body. Identity Center sends both "schema" and "schemas", status
// as a string, and adds exceptionRequestId and timeStamp.
type wireError struct {
	Schemas            []string        `json:"schemas"`
	Schema             []string        `json:"schema"`
	Status             json.RawMessage `json:"status"`
	ScimType           string          `json:"scimType"`
	Detail             string          `json:"detail"`
	ExceptionRequestID string          `json:"exceptionRequestId"`
	TimeStamp          string          `json:"timeStamp"`
}

// parseError builds the APIError for a non-2xx answer. The HTTP status is authoritative; a body
// that is not a SCIM error (an HTML page from a proxy, an empty body) still yields an APIError,
// with a shortened, printable excerpt as Detail.
func parseError(httpStatus int, body []byte) *APIError {
	e := &APIError{Status: httpStatus, Type: exceptionName(httpStatus)}
	var w wireError
	if err := json.Unmarshal(body, &w); err != nil || !(contains(w.Schemas, schemaError) || contains(w.Schema, schemaError)) {
		e.Detail = excerpt(body)
		return e
	}
	if w.ScimType != "" {
		e.Type = w.ScimType
	}
	e.Detail = excerpt([]byte(w.Detail))
	e.RequestID = excerpt([]byte(w.ExceptionRequestID))
	if s, ok := bodyStatus(w.Status); ok && s != httpStatus && e.Detail == "" {
		e.Detail = "body status " + strconv.Itoa(s)
	}
	return e
}

// bodyStatus reads the error body's status, a string in RFC 7644 and number in some servers.
func bodyStatus(raw json.RawMessage) (int, bool) {
	if len(raw) == 0 {
		return 0, false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		n, err := strconv.Atoi(s)
		return n, err == nil
	}
	var n int
	if err := json.Unmarshal(raw, &n); err == nil {
		return n, true
	}
	return 0, false
}

// excerpt makes untrusted text safe to put in an error: valid UTF-8, printable, at most 300 runes.
func excerpt(b []byte) string {
	s := strings.ToValidUTF8(string(b), "?")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > 300 {
		s = string(r[:300]) + "…"
	}
	return s
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
