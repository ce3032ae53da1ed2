package identitystore

import (
	"context"
	"errors"
	"fmt"
	"github.com/ssoflow/ssoflow/functions/internal/parallel"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/identitystore"
	"github.com/aws/aws-sdk-go-v2/service/identitystore/document"
	"github.com/aws/aws-sdk-go-v2/service/identitystore/types"
)

const (
	pageSize        = 100 // the API's largest page
	maxGroupsPerAsk = 100 // IsMemberInGroups takes at most 100 group ids
)

// DescribeUser reads one user. A user that does not exist gives an error matching ErrNotFound.
func (r *Reader) DescribeUser(ctx context.Context, userID string) (User, error) {
	out, err := call(ctx, r.opts, "DescribeUser "+userID, func(ctx context.Context) (*sdk.DescribeUserOutput, error) {
		return r.api.DescribeUser(ctx, &sdk.DescribeUserInput{IdentityStoreId: aws.String(r.storeID), UserId: aws.String(userID)})
	})
	if err != nil {
		return User{}, err
	}
	return User{
		ID:          aws.ToString(out.UserId),
		UserName:    aws.ToString(out.UserName),
		Email:       primaryEmail(out.Emails),
		DisplayName: aws.ToString(out.DisplayName),
	}, nil
}

func primaryEmail(emails []types.Email) string {
	for _, e := range emails {
		if e.Primary {
			return aws.ToString(e.Value)
		}
	}
	if len(emails) > 0 {
		return aws.ToString(emails[0].Value)
	}
	return ""
}

// GroupByID reads one group. A group that does not exist gives an error matching ErrNotFound.
func (r *Reader) GroupByID(ctx context.Context, groupID string) (Group, error) {
	out, err := call(ctx, r.opts, "DescribeGroup "+groupID, func(ctx context.Context) (*sdk.DescribeGroupOutput, error) {
		return r.api.DescribeGroup(ctx, &sdk.DescribeGroupInput{IdentityStoreId: aws.String(r.storeID), GroupId: aws.String(groupID)})
	})
	if err != nil {
		return Group{}, err
	}
	return Group{ID: aws.ToString(out.GroupId), DisplayName: aws.ToString(out.DisplayName)}, nil
}

// GroupIDByName returns the id of the group whose displayName is name (ErrNotFound if none).
func (r *Reader) GroupIDByName(ctx context.Context, name string) (string, error) {
	out, err := call(ctx, r.opts, fmt.Sprintf("GetGroupId %q", name), func(ctx context.Context) (*sdk.GetGroupIdOutput, error) {
		return r.api.GetGroupId(ctx, &sdk.GetGroupIdInput{
			IdentityStoreId:     aws.String(r.storeID),
			AlternateIdentifier: uniqueAttribute("displayName", name),
		})
	})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.GroupId), nil
}

// UserIDByName returns the id of the user whose userName is name (ErrNotFound if none).
func (r *Reader) UserIDByName(ctx context.Context, name string) (string, error) {
	out, err := call(ctx, r.opts, fmt.Sprintf("GetUserId %q", name), func(ctx context.Context) (*sdk.GetUserIdOutput, error) {
		return r.api.GetUserId(ctx, &sdk.GetUserIdInput{
			IdentityStoreId:     aws.String(r.storeID),
			AlternateIdentifier: uniqueAttribute("userName", name),
		})
	})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.UserId), nil
}

func uniqueAttribute(path, value string) types.AlternateIdentifier {
	return &types.AlternateIdentifierMemberUniqueAttribute{Value: types.UniqueAttribute{
		AttributePath: aws.String(path), AttributeValue: document.NewLazyDocument(value),
	}}
}

// MemberIDs returns the user ids of the members of group groupID, in the service's order. A
// group that does not exist gives an error matching ErrNotFound.
func (r *Reader) MemberIDs(ctx context.Context, groupID string) ([]string, error) {
	var ids []string
	var token *string
	for {
		out, err := call(ctx, r.opts, "ListGroupMemberships "+groupID, func(ctx context.Context) (*sdk.ListGroupMembershipsOutput, error) {
			return r.api.ListGroupMemberships(ctx, &sdk.ListGroupMembershipsInput{
				IdentityStoreId: aws.String(r.storeID), GroupId: aws.String(groupID),
				MaxResults: aws.Int32(pageSize), NextToken: token,
			})
		})
		if err != nil {
			return nil, err
		}
		for _, m := range out.GroupMemberships {
			if u, ok := m.MemberId.(*types.MemberIdMemberUserId); ok && u.Value != "" {
				ids = append(ids, u.Value)
			}
		}
		if aws.ToString(out.NextToken) == "" {
			return ids, nil
		}
		if token != nil && *token == *out.NextToken {
			return nil, fmt.Errorf("identity store ListGroupMemberships %s: the service returned the same NextToken twice", groupID)
		}
		token = out.NextToken
	}
}

// GroupMembers returns the current members of group groupID, read with at most
// Options.Concurrency DescribeUser calls at a time. Users deleted between the listing and the
// read are left out. A group that does not exist gives an error matching ErrNotFound.
func (r *Reader) GroupMembers(ctx context.Context, groupID string) ([]User, error) {
	ids, err := r.MemberIDs(ctx, groupID)
	if err != nil {
		return nil, err
	}
	users := make([]User, len(ids))
	found := make([]bool, len(ids))

	err = parallel.ForEach(ctx, len(ids), r.opts.Concurrency, func(ctx context.Context, i int) error {
		u, err := r.DescribeUser(ctx, ids[i])
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return err
		default:
			users[i], found[i] = u, true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the members of group %s: %w", groupID, err)
	}
	out := make([]User, 0, len(ids))
	for i, u := range users {
		if found[i] {
			out = append(out, u)
		}
	}
	return out, nil
}

// UserGroups returns which of candidateGroupIDs user userID is a member of, in the order of
// candidateGroupIDs (duplicates removed), asking IsMemberInGroups about at most 100 groups at a
// time. A user that does not exist gives an error matching ErrNotFound.
func (r *Reader) UserGroups(ctx context.Context, userID string, candidateGroupIDs []string) ([]string, error) {
	candidates := dedupe(candidateGroupIDs)
	member := map[string]bool{}
	for chunk := range slices.Chunk(candidates, maxGroupsPerAsk) {
		out, err := call(ctx, r.opts, "IsMemberInGroups "+userID, func(ctx context.Context) (*sdk.IsMemberInGroupsOutput, error) {
			return r.api.IsMemberInGroups(ctx, &sdk.IsMemberInGroupsInput{
				IdentityStoreId: aws.String(r.storeID),
				MemberId:        &types.MemberIdMemberUserId{Value: userID},
				GroupIds:        chunk,
			})
		})
		if err != nil {
			return nil, err
		}
		for _, res := range out.Results {
			if res.MembershipExists {
				member[aws.ToString(res.GroupId)] = true
			}
		}
	}
	var in []string
	for _, g := range candidates {
		if member[g] {
			in = append(in, g)
		}
	}
	return in, nil
}

func dedupe(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
