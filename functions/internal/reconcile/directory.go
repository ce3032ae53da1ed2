package reconcile

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/identitystore"
	"github.com/aws/aws-sdk-go-v2/service/identitystore/types"

	"github.com/ssoflow/ssoflow/functions/internal/scim"
)

// ListAPI is the part of the identity store API the directory listing uses
// (*identitystore.Client from the AWS SDK).
type ListAPI interface {
	ListUsers(context.Context, *sdk.ListUsersInput, ...func(*sdk.Options)) (*sdk.ListUsersOutput, error)
	ListGroups(context.Context, *sdk.ListGroupsInput, ...func(*sdk.Options)) (*sdk.ListGroupsOutput, error)
}

// ExternalIDLookup finds an Identity Center user by externalId, the fallback for an Okta user
// whose login is not an Identity Center userName (*scim.Client).
type ExternalIDLookup interface {
	FindUserByExternalID(ctx context.Context, id string) (scim.User, error)
}

// directory is Identity Center's users and groups, read once per run in pages of 100: far
// fewer requests than one lookup per member.
type directory struct {
	userByName  map[string]string // lower-case userName → user id
	userName    map[string]string // user id → userName
	groupByName map[string]string // displayName → group id
	groupName   map[string]string // group id → displayName

	ext     ExternalIDLookup
	mu      sync.Mutex
	byExtID map[string]string // Okta user id → Identity Center user id ("" when none)
}

const throttleAttempts = 6

// listAll reads every page of a listing, retrying ThrottlingException after the wait the
// service asks for (bounded).
func listAll[T any](ctx context.Context, what string, page func(ctx context.Context, token *string) (T, *string, error), each func(T)) error {
	var token *string
	for {
		var out T
		var next *string
		var err error
		for attempt := 1; ; attempt++ {
			out, next, err = page(ctx, token)
			var te *types.ThrottlingException
			if err == nil || !errors.As(err, &te) || attempt >= throttleAttempts {
				break
			}
			wait := time.Duration(te.RetryAfterSeconds) * time.Second
			if wait <= 0 {
				wait = time.Duration(100<<attempt) * time.Millisecond
			}
			if err := sleep(ctx, min(wait, 20*time.Second)); err != nil {
				return fmt.Errorf("identity store %s: %w", what, err)
			}
		}
		if err != nil {
			return fmt.Errorf("identity store %s: %w", what, err)
		}
		each(out)
		if aws.ToString(next) == "" {
			return nil
		}
		token = next
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

// readDirectory lists every user and group of the identity store.
func readDirectory(ctx context.Context, api ListAPI, storeID string, ext ExternalIDLookup, progress func(string, ...any)) (*directory, error) {
	d := &directory{userByName: map[string]string{}, userName: map[string]string{}, groupByName: map[string]string{},
		groupName: map[string]string{}, ext: ext, byExtID: map[string]string{}}
	err := listAll(ctx, "ListGroups", func(ctx context.Context, tok *string) (*sdk.ListGroupsOutput, *string, error) {
		out, err := api.ListGroups(ctx, &sdk.ListGroupsInput{IdentityStoreId: aws.String(storeID), MaxResults: aws.Int32(100), NextToken: tok})
		if err != nil {
			return nil, nil, err
		}
		return out, out.NextToken, nil
	}, func(out *sdk.ListGroupsOutput) {
		for _, g := range out.Groups {
			d.groupByName[aws.ToString(g.DisplayName)] = aws.ToString(g.GroupId)
			d.groupName[aws.ToString(g.GroupId)] = aws.ToString(g.DisplayName)
		}
	})
	if err != nil {
		return nil, err
	}
	progress("read %d Identity Center groups", len(d.groupName))
	pages := 0
	err = listAll(ctx, "ListUsers", func(ctx context.Context, tok *string) (*sdk.ListUsersOutput, *string, error) {
		out, err := api.ListUsers(ctx, &sdk.ListUsersInput{IdentityStoreId: aws.String(storeID), MaxResults: aws.Int32(100), NextToken: tok})
		if err != nil {
			return nil, nil, err
		}
		return out, out.NextToken, nil
	}, func(out *sdk.ListUsersOutput) {
		for _, u := range out.Users {
			id, name := aws.ToString(u.UserId), aws.ToString(u.UserName)
			d.userByName[strings.ToLower(name)] = id
			d.userName[id] = name
			for _, x := range u.ExternalIds {
				d.byExtID[aws.ToString(x.Id)] = id
			}
		}
		if pages++; pages%20 == 0 {
			progress("read %d Identity Center users", len(d.userName))
		}
	})
	if err != nil {
		return nil, err
	}
	progress("read %d Identity Center users", len(d.userName))
	return d, nil
}

// userFor maps an Okta user to its Identity Center user id: userName = login (SCIM userNames
// are case-insensitive), else externalId = Okta user id, asked of SCIM once per user per run.
// "" means the user is not provisioned in Identity Center.
func (d *directory) userFor(ctx context.Context, login, oktaID string) (string, error) {
	if id, ok := d.userByName[strings.ToLower(login)]; ok {
		return id, nil
	}
	if oktaID == "" {
		return "", nil
	}
	d.mu.Lock()
	id, known := d.byExtID[oktaID]
	d.mu.Unlock()
	if known || d.ext == nil {
		return id, nil
	}
	u, err := d.ext.FindUserByExternalID(ctx, oktaID)
	switch {
	case errors.Is(err, scim.ErrNotFound):
		id = ""
	case err != nil:
		return "", fmt.Errorf("find Identity Center user with externalId %s: %w", oktaID, err)
	default:
		id = u.ID
	}
	d.mu.Lock()
	d.byExtID[oktaID] = id
	if _, listed := d.userName[id]; id != "" && !listed {
		d.userName[id] = u.UserName
	}
	d.mu.Unlock()
	return id, nil
}

func (d *directory) nameOf(id string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if n, ok := d.userName[id]; ok {
		return n
	}
	return id
}
