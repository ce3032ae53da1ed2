package ssoadminemu_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin/types"
)

// Malformed requests are refused as the API reference's constraints say, each with the
// documented error type and HTTP 400.
func TestRefusedRequests(t *testing.T) {
	f := start(t)
	ctx := context.Background()
	good := f.assignment(member, 1)
	create := func(mod func(*ssoadmin.CreateAccountAssignmentInput)) error {
		in := &ssoadmin.CreateAccountAssignmentInput{InstanceArn: aws.String(instanceArn), PermissionSetArn: aws.String(good.PermissionSetArn),
			PrincipalId: aws.String(good.PrincipalID), PrincipalType: types.PrincipalTypeUser, TargetId: aws.String(member), TargetType: types.TargetTypeAwsAccount}
		mod(in)
		_, err := f.c.CreateAccountAssignment(ctx, in)
		return err
	}
	list := func(mod func(*ssoadmin.ListAccountAssignmentsInput)) error {
		in := &ssoadmin.ListAccountAssignmentsInput{InstanceArn: aws.String(instanceArn), AccountId: aws.String(member), PermissionSetArn: aws.String(f.psArn)}
		mod(in)
		_, err := f.c.ListAccountAssignments(ctx, in)
		return err
	}
	cases := []struct {
		name, want string
		call       func() error
	}{
		{"TargetType other than AWS_ACCOUNT", "ValidationException", func() error {
			return create(func(in *ssoadmin.CreateAccountAssignmentInput) { in.TargetType = "ORGANIZATIONAL_UNIT" })
		}},
		{"TargetId not 12 digits", "ValidationException", func() error {
			return create(func(in *ssoadmin.CreateAccountAssignmentInput) { in.TargetId = aws.String("12345") })
		}},
		{"PrincipalType other than USER or GROUP", "ValidationException", func() error {
			return create(func(in *ssoadmin.CreateAccountAssignmentInput) { in.PrincipalType = "ROLE" })
		}},
		{"PrincipalId not an identity store id", "ValidationException", func() error {
			return create(func(in *ssoadmin.CreateAccountAssignmentInput) { in.PrincipalId = aws.String("alice@example.com") })
		}},
		{"another instance", "ValidationException", func() error {
			return create(func(in *ssoadmin.CreateAccountAssignmentInput) {
				in.InstanceArn = aws.String("arn:aws:sso:::instance/ssoins-ffffffffffffffff")
			})
		}},
		{"unknown permission set", "ResourceNotFoundException", func() error {
			return create(func(in *ssoadmin.CreateAccountAssignmentInput) {
				in.PermissionSetArn = aws.String("arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-0000000000000000")
			})
		}},
		{"unknown creation request id", "ResourceNotFoundException", func() error {
			_, err := f.creationStatus("00000000-0000-4000-8000-000000000000")
			return err
		}},
		{"unknown deletion request id", "ResourceNotFoundException", func() error {
			_, err := f.deletionStatus("00000000-0000-4000-8000-000000000000")
			return err
		}},
		{"MaxResults 0", "ValidationException", func() error {
			return list(func(in *ssoadmin.ListAccountAssignmentsInput) { in.MaxResults = aws.Int32(0) })
		}},
		{"MaxResults 101", "ValidationException", func() error {
			return list(func(in *ssoadmin.ListAccountAssignmentsInput) { in.MaxResults = aws.Int32(101) })
		}},
		{"NextToken not issued", "ValidationException", func() error {
			return list(func(in *ssoadmin.ListAccountAssignmentsInput) { in.NextToken = aws.String("forged") })
		}},
		{"ListAccountAssignments AccountId not 12 digits", "ValidationException", func() error {
			return list(func(in *ssoadmin.ListAccountAssignmentsInput) { in.AccountId = aws.String("x") })
		}},
		{"DescribePermissionSet of an unknown set", "ResourceNotFoundException", func() error {
			_, err := f.c.DescribePermissionSet(ctx, &ssoadmin.DescribePermissionSetInput{InstanceArn: aws.String(instanceArn),
				PermissionSetArn: aws.String("arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-0000000000000000")})
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			if err == nil {
				t.Fatalf("accepted, want %s", c.want)
			}
			if code, status := apiError(t, err); code != c.want || status != http.StatusBadRequest {
				t.Errorf("got %s HTTP %d, want %s 400", code, status, c.want)
			}
		})
	}
	if f.emu.Assigned(good) || len(f.emu.Assignments()) != 0 {
		t.Errorf("a refused request took effect: %v", f.emu.Assignments())
	}
}

// Lists page by NextToken with at most MaxResults items a page (100 by default).
func TestListsPage(t *testing.T) {
	f := start(t)
	ctx := context.Background()
	for n := range 5 {
		f.emu.Assign(f.assignment(member, n))
	}
	f.emu.Assign(f.assignment(outsider, 9))
	p := ssoadmin.NewListAccountAssignmentsPaginator(f.c, &ssoadmin.ListAccountAssignmentsInput{InstanceArn: aws.String(instanceArn),
		AccountId: aws.String(member), PermissionSetArn: aws.String(f.psArn), MaxResults: aws.Int32(2)})
	var sizes []int
	seen := map[string]bool{}
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(out.AccountAssignments))
		for _, a := range out.AccountAssignments {
			if aws.ToString(a.AccountId) != member || aws.ToString(a.PermissionSetArn) != f.psArn || a.PrincipalType != types.PrincipalTypeUser {
				t.Errorf("listed %+v", a)
			}
			seen[aws.ToString(a.PrincipalId)] = true
		}
	}
	if len(sizes) != 3 || sizes[0] != 2 || sizes[1] != 2 || sizes[2] != 1 || len(seen) != 5 {
		t.Errorf("pages of %v with %d distinct principals, want 2,2,1 and 5", sizes, len(seen))
	}

	second := f.emu.AddPermissionSet("Admin", "administrator")
	out, err := f.c.ListPermissionSets(ctx, &ssoadmin.ListPermissionSetsInput{InstanceArn: aws.String(instanceArn), MaxResults: aws.Int32(1)})
	if err != nil || len(out.PermissionSets) != 1 || out.PermissionSets[0] != f.psArn || out.NextToken == nil {
		t.Fatalf("first page of permission sets: %+v %v", out, err)
	}
	out, err = f.c.ListPermissionSets(ctx, &ssoadmin.ListPermissionSetsInput{InstanceArn: aws.String(instanceArn), NextToken: out.NextToken})
	if err != nil || len(out.PermissionSets) != 1 || out.PermissionSets[0] != second || out.NextToken != nil {
		t.Fatalf("second page of permission sets: %+v %v", out, err)
	}
	ps, err := f.c.DescribePermissionSet(ctx, &ssoadmin.DescribePermissionSetInput{InstanceArn: aws.String(instanceArn), PermissionSetArn: aws.String(second)})
	if err != nil || aws.ToString(ps.PermissionSet.Name) != "Admin" || aws.ToString(ps.PermissionSet.SessionDuration) != "PT1H" ||
		ps.PermissionSet.CreatedDate == nil || !strings.HasPrefix(second, "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-") {
		t.Fatalf("DescribePermissionSet: %+v %v", ps, err)
	}
}

// The AWS JSON 1.1 protocol of the service: an unsigned request is refused with 403, another
// service's operation with 400, and only the emulated operations are served.
func TestProtocol(t *testing.T) {
	f := start(t)
	post := func(target string, signed bool) int {
		req, _ := http.NewRequest(http.MethodPost, f.url+"/", strings.NewReader(`{"InstanceArn":"`+instanceArn+`"}`))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", target)
		if signed {
			req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/sso/aws4_request, SignedHeaders=host, Signature=00")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, c := range []struct {
		target string
		signed bool
		want   int
	}{
		{"SWBExternalService.ListPermissionSets", true, 200},
		{"SWBExternalService.ListPermissionSets", false, 403},
		{"SWBExternalService.CreatePermissionSet", true, 400},
		{"AWSIdentityStore.ListPermissionSets", true, 400},
	} {
		if got := post(c.target, c.signed); got != c.want {
			t.Errorf("%s signed=%v: HTTP %d, want %d", c.target, c.signed, got, c.want)
		}
	}
	var ve *types.ValidationException
	if _, err := f.c.ListPermissionSets(context.Background(), &ssoadmin.ListPermissionSetsInput{InstanceArn: aws.String("arn:aws:sso:::instance/ssoins-0000000000000000")}); !errors.As(err, &ve) {
		t.Errorf("another instance's ARN: %v, want ValidationException", err)
	}
}
