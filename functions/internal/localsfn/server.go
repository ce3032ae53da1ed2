package localsfn

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
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
}

func serve(handlers map[string]lambda.Handler, executionARN string) (*taskServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ts := &taskServer{ln: ln, base: "http://" + ln.Addr().String()}
	mux := http.NewServeMux()
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
		id := ts.seq.Add(1)
		ctx := lambdacontext.NewContext(r.Context(), &lambdacontext.LambdaContext{
			AwsRequestID:       "local-" + strings.ReplaceAll(executionARN[strings.LastIndex(executionARN, ":")+1:], ":", "-") + "-" + itoa(id),
			InvokedFunctionArn: LocalARN(r.PathValue("name")),
		})
		out, err := h.Invoke(ctx, payload)
		w.Header().Set("Content-Type", "application/json")
		if err != nil {
			_ = json.NewEncoder(w).Encode(map[string]string{"errorType": ErrorType(err), "errorMessage": err.Error()})
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]json.RawMessage{"result": out})
	})
	ts.srv = &http.Server{Handler: mux}
	go func() { _ = ts.srv.Serve(ln) }()
	return ts, nil
}

func (t *taskServer) URL(name string) string { return t.base + "/invoke/" + name }

func (t *taskServer) Close() { _ = t.srv.Shutdown(context.Background()) }

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
