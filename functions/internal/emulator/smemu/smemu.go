// Package smemu is an AWS Secrets Manager emulator (AWS JSON 1.1) for GetSecretValue, so the
// functions' real secret-reading code runs in tests and the demo. A secret is found by its name
// or its full ARN (the name, a hyphen and six random characters); GetSecretValue answers its
// AWSCURRENT version. FIDELITY.md lists what it reproduces and the sources.
package smemu

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"sync"
	"time"

	"github.com/ssoflow/ssoflow/functions/internal/emulator/awsjson"
)

// Region and Account are where the emulated secrets live (they make up their ARNs).
const (
	Region  = "us-east-1"
	Account = "123456789012"
)

// currentStage is the staging label of the version GetSecretValue answers by default.
const currentStage = "AWSCURRENT"

type secret struct {
	name, arn, value, versionID string
	created                     time.Time
}

// Emulator holds secrets by name. Use New.
type Emulator struct {
	mu      sync.Mutex
	secrets map[string]*secret // by name
	reads   int
}

// New returns an emulator without secrets.
func New() *Emulator { return &Emulator{secrets: map[string]*secret{}} }

// Put sets the current value of the secret called name, creating it (with a new ARN) if it
// does not exist; each Put makes a new version.
func (e *Emulator) Put(name, value string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.secrets[name]
	if s == nil {
		s = &secret{name: name, arn: fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-%s", Region, Account, name, randomSuffix()),
			created: time.Now().UTC().Truncate(time.Second)}
		e.secrets[name] = s
	}
	s.value, s.versionID = value, awsjson.RequestID()
}

// ARN returns the ARN of the secret called name, "" if there is none.
func (e *Emulator) ARN(name string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if s := e.secrets[name]; s != nil {
		return s.arn
	}
	return ""
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
	var req struct{ SecretId, VersionId, VersionStage string }
	if err := json.Unmarshal(body, &req); err != nil {
		proto.WriteError(w, http.StatusBadRequest, map[string]string{"__type": "SerializationException", "Message": "malformed request body: " + err.Error()})
		return
	}
	e.mu.Lock()
	e.reads++
	s := e.find(req.SecretId)
	var out map[string]any
	if s != nil && (req.VersionId == "" || req.VersionId == s.versionID) && (req.VersionStage == "" || req.VersionStage == currentStage) {
		out = map[string]any{"ARN": s.arn, "Name": s.name, "SecretString": s.value, "VersionId": s.versionID,
			"VersionStages": []string{currentStage}, "CreatedDate": float64(s.created.Unix())}
	}
	e.mu.Unlock()
	if out == nil {
		proto.WriteError(w, http.StatusBadRequest, map[string]string{"__type": "ResourceNotFoundException", "Message": "Secrets Manager can't find the specified secret."})
		return
	}
	proto.Write(w, out)
}

// find returns the secret whose name or full ARN is id. Callers hold e.mu.
func (e *Emulator) find(id string) *secret {
	if s := e.secrets[id]; s != nil {
		return s
	}
	for _, s := range e.secrets {
		if s.arn == id {
			return s
		}
	}
	return nil
}

// randomSuffix returns the six random characters Secrets Manager appends to a secret's name in
// its ARN.
func randomSuffix() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, 6)
	for i := range b {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			panic(fmt.Sprintf("smemu: crypto/rand: %v", err)) // never fails on supported platforms
		}
		b[i] = alphabet[n.Int64()]
	}
	return string(b)
}
