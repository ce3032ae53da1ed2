package awsconf

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// smithyBody behaves like smithy-go's safeWriteToReadCloser over a seekable body: Read and
// WriteTo answer io.EOF once it is closed. Its WriteTo waits until the body is closed, which
// forces the order the flake needed luck for: the response arrives, the SDK closes the body,
// and only then does net/http's write loop make its last check of the body.
type smithyBody struct {
	mu     sync.Mutex
	r      *bytes.Reader
	closed bool
	closes chan struct{}
}

func newSmithyBody(b []byte) *smithyBody {
	return &smithyBody{r: bytes.NewReader(b), closes: make(chan struct{})}
}

func (b *smithyBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, io.EOF
	}
	return b.r.Read(p)
}

func (b *smithyBody) WriteTo(w io.Writer) (int64, error) {
	<-b.closes
	return 0, io.EOF // closed: what safeWriteToReadCloser answers
}

func (b *smithyBody) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.closed {
		b.closed = true
		close(b.closes)
	}
	return nil
}

// send posts a body to a server that answers with 1 MiB as soon as it has read the request,
// closes the request body once Do returns (as smithy-go does), and reads the whole answer.
func send(t *testing.T, client HTTPDoer, url string) error {
	t.Helper()
	payload := []byte(`{"IdentityStoreId":"d-1234567890"}`)
	body := newSmithyBody(payload)
	req, err := http.NewRequest(http.MethodPost, url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(payload))
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err == nil && n != 1<<20 {
		t.Fatalf("read %d bytes of 1 MiB", n)
	}
	return err
}

func bigAnswers(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Write(bytes.Repeat([]byte("x"), 1<<20))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// The mechanism of the transport flake, deterministically: net/http's write loop ends a request
// by copying what is left of the body to io.Discard (transfer.go, writeBody), and io.Copy
// prefers the body's WriteTo. Once the SDK has closed the body, its WriteTo answers io.EOF,
// which io.Copy returns as an error, and net/http then takes the write for failed and closes the
// connection under the response. Through WithoutBodyWriteTo the same copy reads io.EOF from
// Read: an ordinary end of body.
func TestClosedBodyEndsTheLastCopyWithoutAnError(t *testing.T) {
	closed := newSmithyBody([]byte("{}"))
	closed.Close()
	if _, err := io.Copy(io.Discard, closed); err != io.EOF {
		t.Fatalf("io.Copy from a closed smithy-style body: %v, want io.EOF as an error (the flake's mechanism)", err)
	}
	var seen io.Reader
	client := WithoutBodyWriteTo(doerFunc(func(r *http.Request) (*http.Response, error) {
		seen = r.Body
		return nil, nil
	}))
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/", newSmithyBody([]byte("{}")))
	client.Do(req)
	if _, ok := seen.(io.WriterTo); ok {
		t.Fatal("net/http would see a body with WriteTo")
	}
	req.Body.Close()
	if n, err := io.Copy(io.Discard, seen); err != nil || n != 0 {
		t.Fatalf("io.Copy from the closed body as net/http sees it: %d, %v; want 0, nil", n, err)
	}
}

type doerFunc func(*http.Request) (*http.Response, error)

func (f doerFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

// Over a real connection, a body closed as soon as the answer arrives leaves the connection up:
// every 1 MiB answer is read whole.
func TestClosedBodyAfterTheAnswerDoesNotBreakTheConnection(t *testing.T) {
	srv := bigAnswers(t)
	fixed := WithoutBodyWriteTo(&http.Client{Transport: &http.Transport{}})
	for i := 0; i < 20; i++ {
		if err := send(t, fixed, srv.URL); err != nil {
			t.Fatalf("request %d through WithoutBodyWriteTo: %v", i, err)
		}
	}
}

func TestLocalAndLoadSendThroughTheFixedClient(t *testing.T) {
	if _, ok := Local().HTTPClient.(bodyReadOnlyClient); !ok {
		t.Errorf("Local().HTTPClient is %T, want the client without body WriteTo", Local().HTTPClient)
	}
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "not-a-secret")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	cfg, err := Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cfg.HTTPClient.(bodyReadOnlyClient); !ok {
		t.Errorf("Load().HTTPClient is %T, want the client without body WriteTo", cfg.HTTPClient)
	}
}
