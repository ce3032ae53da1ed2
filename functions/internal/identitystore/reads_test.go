package identitystore_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/service/identitystore"

	"github.com/ssoflow/ssoflow/functions/internal/emulator/idstoreemu"
	"github.com/ssoflow/ssoflow/functions/internal/errs"
	"github.com/ssoflow/ssoflow/functions/internal/identitystore"
)

const storeID = "d-1234567890"

// sleeps records the waits the package asks for instead of waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return nil
}

func (s *sleeps) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.d)
}

type env struct {
	emu    *idstoreemu.Server
	client *sdk.Client
	sleeps *sleeps
	opts   identitystore.Options
}

func newEnv(t *testing.T) *env {
	t.Helper()
	emu := idstoreemu.New(storeID)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	e := &env{emu: emu, client: idstoreemu.NewClient(srv.URL, identitystore.WithoutThrottleRetries), sleeps: &sleeps{}}
	e.opts = identitystore.Options{Sleep: e.sleeps.sleep}
	return e
}

func (e *env) reader() *identitystore.Reader {
	return identitystore.NewReader(e.client, storeID, e.opts)
}

func (e *env) user(t *testing.T, name string, groups ...string) string {
	t.Helper()
	id, err := e.emu.AddUser(idstoreemu.UserSpec{UserName: name, DisplayName: "User " + name, Email: name + "@example.com"})
	if err != nil {
		t.Fatalf("AddUser %s: %v", name, err)
	}
	for _, g := range groups {
		if _, err := e.emu.AddMember(g, id); err != nil {
			t.Fatalf("AddMember %s %s: %v", g, name, err)
		}
	}
	return id
}

func (e *env) group(t *testing.T, name string) string {
	t.Helper()
	id, err := e.emu.AddGroup(name)
	if err != nil {
		t.Fatalf("AddGroup %s: %v", name, err)
	}
	return id
}

func TestDescribeUser(t *testing.T) {
	e := newEnv(t)
	id := e.user(t, "alice")
	u, err := e.reader().DescribeUser(context.Background(), id)
	if err != nil {
		t.Fatalf("DescribeUser: %v", err)
	}
	want := identitystore.User{ID: id, UserName: "alice", Email: "alice@example.com", DisplayName: "User alice"}
	if u != want {
		t.Errorf("DescribeUser = %+v, want %+v", u, want)
	}

	e.emu.RemoveUser(id)
	_, err = e.reader().DescribeUser(context.Background(), id)
	if !errors.Is(err, identitystore.ErrNotFound) {
		t.Fatalf("deleted user: error = %v, want ErrNotFound", err)
	}
	var r *errs.RetryableError
	if errors.As(errs.Classify(err), &r) {
		t.Errorf("a deleted user must not be retried: %v", err)
	}
}

func TestGroupLookups(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	gid := e.group(t, "db-admins")
	uid := e.user(t, "bob")
	r := e.reader()

	if got, err := r.GroupIDByName(ctx, "db-admins"); err != nil || got != gid {
		t.Errorf("GroupIDByName = %q, %v; want %q", got, err, gid)
	}
	if _, err := r.GroupIDByName(ctx, "no-such-group"); !errors.Is(err, identitystore.ErrNotFound) {
		t.Errorf("GroupIDByName(missing) error = %v, want ErrNotFound", err)
	}
	if g, err := r.GroupByID(ctx, gid); err != nil || g != (identitystore.Group{ID: gid, DisplayName: "db-admins"}) {
		t.Errorf("GroupByID = %+v, %v", g, err)
	}
	if got, err := r.UserIDByName(ctx, "bob"); err != nil || got != uid {
		t.Errorf("UserIDByName = %q, %v; want %q", got, err, uid)
	}
}

// deleteAfterListing deletes a user once the membership listing is complete, as a person in
// the console might while the pipeline is reading.
type deleteAfterListing struct {
	*sdk.Client
	emu    *idstoreemu.Server
	victim string
}

func (d deleteAfterListing) ListGroupMemberships(ctx context.Context, in *sdk.ListGroupMembershipsInput, o ...func(*sdk.Options)) (*sdk.ListGroupMembershipsOutput, error) {
	out, err := d.Client.ListGroupMemberships(ctx, in, o...)
	if err == nil && out.NextToken == nil {
		d.emu.RemoveUser(d.victim)
	}
	return out, err
}

func TestGroupMembersPagesAndSkipsDeletedUsers(t *testing.T) {
	e := newEnv(t)
	gid := e.group(t, "big")
	other := e.group(t, "other")
	var want []string
	var victim string
	for i := range 230 {
		id := e.user(t, fmt.Sprintf("user%03d", i), gid)
		if i == 117 {
			victim = id
			continue
		}
		want = append(want, id)
	}
	e.user(t, "outsider", other)

	api := deleteAfterListing{Client: e.client, emu: e.emu, victim: victim}
	users, err := identitystore.NewReader(api, storeID, e.opts).GroupMembers(context.Background(), gid)
	if err != nil {
		t.Fatalf("GroupMembers: %v", err)
	}
	var got []string
	for _, u := range users {
		if u.UserName == "" || u.Email != u.UserName+"@example.com" {
			t.Errorf("incomplete user %+v", u)
		}
		got = append(got, u.ID)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("GroupMembers returned %d users, want the %d still present", len(got), len(want))
	}
	if n := e.emu.Requests("ListGroupMemberships"); n != 3 {
		t.Errorf("ListGroupMemberships requests = %d, want 3 pages of ≤ 100", n)
	}
	if n := e.emu.Requests("DescribeUser"); n != 230 {
		t.Errorf("DescribeUser requests = %d, want 230", n)
	}
}

func TestGroupMembersMissingGroup(t *testing.T) {
	e := newEnv(t)
	_, err := e.reader().GroupMembers(context.Background(), "a4b8c1d2-e3f4-7081-92a3-b4c5d6e7f801")
	if !errors.Is(err, identitystore.ErrNotFound) {
		t.Fatalf("error = %v, want ErrNotFound", err)
	}
}

// throttleAfterListing makes every request after the listing throttled.
type throttleAfterListing struct {
	*sdk.Client
	emu *idstoreemu.Server
}

func (d throttleAfterListing) ListGroupMemberships(ctx context.Context, in *sdk.ListGroupMembershipsInput, o ...func(*sdk.Options)) (*sdk.ListGroupMembershipsOutput, error) {
	out, err := d.Client.ListGroupMemberships(ctx, in, o...)
	if err == nil && out.NextToken == nil {
		d.emu.FailNext(1 << 20)
	}
	return out, err
}

func TestGroupMembersFailsWhenDescribeFails(t *testing.T) {
	e := newEnv(t)
	gid := e.group(t, "g")
	for i := range 20 {
		e.user(t, fmt.Sprintf("u%02d", i), gid)
	}
	e.opts.MaxAttempts = 2
	_, err := identitystore.NewReader(throttleAfterListing{e.client, e.emu}, storeID, e.opts).GroupMembers(context.Background(), gid)
	var te *identitystore.TemporaryError
	if !errors.As(err, &te) {
		t.Fatalf("error = %v, want a TemporaryError", err)
	}
	if n := e.emu.Requests("DescribeUser"); n > 2*20 {
		t.Errorf("DescribeUser requests = %d, more than 2 attempts for each of 20 users", n)
	}
}

func TestUserGroupsChunks(t *testing.T) {
	e := newEnv(t)
	var candidates []string
	for i := range 250 {
		candidates = append(candidates, e.group(t, fmt.Sprintf("g%03d", i)))
	}
	in := []string{candidates[3], candidates[150], candidates[249]}
	uid := e.user(t, "carol", in...)
	e.user(t, "dave", candidates[4])
	// Duplicates are asked about once.
	asked := append(slices.Clone(candidates), candidates[3], candidates[249])

	got, err := e.reader().UserGroups(context.Background(), uid, asked)
	if err != nil {
		t.Fatalf("UserGroups: %v", err)
	}
	if !slices.Equal(got, in) {
		t.Errorf("UserGroups = %v, want %v", got, in)
	}
	if n := e.emu.Requests("IsMemberInGroups"); n != 3 {
		t.Errorf("IsMemberInGroups requests = %d, want 3 (250 groups in chunks of 100)", n)
	}

	none, err := e.reader().UserGroups(context.Background(), uid, nil)
	if err != nil || len(none) != 0 {
		t.Errorf("UserGroups(no candidates) = %v, %v", none, err)
	}
	e.emu.RemoveUser(uid)
	if _, err := e.reader().UserGroups(context.Background(), uid, candidates[:2]); !errors.Is(err, identitystore.ErrNotFound) {
		t.Errorf("deleted user: error = %v, want ErrNotFound", err)
	}
}

func TestWrongIdentityStoreIsConfigError(t *testing.T) {
	e := newEnv(t)
	uid := e.user(t, "erin")
	_, err := identitystore.NewReader(e.client, "d-0000000000", e.opts).DescribeUser(context.Background(), uid)
	var ce *errs.ConfigError
	if !errors.As(err, &ce) || errors.Is(err, identitystore.ErrNotFound) {
		t.Fatalf("error = %v, want a ConfigError that is not ErrNotFound", err)
	}
}
