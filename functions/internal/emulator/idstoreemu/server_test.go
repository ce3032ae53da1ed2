package idstoreemu_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/identitystore"
	"github.com/aws/aws-sdk-go-v2/service/identitystore/document"
	"github.com/aws/aws-sdk-go-v2/service/identitystore/types"

	"github.com/ssoflow/ssoflow/functions/internal/emulator/idstoreemu"
)

const storeID = "d-1234567890"

// setup starts an emulator and returns it with a real SDK client whose own retries are off, so
// every answer of the emulator reaches the test.
func setup(t *testing.T) (*idstoreemu.Server, *identitystore.Client) {
	t.Helper()
	emu := idstoreemu.New(storeID)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	return emu, idstoreemu.NewClient(srv.URL, func(o *identitystore.Options) { o.RetryMaxAttempts = 1 })
}

func mustUser(t *testing.T, emu *idstoreemu.Server, name string) string {
	t.Helper()
	id, err := emu.AddUser(idstoreemu.UserSpec{UserName: name, DisplayName: strings.ToUpper(name), Email: name + "@example.com"})
	if err != nil {
		t.Fatalf("AddUser %s: %v", name, err)
	}
	return id
}

func mustGroup(t *testing.T, emu *idstoreemu.Server, name string) string {
	t.Helper()
	id, err := emu.AddGroup(name)
	if err != nil {
		t.Fatalf("AddGroup %s: %v", name, err)
	}
	return id
}

func TestDescribeUser(t *testing.T) {
	emu, c := setup(t)
	ctx := context.Background()
	id := mustUser(t, emu, "alice")

	out, err := c.DescribeUser(ctx, &identitystore.DescribeUserInput{IdentityStoreId: aws.String(storeID), UserId: aws.String(id)})
	if err != nil {
		t.Fatalf("DescribeUser: %v", err)
	}
	if aws.ToString(out.UserId) != id || aws.ToString(out.UserName) != "alice" || aws.ToString(out.DisplayName) != "ALICE" {
		t.Errorf("got user %q %q %q", aws.ToString(out.UserId), aws.ToString(out.UserName), aws.ToString(out.DisplayName))
	}
	if len(out.Emails) != 1 || aws.ToString(out.Emails[0].Value) != "alice@example.com" || !out.Emails[0].Primary {
		t.Errorf("emails = %+v", out.Emails)
	}

	_, err = c.DescribeUser(ctx, &identitystore.DescribeUserInput{IdentityStoreId: aws.String(storeID), UserId: aws.String("missing")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || nf.ResourceType != types.ResourceTypeUser || aws.ToString(nf.ResourceId) != "missing" {
		t.Fatalf("DescribeUser(missing) error = %v, want ResourceNotFoundException USER", err)
	}
}

func TestIdentityStoreIDChecked(t *testing.T) {
	emu, c := setup(t)
	ctx := context.Background()
	gid := mustGroup(t, emu, "admins")

	_, err := c.DescribeGroup(ctx, &identitystore.DescribeGroupInput{IdentityStoreId: aws.String("d-0000000000"), GroupId: aws.String(gid)})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || nf.ResourceType != types.ResourceTypeIdentityStore {
		t.Errorf("other store: error = %v, want ResourceNotFoundException IDENTITY_STORE", err)
	}
	_, err = c.DescribeGroup(ctx, &identitystore.DescribeGroupInput{IdentityStoreId: aws.String("not-a-store"), GroupId: aws.String(gid)})
	var ve *types.ValidationException
	if !errors.As(err, &ve) {
		t.Errorf("malformed store id: error = %v, want ValidationException", err)
	}
	out, err := c.DescribeGroup(ctx, &identitystore.DescribeGroupInput{IdentityStoreId: aws.String(storeID), GroupId: aws.String(gid)})
	if err != nil || aws.ToString(out.DisplayName) != "admins" {
		t.Errorf("DescribeGroup = %v, %v; want admins", out, err)
	}
}

func TestAlternateIdentifiers(t *testing.T) {
	emu, c := setup(t)
	ctx := context.Background()
	uid := mustUser(t, emu, "bob")
	gid := mustGroup(t, emu, "db-readers")

	u, err := c.GetUserId(ctx, &identitystore.GetUserIdInput{
		IdentityStoreId: aws.String(storeID),
		AlternateIdentifier: &types.AlternateIdentifierMemberUniqueAttribute{Value: types.UniqueAttribute{
			AttributePath: aws.String("userName"), AttributeValue: document.NewLazyDocument("bob"),
		}},
	})
	if err != nil || aws.ToString(u.UserId) != uid {
		t.Errorf("GetUserId(bob) = %v, %v; want %s", u, err, uid)
	}
	g, err := c.GetGroupId(ctx, &identitystore.GetGroupIdInput{
		IdentityStoreId: aws.String(storeID),
		AlternateIdentifier: &types.AlternateIdentifierMemberUniqueAttribute{Value: types.UniqueAttribute{
			AttributePath: aws.String("displayName"), AttributeValue: document.NewLazyDocument("db-readers"),
		}},
	})
	if err != nil || aws.ToString(g.GroupId) != gid {
		t.Errorf("GetGroupId(db-readers) = %v, %v; want %s", g, err, gid)
	}
	_, err = c.GetGroupId(ctx, &identitystore.GetGroupIdInput{
		IdentityStoreId: aws.String(storeID),
		AlternateIdentifier: &types.AlternateIdentifierMemberUniqueAttribute{Value: types.UniqueAttribute{
			AttributePath: aws.String("displayName"), AttributeValue: document.NewLazyDocument("nobody"),
		}},
	})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("GetGroupId(nobody) error = %v, want ResourceNotFoundException", err)
	}
}

func TestListGroupMembershipsPages(t *testing.T) {
	emu, c := setup(t)
	ctx := context.Background()
	gid := mustGroup(t, emu, "big")
	for i := range 250 {
		uid := mustUser(t, emu, fmt.Sprintf("user%03d", i))
		if _, err := emu.AddMember(gid, uid); err != nil {
			t.Fatal(err)
		}
	}
	p := identitystore.NewListGroupMembershipsPaginator(c, &identitystore.ListGroupMembershipsInput{
		IdentityStoreId: aws.String(storeID), GroupId: aws.String(gid), MaxResults: aws.Int32(100),
	})
	var got []string
	var sizes []int
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("page: %v", err)
		}
		sizes = append(sizes, len(out.GroupMemberships))
		for _, m := range out.GroupMemberships {
			u, ok := m.MemberId.(*types.MemberIdMemberUserId)
			if !ok || aws.ToString(m.GroupId) != gid {
				t.Fatalf("membership %+v", m)
			}
			got = append(got, u.Value)
		}
	}
	slices.Sort(got)
	if !slices.Equal(sizes, []int{100, 100, 50}) || !slices.Equal(got, emu.Members(gid)) {
		t.Errorf("pages %v, %d members; want [100 100 50] and the seeded 250", sizes, len(got))
	}
	if n := emu.Requests("ListGroupMemberships"); n != 3 {
		t.Errorf("ListGroupMemberships requests = %d, want 3", n)
	}

	_, err := c.ListGroupMemberships(ctx, &identitystore.ListGroupMembershipsInput{
		IdentityStoreId: aws.String(storeID), GroupId: aws.String(gid), MaxResults: aws.Int32(101),
	})
	var ve *types.ValidationException
	if !errors.As(err, &ve) {
		t.Errorf("MaxResults 101: error = %v, want ValidationException", err)
	}
	_, err = c.ListGroupMemberships(ctx, &identitystore.ListGroupMembershipsInput{
		IdentityStoreId: aws.String(storeID), GroupId: aws.String(gid), NextToken: aws.String("forged"),
	})
	if !errors.As(err, &ve) {
		t.Errorf("forged NextToken: error = %v, want ValidationException", err)
	}
}

func TestIsMemberInGroups(t *testing.T) {
	emu, c := setup(t)
	ctx := context.Background()
	uid := mustUser(t, emu, "carol")
	in := mustGroup(t, emu, "in")
	out := mustGroup(t, emu, "out")
	if _, err := emu.AddMember(in, uid); err != nil {
		t.Fatal(err)
	}
	res, err := c.IsMemberInGroups(ctx, &identitystore.IsMemberInGroupsInput{
		IdentityStoreId: aws.String(storeID), MemberId: &types.MemberIdMemberUserId{Value: uid}, GroupIds: []string{in, out},
	})
	if err != nil {
		t.Fatalf("IsMemberInGroups: %v", err)
	}
	got := map[string]bool{}
	for _, r := range res.Results {
		got[aws.ToString(r.GroupId)] = r.MembershipExists
	}
	if len(got) != 2 || !got[in] || got[out] {
		t.Errorf("results = %v, want %s:true %s:false", got, in, out)
	}

	many := make([]string, 101)
	for i := range many {
		many[i] = in
	}
	_, err = c.IsMemberInGroups(ctx, &identitystore.IsMemberInGroupsInput{
		IdentityStoreId: aws.String(storeID), MemberId: &types.MemberIdMemberUserId{Value: uid}, GroupIds: many,
	})
	var ve *types.ValidationException
	if !errors.As(err, &ve) {
		t.Errorf("101 groups: error = %v, want ValidationException", err)
	}
}

func TestMembershipWrites(t *testing.T) {
	emu, c := setup(t)
	ctx := context.Background()
	uid := mustUser(t, emu, "dave")
	gid := mustGroup(t, emu, "ops")
	create := &identitystore.CreateGroupMembershipInput{
		IdentityStoreId: aws.String(storeID), GroupId: aws.String(gid), MemberId: &types.MemberIdMemberUserId{Value: uid},
	}
	cr, err := c.CreateGroupMembership(ctx, create)
	if err != nil {
		t.Fatalf("CreateGroupMembership: %v", err)
	}
	_, err = c.CreateGroupMembership(ctx, create)
	var ce *types.ConflictException
	if !errors.As(err, &ce) || ce.Reason != types.ConflictExceptionReasonUniquenessConstraintViolation {
		t.Errorf("duplicate: error = %v, want ConflictException UNIQUENESS_CONSTRAINT_VIOLATION", err)
	}
	id, err := c.GetGroupMembershipId(ctx, &identitystore.GetGroupMembershipIdInput{
		IdentityStoreId: aws.String(storeID), GroupId: aws.String(gid), MemberId: &types.MemberIdMemberUserId{Value: uid},
	})
	if err != nil || aws.ToString(id.MembershipId) != aws.ToString(cr.MembershipId) {
		t.Errorf("GetGroupMembershipId = %v, %v; want %s", id, err, aws.ToString(cr.MembershipId))
	}
	forMember, err := c.ListGroupMembershipsForMember(ctx, &identitystore.ListGroupMembershipsForMemberInput{
		IdentityStoreId: aws.String(storeID), MemberId: &types.MemberIdMemberUserId{Value: uid},
	})
	if err != nil || len(forMember.GroupMemberships) != 1 || aws.ToString(forMember.GroupMemberships[0].GroupId) != gid {
		t.Errorf("ListGroupMembershipsForMember = %+v, %v", forMember, err)
	}
	del := &identitystore.DeleteGroupMembershipInput{IdentityStoreId: aws.String(storeID), MembershipId: cr.MembershipId}
	if _, err := c.DeleteGroupMembership(ctx, del); err != nil {
		t.Fatalf("DeleteGroupMembership: %v", err)
	}
	if m := emu.Members(gid); len(m) != 0 {
		t.Errorf("members after delete = %v", m)
	}
	_, err = c.DeleteGroupMembership(ctx, del)
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || nf.ResourceType != types.ResourceTypeGroupMembership {
		t.Errorf("second delete: error = %v, want ResourceNotFoundException GROUP_MEMBERSHIP", err)
	}
}

func TestCreateAndDeleteUser(t *testing.T) {
	emu, c := setup(t)
	ctx := context.Background()
	g, err := c.CreateGroup(ctx, &identitystore.CreateGroupInput{IdentityStoreId: aws.String(storeID), DisplayName: aws.String("devs")})
	if err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	u, err := c.CreateUser(ctx, &identitystore.CreateUserInput{
		IdentityStoreId: aws.String(storeID), UserName: aws.String("erin"), DisplayName: aws.String("Erin"),
		Emails: []types.Email{{Value: aws.String("erin@example.com"), Primary: true}},
	})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if _, err := emu.AddMember(aws.ToString(g.GroupId), aws.ToString(u.UserId)); err != nil {
		t.Fatal(err)
	}
	_, errUser := c.CreateUser(ctx, &identitystore.CreateUserInput{IdentityStoreId: aws.String(storeID), UserName: aws.String("erin"), DisplayName: aws.String("E")})
	_, errGroup := c.CreateGroup(ctx, &identitystore.CreateGroupInput{IdentityStoreId: aws.String(storeID), DisplayName: aws.String("devs")})
	for what, err := range map[string]error{"user": errUser, "group": errGroup} {
		var ce *types.ConflictException
		if !errors.As(err, &ce) || ce.Reason != types.ConflictExceptionReasonUniquenessConstraintViolation {
			t.Errorf("duplicate %s: %v, want ConflictException UNIQUENESS_CONSTRAINT_VIOLATION", what, err)
		}
	}
	users, err := c.ListUsers(ctx, &identitystore.ListUsersInput{
		IdentityStoreId: aws.String(storeID),
		Filters:         []types.Filter{{AttributePath: aws.String("UserName"), AttributeValue: aws.String("erin")}},
	})
	if err != nil || len(users.Users) != 1 || aws.ToString(users.Users[0].UserId) != aws.ToString(u.UserId) {
		t.Errorf("ListUsers(erin) = %+v, %v", users, err)
	}
	if _, err := c.DeleteUser(ctx, &identitystore.DeleteUserInput{IdentityStoreId: aws.String(storeID), UserId: u.UserId}); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	if m := emu.Members(aws.ToString(g.GroupId)); len(m) != 0 {
		t.Errorf("memberships of a deleted user remain: %v", m)
	}
	groups, err := c.ListGroups(ctx, &identitystore.ListGroupsInput{IdentityStoreId: aws.String(storeID)})
	if err != nil || len(groups.Groups) != 1 || aws.ToString(groups.Groups[0].DisplayName) != "devs" {
		t.Errorf("ListGroups = %+v, %v", groups, err)
	}
}

func TestFailNextThrottles(t *testing.T) {
	emu, c := setup(t)
	ctx := context.Background()
	gid := mustGroup(t, emu, "g")
	emu.SetRetryAfterSeconds(7)
	emu.FailNext(2)
	in := &identitystore.DescribeGroupInput{IdentityStoreId: aws.String(storeID), GroupId: aws.String(gid)}
	for i := range 2 {
		_, err := c.DescribeGroup(ctx, in)
		var te *types.ThrottlingException
		if !errors.As(err, &te) || te.RetryAfterSeconds != 7 {
			t.Fatalf("request %d: error = %v, want ThrottlingException with RetryAfterSeconds 7", i, err)
		}
	}
	if _, err := c.DescribeGroup(ctx, in); err != nil {
		t.Fatalf("third request: %v", err)
	}
	if emu.Requests("DescribeGroup") != 3 || emu.Throttled() != 2 {
		t.Errorf("requests %d, throttled %d; want 3 and 2", emu.Requests("DescribeGroup"), emu.Throttled())
	}
}

func TestRejectsUnsignedAndUnknown(t *testing.T) {
	emu := idstoreemu.New(storeID)
	srv := httptest.NewServer(emu)
	defer srv.Close()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/", strings.NewReader(`{"IdentityStoreId":"d-1234567890"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSIdentityStore.ListGroups")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("unsigned request: status %d, want 403", resp.StatusCode)
	}
}

func TestConcurrentUse(t *testing.T) {
	emu, c := setup(t)
	ctx := context.Background()
	gid := mustGroup(t, emu, "shared")
	var wg sync.WaitGroup
	errc := make(chan error, 40)
	for i := range 20 {
		wg.Go(func() {
			uid, err := emu.AddUser(idstoreemu.UserSpec{UserName: fmt.Sprintf("c%02d", i)})
			if err != nil {
				errc <- err
				return
			}
			_, err = c.CreateGroupMembership(ctx, &identitystore.CreateGroupMembershipInput{
				IdentityStoreId: aws.String(storeID), GroupId: aws.String(gid), MemberId: &types.MemberIdMemberUserId{Value: uid},
			})
			errc <- err
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Error(err)
		}
	}
	if n := len(emu.Members(gid)); n != 20 {
		t.Errorf("members = %d, want 20", n)
	}
}
