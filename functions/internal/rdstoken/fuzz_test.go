package rdstoken_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ssoflow/ssoflow/functions/internal/rdstoken"
)

// FuzzParse feeds arbitrary passwords (the token is what a client sends at login) to the parser
// and verifier. Seeds are the SDK-made tokens and hand-written near misses in testdata/tokens.
func FuzzParse(f *testing.F) {
	seeds, err := filepath.Glob("testdata/tokens/*.txt")
	if err != nil {
		f.Fatal(err)
	}
	if len(seeds) == 0 {
		f.Fatal("no seeds in testdata/tokens")
	}
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, tok string) {
		p, err := rdstoken.Parse(tok)
		if err != nil {
			if p != nil {
				t.Fatalf("Parse returned a token with error %v", err)
			}
			return
		}
		if p.Host == "" || p.Port < 1 || p.Port > 65535 {
			t.Fatalf("accepted endpoint %q (host %q port %d)", p.HostPort, p.Host, p.Port)
		}
		if p.Expires <= 0 || p.Expires > rdstoken.MaxExpires {
			t.Fatalf("accepted expiry %v", p.Expires)
		}
		if len(p.Signature) != 64 || p.SignedHeaders != "host" || p.DBUser == "" || p.Action == "" {
			t.Fatalf("accepted incomplete token %+v", p)
		}
		if p.AccessKeyID == "" || p.Region == "" || p.Service == "" {
			t.Fatalf("accepted empty credential scope %+v", p)
		}
		// Verifying any parsed token must not panic; a token that verifies with the example
		// credentials (a seed, or a harmless re-encoding of one) must not verify with another
		// secret for the same key: the signature really depends on the secret.
		at := p.Date.Add(time.Second)
		if p.Verify(p.Host, p.Port, p.DBUser, p.Region, exampleCreds, at) == nil {
			wrong := exampleCreds
			wrong.SecretAccessKey += "x"
			if err := p.Verify(p.Host, p.Port, p.DBUser, p.Region, wrong, at); !errors.Is(err, rdstoken.ErrSignature) {
				t.Fatalf("token verified with a wrong secret: %v", err)
			}
		}
	})
}
