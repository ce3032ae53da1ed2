// Package smemu is an AWS Secrets Manager emulator (AWS JSON 1.1) for GetSecretValue, so the
// functions' real secret-reading code runs in tests and the demo.
package smemu

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
)

// Emulator holds secrets by name or ARN. Use New.
type Emulator struct {
	mu      sync.Mutex
	secrets map[string]string
	reads   int
}

// New returns an emulator without secrets.
func New() *Emulator { return &Emulator{secrets: map[string]string{}} }

// Put sets a secret's current value.
func (e *Emulator) Put(id, value string) {
	e.mu.Lock()
	e.secrets[id] = value
	e.mu.Unlock()
}

// Reads is the number of GetSecretValue calls served.
func (e *Emulator) Reads() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.reads
}

func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" || !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": "InvalidRequestException", "message": "only signed GetSecretValue is emulated"})
		return
	}
	var req struct{ SecretId string }
	_ = json.NewDecoder(r.Body).Decode(&req)
	e.mu.Lock()
	v, ok := e.secrets[req.SecretId]
	e.reads++
	e.mu.Unlock()
	if !ok {
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": "ResourceNotFoundException", "message": "Secrets Manager can't find the specified secret."})
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"ARN": req.SecretId, "Name": req.SecretId, "SecretString": v, "VersionId": "v1"})
}
