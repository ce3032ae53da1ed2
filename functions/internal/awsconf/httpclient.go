package awsconf

import (
	"io"
	"net/http"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// HTTPDoer is what the SDK sends requests through (aws.HTTPClient).
type HTTPDoer interface {
	Do(*http.Request) (*http.Response, error)
}

// HTTPClient is the SDK's default HTTP client with request bodies handed to net/http without a
// WriteTo method (see WithoutBodyWriteTo). Every SDK client of ssoflow's, against AWS or an
// emulator, sends through it.
func HTTPClient() HTTPDoer {
	return WithoutBodyWriteTo(awshttp.NewBuildableClient())
}

// WithoutBodyWriteTo wraps next so that the request body net/http reads has Read and Close
// only.
//
// Why: smithy-go wraps a seekable request body in a reader that answers io.EOF from WriteTo
// once it is closed, and it closes the body as soon as Do returns. net/http's write loop, after
// sending ContentLength bytes, copies what is left of the body to io.Discard to check that
// nothing is; io.Copy prefers WriteTo, so when the response has arrived first (a server that
// answers as soon as it has read the body: every loopback emulator, and sometimes AWS), that
// last copy returns io.EOF as an error. net/http takes it for a failed write and closes the
// connection under the response body the SDK is still reading: "use of closed network
// connection" on any response larger than the first read. Through Read, a closed body is an
// ordinary end of body and the connection stays up.
func WithoutBodyWriteTo(next HTTPDoer) HTTPDoer {
	if c, ok := next.(bodyReadOnlyClient); ok {
		return c
	}
	return bodyReadOnlyClient{next: next}
}

type bodyReadOnlyClient struct{ next HTTPDoer }

func (c bodyReadOnlyClient) Do(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return c.next.Do(req)
	}
	if _, ok := req.Body.(io.WriterTo); !ok {
		return c.next.Do(req)
	}
	r := *req // a shallow copy: only Body differs, and the caller's request stays as it was
	r.Body = readCloser{req.Body}
	return c.next.Do(&r)
}

// readCloser hides every method of its body but Read and Close.
type readCloser struct{ body io.ReadCloser }

func (b readCloser) Read(p []byte) (int, error) { return b.body.Read(p) }
func (b readCloser) Close() error               { return b.body.Close() }
