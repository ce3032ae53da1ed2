// Package okta is a small client for the Okta Management API: the reads ssoflow needs to
// resolve membership (users, groups, group members), with Okta's cursor pagination and rate
// limits handled. The API token is sent as `Authorization: SSWS <token>` and never appears in
// an error or a log record.
package okta

import (
	"errors"
	"fmt"
	"net/http"
)

// User is the part of an Okta user ssoflow uses.
type User struct {
	ID     string
	Login  string
	Email  string
	Status string // ACTIVE, STAGED, PROVISIONED, SUSPENDED, DEPROVISIONED, …
}

// Group is the part of an Okta group ssoflow uses.
type Group struct {
	ID   string
	Name string
}

// ErrNotFound is returned (wrapped) when Okta answers 404.
var ErrNotFound = errors.New("okta: not found")

// APIError is a non-2xx answer from Okta, with the fields of Okta's error body.
type APIError struct {
	Status  int    // HTTP status
	Code    string // errorCode, e.g. E0000007
	Summary string // errorSummary
}

func (e *APIError) Error() string {
	if e.Code == "" && e.Summary == "" {
		return fmt.Sprintf("okta: HTTP %d", e.Status)
	}
	return fmt.Sprintf("okta: HTTP %d %s: %s", e.Status, e.Code, e.Summary)
}

// Temporary reports whether the request is worth retrying later: rate limiting and server errors.
func (e *APIError) Temporary() bool {
	return e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// Is makes errors.Is(err, ErrNotFound) true for a 404.
func (e *APIError) Is(target error) bool {
	return target == ErrNotFound && e.Status == http.StatusNotFound
}

// wire types: what Okta sends.

type wireUser struct {
	ID      string `json:"id"`
	Status  string `json:"status"`
	Profile struct {
		Login string `json:"login"`
		Email string `json:"email"`
	} `json:"profile"`
}

func (w wireUser) user() User {
	return User{ID: w.ID, Login: w.Profile.Login, Email: w.Profile.Email, Status: w.Status}
}

type wireGroup struct {
	ID      string `json:"id"`
	Profile struct {
		Name string `json:"name"`
	} `json:"profile"`
}

func (w wireGroup) group() Group { return Group{ID: w.ID, Name: w.Profile.Name} }

type wireError struct {
	ErrorCode    string `json:"errorCode"`
	ErrorSummary string `json:"errorSummary"`
}
