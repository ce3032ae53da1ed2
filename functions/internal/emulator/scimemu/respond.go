package scimemu

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

const (
	schemaUser  = "urn:ietf:params:scim:schemas:core:2.0:User"
	schemaGroup = "urn:ietf:params:scim:schemas:core:2.0:Group"
	schemaPatch = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	schemaList  = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	schemaError = "urn:ietf:params:scim:api:messages:2.0:Error"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// scimError is the error body as Identity Center sends it: both "schema" and "schemas", the
// status as a string, a request id and a time stamp, and no error type name.
type scimError struct {
	Schema             []string `json:"schema"`
	Schemas            []string `json:"schemas"`
	Detail             string   `json:"detail"`
	Status             string   `json:"status"`
	ExceptionRequestID string   `json:"exceptionRequestId"`
	TimeStamp          string   `json:"timeStamp"`
}

func writeError(w http.ResponseWriter, status int, detail string) {
	id := newID()
	w.Header().Set("x-amzn-RequestId", id)
	writeJSON(w, status, scimError{
		Schema:             []string{schemaError},
		Schemas:            []string{schemaError},
		Detail:             detail,
		Status:             strconv.Itoa(status),
		ExceptionRequestID: id,
		TimeStamp:          time.Now().UTC().Format("2006-01-02 15:04:05.000"),
	})
}

func validation(w http.ResponseWriter, detail string) {
	writeError(w, http.StatusBadRequest, detail)
}

// listResponse is a ListResponse: uncursored answers carry totalResults, itemsPerPage and
// startIndex; cursored ones itemsPerPage and, while more remain, nextCursor.
type listResponse struct {
	TotalResults *int     `json:"totalResults,omitempty"`
	ItemsPerPage int      `json:"itemsPerPage"`
	StartIndex   *int     `json:"startIndex,omitempty"`
	NextCursor   string   `json:"nextCursor,omitempty"`
	Schemas      []string `json:"schemas"`
	Resources    []any    `json:"Resources"`
}

type meta struct {
	ResourceType string `json:"resourceType"`
	Created      string `json:"created"`
	LastModified string `json:"lastModified"`
}
