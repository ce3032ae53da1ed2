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
	"github.com/ssoflow/ssoflow/functions/internal/errs"
	idstore "github.com/ssoflow/ssoflow/functions/internal/identitystore"
	"github.com/ssoflow/ssoflow/functions/internal/resolve"
)

// A mapped group too large for one Step Functions state is refused with a ConfigError that
// says so (and reaches a person), instead of failing opaquely or being truncated.
func TestPlanLargerThanAStatePayloadIsRefusedClearly(t *testing.T) {
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
	for i := range 2500 {
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
	reader := idstore.NewReader(idstoreemu.NewClient(srv.URL, idstore.WithoutThrottleRetries), storeID, idstore.Options{Concurrency: 8})
	r := resolve.New(nil, reader, resolve.Config{IdentityStoreID: storeID, Databases: []resolve.Database{
		{Name: "orders", Grants: map[string][]string{"AWS_Everyone": {"app_read"}, "AWS_DBA": {"dba"}}},
	}}, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	event, _ := json.Marshal(map[string]any{"id": "r-1", "source": ssoflow.EventSourceReconcile, "detail-type": ssoflow.DetailTypeReconcileDatabases, "detail": map[string]any{}})

	_, err = r.Handle(context.Background(), resolve.Input{Event: event})
	var ce *errs.ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "over the 200 KiB a Step Functions state may carry") {
		t.Fatalf("err = %v, want a ConfigError about the state payload", err)
	}

	// A change that names one user stays small whatever the size of the groups.
	uid, err := reader.UserIDByName(context.Background(), "user0001@example.com")
	if err != nil {
		t.Fatal(err)
	}
	one, _ := json.Marshal(map[string]any{"id": "e-2", "source": "aws.sso-directory", "detail-type": "AWS API Call via CloudTrail",
		"detail": map[string]any{"eventSource": "sso-directory.amazonaws.com", "eventName": "AddMemberToGroup",
			"requestParameters": map[string]any{"identityStoreId": storeID, "groupId": small, "member": map[string]any{"memberId": uid}}}})
	plan, err := r.Handle(context.Background(), resolve.Input{Event: one})
	if err != nil || plan.Kind != resolve.KindDatabase || len(plan.Databases[0].Users) != 1 {
		t.Fatalf("one-user change: plan %+v, err %v", plan, err)
	}
}
