package localsfn

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// taskServer answers the driver's task calls on loopback.
type taskServer struct {
	ln   net.Listener
	srv  *http.Server
	seq  atomic.Int64
	base string

	functions   map[string]lambda.Handler // function ARN → handler, for lambda:invoke states
	mu          sync.Mutex
	invocations []Invocation
	violation   string // the first task payload or result over DataLimit
}

// checkLimit records, and returns as States.DataLimitExceeded, a task payload or result over
// DataLimit.
func (t *taskServer) checkLimit(what string, b []byte) error {
	msg := overDataLimit(what, b)
	if msg == "" {
		return nil
	}
	t.mu.Lock()
	if t.violation == "" {
		t.violation = msg
	}
	t.mu.Unlock()
	return &taskError{DataLimitExceeded, msg}
}

// DataLimitViolation is the first task payload or result that exceeded DataLimit, or "".
func (t *taskServer) DataLimitViolation() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.violation
}

func serve(handlers, functions map[string]lambda.Handler, executionARN string) (*taskServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ts := &taskServer{ln: ln, base: "http://" + ln.Addr().String(), functions: functions}
	requestID := func() string {
		return "local-" + strings.ReplaceAll(executionARN[strings.LastIndex(executionARN, ":")+1:], ":", "-") + "-" + itoa(ts.seq.Add(1))
	}
	reply := func(w http.ResponseWriter, out []byte, err error) {
		w.Header().Set("Content-Type", "application/json")
		if err != nil {
			_ = json.NewEncoder(w).Encode(map[string]string{"errorType": ErrorType(err), "errorMessage": err.Error()})
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]json.RawMessage{"result": out})
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /lambda-invoke/{state}", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if err := ts.checkLimit("the parameters of state "+r.PathValue("state"), body); err != nil {
			reply(w, nil, err)
			return
		}
		out, err := ts.invoke(r.Context(), r.PathValue("state"), body, requestID())
		if err == nil {
			err = ts.checkLimit("the result of state "+r.PathValue("state"), out)
		}
		reply(w, out, err)
	})
	mux.HandleFunc("POST /invoke/{name}", func(w http.ResponseWriter, r *http.Request) {
		h, ok := handlers[r.PathValue("name")]
		if !ok {
			http.Error(w, "no handler", http.StatusNotFound)
			return
		}
		payload, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if err := ts.checkLimit("the input of task "+r.PathValue("name"), payload); err != nil {
			reply(w, nil, err)
			return
		}
		ctx := lambdacontext.NewContext(r.Context(), &lambdacontext.LambdaContext{
			AwsRequestID:       requestID(),
			InvokedFunctionArn: LocalARN(r.PathValue("name")),
		})
		out, err := h.Invoke(ctx, payload)
		if err == nil {
			err = ts.checkLimit("the result of task "+r.PathValue("name"), out)
		}
		reply(w, out, err)
	})
	ts.srv = &http.Server{Handler: mux}
	go func() { _ = ts.srv.Serve(ln) }()
	return ts, nil
}

func (t *taskServer) URL(name string) string { return t.base + "/invoke/" + name }

// InvokeURL is where run.mjs posts a lambda:invoke state's parameters.
func (t *taskServer) InvokeURL(state string) string {
	return t.base + "/lambda-invoke/" + url.PathEscape(state)
}

func (t *taskServer) Close() { _ = t.srv.Shutdown(context.Background()) }

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
