package scim

import (
	"errors"
	"fmt"
	"net/http"
)

// ErrNotFound is matched (errors.Is) by every error for a 404 answer or an empty filter result
// where exactly one resource was expected.
var ErrNotFound = errors.New("scim: resource not found")

// ErrConflict is matched (errors.Is) by errors for a 409 ConflictException: the resource
// (userName, displayName, or a membership) already exists.
var ErrConflict = errors.New("scim: conflict")

// APIError is a non-2xx answer from the SCIM endpoint. Detail is the service's own text; it
// never contains the request's credentials.
type APIError struct {
	Status    int    // HTTP status code
	Type      string // scimType when sent, else the documented exception name for Status
	Detail    string // the error body's detail
	RequestID string // exceptionRequestId (or the x-amzn-RequestId header), for AWS support
	Method    string // request method, for context
	Path      string // request path below the base URL (no query: filters can carry user names)
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("scim %s %s: %d %s", e.Method, e.Path, e.Status, e.Type)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.RequestID != "" {
		s += " (request id " + e.RequestID + ")"
	}
	return s
}

// Temporary reports whether retrying later may succeed: throttling and server errors.
func (e *APIError) Temporary() bool {
	return e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// Is lets errors.Is match ErrNotFound and ErrConflict.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrConflict:
		return e.Status == http.StatusConflict
	}
	return false
}

// exceptionName is the error name Identity Center documents for each status; its error bodies
// carry no type, so this is what callers and logs see.
func exceptionName(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "ValidationException"
	case http.StatusUnauthorized:
		return "UnauthorizedException"
	case http.StatusForbidden:
		return "AccessDeniedException"
	case http.StatusNotFound:
		return "ResourceNotFoundException"
	case http.StatusConflict:
		return "ConflictException"
	case http.StatusTooManyRequests:
		return "ThrottlingException"
	}
	if status >= 500 {
		return "InternalServerException"
	}
	return http.StatusText(status)
}
