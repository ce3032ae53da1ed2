package rdsmysql_test

import (
	"testing"

	"github.com/ssoflow/ssoflow/functions/internal/emulator/rdsmysql"
)

// BenchmarkIAMLogin measures one full login: token, TCP, TLS handshake, token verification.
func BenchmarkIAMLogin(b *testing.B) {
	s := start(b)
	before := s.Logins()
	for i := 0; i < b.N; i++ {
		db, err := login(s, rdsmysql.ProvisionerUser, token(b, s, rdsmysql.ProvisionerUser, creds), false)
		if err != nil {
			b.Fatal(err)
		}
		db.Close()
	}
	if got := s.Logins() - before; got != int64(b.N) {
		b.Fatalf("%d logins for %d iterations", got, b.N)
	}
}
