package dbuser

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// countingConnector counts the connections database/sql opens: with IAM authentication every
// new connection costs a token and counts against RDS's connection-rate limit.
type countingConnector struct {
	driver.Connector
	opened atomic.Int64
}

func (c *countingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	c.opened.Add(1)
	return c.Connector.Connect(ctx)
}

func mariaDBConnections(tb testing.TB, db *sql.DB) int64 {
	var name string
	var n int64
	if err := db.QueryRow("SHOW GLOBAL STATUS LIKE 'Connections'").Scan(&name, &n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// BenchmarkApply1000Users converges 1,000 new users (a quarter of them in two groups) into one
// MariaDB and one PostgreSQL database, then applies the same list again (nothing to do).
// Run: go test -run '^$' -bench BenchmarkApply1000Users -benchtime=1x ./internal/dbuser/
func BenchmarkApply1000Users(b *testing.B) {
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		envs := []*env{newMariaDBEnv(b), newPostgresEnv(b)}
		var dbs []*sql.DB
		var counters []*countingConnector
		var engines []Engine
		for _, e := range envs {
			cc := &countingConnector{Connector: e.connector}
			db := sql.OpenDB(cc)
			dbs, counters, engines = append(dbs, db), append(counters, cc), append(engines, e.newEngine(db))
		}
		desired := make([][]Desired, len(envs))
		for j, e := range envs {
			for u := 0; u < 1000; u++ {
				d := Desired{IdentityStoreUserID: fmt.Sprintf("id-%04d", u), UserName: fmt.Sprintf("%s.u%04d", e.prefix, u),
					Groups: []string{"AWS_Readers"}, Roles: []string{e.roleA}}
				if u%4 == 0 {
					d.Groups, d.Roles = append(d.Groups, "AWS_Writers"), append(d.Roles, e.roleB)
				}
				desired[j] = append(desired[j], d)
			}
		}
		serverBefore := mariaDBConnections(b, envs[0].db)
		b.StartTimer()

		var elapsed [2]time.Duration
		for j := range envs {
			start := time.Now()
			rep, err := Apply(ctx, engines[j], desired[j])
			elapsed[j] = time.Since(start)
			if err != nil {
				b.Fatalf("%s: %v", envs[j].name, err)
			}
			if rep.Counts[ActionCreated] != 1000 {
				b.Fatalf("%s: counts %v", envs[j].name, rep.Counts)
			}
		}

		b.StopTimer()
		serverAfter := mariaDBConnections(b, envs[0].db)
		var again [2]time.Duration
		for j := range envs {
			start := time.Now()
			rep, err := Apply(ctx, engines[j], desired[j])
			again[j] = time.Since(start)
			if err != nil || rep.Changed() || rep.Counts[ActionUnchanged] != 1000 {
				b.Fatalf("%s: second Apply changed something: %v %v", envs[j].name, rep.Counts, err)
			}
		}
		b.ReportMetric(float64(elapsed[0].Milliseconds()), "mariadb-ms")
		b.ReportMetric(float64(elapsed[1].Milliseconds()), "postgres-ms")
		b.ReportMetric(float64(again[0].Milliseconds()), "mariadb-noop-ms")
		b.ReportMetric(float64(again[1].Milliseconds()), "postgres-noop-ms")
		b.ReportMetric(float64(counters[0].opened.Load()), "mariadb-conns")
		b.ReportMetric(float64(counters[1].opened.Load()), "postgres-conns")
		// The server's own counter, which also counts other clients of the shared server.
		b.ReportMetric(float64(serverAfter-serverBefore), "mariadb-server-conns")
		for _, db := range dbs {
			db.Close()
		}
		b.StartTimer()
	}
}
