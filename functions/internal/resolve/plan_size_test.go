package resolve_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	ssoflow "github.com/ssoflow/ssoflow/functions"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/idstoreemu"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/s3emu"
	"github.com/ssoflow/ssoflow/functions/internal/errs"
	idstore "github.com/ssoflow/ssoflow/functions/internal/identitystore"
	"github.com/ssoflow/ssoflow/functions/internal/planstore"
	"github.com/ssoflow/ssoflow/functions/internal/resolve"
)

// A mapped group too large for one Step Functions state is passed by reference: Resolve stores
// each database's work in content-addressed chunks in the plan bucket and the plan names them;
// LoadWork (Invoke with {"load": ref}) reads each back; together the chunks hold every user
// exactly once, in contiguous id ranges. Without a bucket the plan is refused with a
// ConfigError that says why, never truncated.
func TestPlanLargerThanAStatePayloadIsPassedByReference(t *testing.T) {
	const storeID = "d-93670a1b2c"
	emu := idstoreemu.New(storeID)
	srv := httptest.NewServer(emu)
	defer srv.Close()
	gid, err := emu.AddGroup("AWS_Everyone")
	if err != nil {
		t.Fatal(err)
	}
	small, err := emu.AddGroup("AWS_DBA")
	if err != nil {
		t.Fatal(err)
	}
	const n = 2500
	for i := range n {
		uid, err := emu.AddUser(idstoreemu.UserSpec{UserName: fmt.Sprintf("user%04d@example.com", i), Email: fmt.Sprintf("First.Last%04d@example.com", i)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := emu.AddMember(gid, uid); err != nil {
			t.Fatal(err)
		}
		if i < 3 {
			if _, err := emu.AddMember(small, uid); err != nil {
				t.Fatal(err)
			}
		}
	}
	s3 := s3emu.New("plans")
	s3srv := httptest.NewServer(s3)
	defer s3srv.Close()
	reader := idstore.NewReader(idstoreemu.NewClient(srv.URL, idstore.WithoutThrottleRetries), storeID, idstore.Options{Concurrency: 8})
	dbs := []resolve.Database{
		{Name: "orders", Grants: map[string][]string{"AWS_Everyone": {"app_read"}, "AWS_DBA": {"dba"}}},
		{Name: "billing", Grants: map[string][]string{"AWS_DBA": {"dba"}}},
	}
	r := resolve.New(nil, reader, resolve.Config{IdentityStoreID: storeID, Databases: dbs}, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	event, _ := json.Marshal(map[string]any{"id": "r-1", "source": ssoflow.EventSourceReconcile, "detail-type": ssoflow.DetailTypeReconcileDatabases, "detail": map[string]any{}})

	_, err = r.Handle(context.Background(), resolve.Input{Event: event})
	var ce *errs.ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "no plan bucket is configured") {
		t.Fatalf("without a bucket: err = %v, want a ConfigError naming the missing plan bucket", err)
	}

	r.Plans = planstore.New(s3emu.NewClient(s3srv.URL), "plans")
	plan, err := r.Handle(context.Background(), resolve.Input{Event: event})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(plan)
	if len(raw) > resolve.DefaultInlineBytes {
		t.Fatalf("the plan passed by reference is still %d bytes", len(raw))
	}
	if len(plan.Databases) != len(dbs) {
		t.Fatalf("%d items, want one per database", len(plan.Databases))
	}
	chunks := 0
	for _, item := range plan.Databases {
		if len(item.Chunks) < 2 || len(item.Users) != 0 {
			t.Fatalf("item for %s: %d chunks, %d users; want chunks and no users", item.Database, len(item.Chunks), len(item.Users))
		}
		seen := map[string]bool{}
		prevTo := ""
		for i, c := range item.Chunks {
			out, err := r.Invoke(context.Background(), resolve.Input{Load: &c.Stored})
			if err != nil {
				t.Fatal(err)
			}
			w := out.(resolve.DatabaseWork)
			body, _ := json.Marshal(w)
			if len(body) > resolve.DefaultChunkBytes || w.Database != item.Database || len(w.Users) != c.Count || w.From != c.From || w.To != c.To {
				t.Fatalf("chunk %s: %d bytes, %s %d users [%q, %q), the item says %s %d [%q, %q)", c.Stored.Key, len(body), w.Database, len(w.Users), w.From, w.To,
					item.Database, c.Count, c.From, c.To)
			}
			if w.From != prevTo {
				t.Fatalf("%s: chunk %d starts at %q, the previous one ends at %q", w.Database, i, w.From, prevTo)
			}
			prevTo = w.To
			for _, u := range w.Users {
				if !w.Covers(u.IdentityStoreUserID) || seen[u.IdentityStoreUserID] {
					t.Fatalf("%s: user %s outside its chunk [%q, %q) or in two chunks", w.Database, u.IdentityStoreUserID, w.From, w.To)
				}
				seen[u.IdentityStoreUserID] = true
			}
		}
		if prevTo != "" || len(seen) != n {
			t.Errorf("%s: %d users over chunks ending at %q, want all %d, the last chunk open", item.Database, len(seen), prevTo, n)
		}
		chunks += len(item.Chunks)
	}
	t.Logf("%d users, 2 databases: %d chunks, plan %d bytes, %d objects stored", n, chunks, len(raw), len(s3.Keys("plans")))

	// The same truth planned again stores nothing new (content addresses); a chunk that is
	// gone asks for the change to be planned anew.
	before := len(s3.Keys("plans"))
	again, err := r.Handle(context.Background(), resolve.Input{Event: event})
	if err != nil || len(s3.Keys("plans")) != before || again.Databases[0].Chunks[0].Stored != plan.Databases[0].Chunks[0].Stored {
		t.Fatalf("planned again: %v, %d objects (was %d)", err, len(s3.Keys("plans")), before)
	}
	gone := plan.Databases[0].Chunks[0].Stored
	s3.Delete("plans", gone.Key)
	_, err = r.Invoke(context.Background(), resolve.Input{Load: &gone})
	var ge *errs.PlanGoneError
	if !errors.As(err, &ge) || !strings.Contains(err.Error(), "--anew") {
		t.Fatalf("load of a gone chunk: %v, want a PlanGoneError saying to replay anew", err)
	}

	// A change that names one user stays small whatever the size of the groups.
	uid, err := reader.UserIDByName(context.Background(), "user0001@example.com")
	if err != nil {
		t.Fatal(err)
	}
	one, _ := json.Marshal(map[string]any{"id": "e-2", "source": "aws.sso-directory", "detail-type": "AWS API Call via CloudTrail",
		"detail": map[string]any{"eventSource": "sso-directory.amazonaws.com", "eventName": "AddMemberToGroup",
			"requestParameters": map[string]any{"identityStoreId": storeID, "groupId": small, "member": map[string]any{"memberId": uid}}}})
	plan, err = r.Handle(context.Background(), resolve.Input{Event: one})
	if err != nil || plan.Kind != resolve.KindDatabase || len(plan.Databases[0].Users) != 1 || plan.Databases[0].Chunks != nil {
		t.Fatalf("one-user change: plan %+v, err %v", plan, err)
	}
}
