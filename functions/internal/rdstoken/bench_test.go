package rdstoken_test

import (
	"testing"
	"time"

	"github.com/ssoflow/ssoflow/functions/internal/rdstoken"
)

func BenchmarkVerify(b *testing.B) {
	tok := sdkToken(b, "db.example.internal:3306", "eu-west-1", "alice", exampleCreds)
	now := time.Now()
	for i := 0; i < b.N; i++ {
		if err := rdstoken.Verify(tok, "db.example.internal", 3306, "alice", "eu-west-1", exampleCreds, now); err != nil {
			b.Fatal(err)
		}
	}
}
