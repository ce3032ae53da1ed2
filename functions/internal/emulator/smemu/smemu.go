// Package smemu is an AWS Secrets Manager emulator (AWS JSON 1.1) for GetSecretValue, so the
// functions' real secret-reading code runs in tests and the demo.
package smemu

import (
	"encoding/json"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/awsjson"
	"net/http"
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

// proto is Secrets Manager's dialect of the AWS JSON protocol.
var proto = awsjson.Protocol{Version: "1.1", TargetPrefix: "secretsmanager."}

func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, body, ok := proto.Read(w, r, func(op string) bool { return op == "GetSecretValue" })
	if !ok {
		return
	}
	var req struct{ SecretId string }
	if err := json.Unmarshal(body, &req); err != nil {
		proto.WriteError(w, http.StatusBadRequest, map[string]string{"__type": "InvalidRequestException", "message": err.Error()})
		return
	}
	e.mu.Lock()
	v, ok := e.secrets[req.SecretId]
	e.reads++
	e.mu.Unlock()
	if !ok {
		proto.WriteError(w, http.StatusBadRequest, map[string]string{"__type": "ResourceNotFoundException", "message": "Secrets Manager can't find the specified secret."})
		return
	}
	proto.Write(w, map[string]any{"ARN": req.SecretId, "Name": req.SecretId, "SecretString": v, "VersionId": "v1"})
}
