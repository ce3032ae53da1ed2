package scim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
)

// User is an Identity Center user as the SCIM endpoint shows it.
type User struct {
	ID          string
	UserName    string
	ExternalID  string
	DisplayName string
	GivenName   string
	FamilyName  string
	Active      bool
}

func (w wireUser) user() User {
	u := User{ID: w.ID, UserName: w.UserName, ExternalID: w.ExternalID, DisplayName: w.DisplayName, Active: true}
	if w.Name != nil {
		u.GivenName, u.FamilyName = w.Name.GivenName, w.Name.FamilyName
	}
	if w.Active != nil {
		u.Active = *w.Active
	}
	return u
}

// FindUser returns the user whose userName is userName; errors.Is(err, ErrNotFound) when none.
func (c *Client) FindUser(ctx context.Context, userName string) (User, error) {
	return c.findUser(ctx, eq("userName", userName), "userName")
}

// FindUserByExternalID returns the user whose externalId (the IdP's id for the user) is id;
// errors.Is(err, ErrNotFound) when none.
func (c *Client) FindUserByExternalID(ctx context.Context, id string) (User, error) {
	return c.findUser(ctx, eq("externalId", id), "externalId")
}

func (c *Client) findUser(ctx context.Context, filter, by string) (User, error) {
	body, err := c.do(ctx, "GET", "/Users", url.Values{"filter": {filter}}, nil)
	if err != nil {
		return User{}, fmt.Errorf("find user by %s: %w", by, err)
	}
	l, err := parseList[wireUser](body)
	if err != nil {
		return User{}, fmt.Errorf("find user by %s: %w", by, err)
	}
	if len(l.Resources) == 0 {
		return User{}, fmt.Errorf("find user by %s: %w", by, ErrNotFound)
	}
	if len(l.Resources) > 1 {
		return User{}, fmt.Errorf("find user by %s: %d users match, want one", by, len(l.Resources))
	}
	return l.Resources[0].user(), nil
}

// CreateUser creates u (Identity Center requires userName, displayName and both name parts)
// and returns it with its id. A taken userName gives errors.Is(err, ErrConflict).
func (c *Client) CreateUser(ctx context.Context, u User) (User, error) {
	active := u.Active
	in := wireUser{
		Schemas:     []string{schemaUser},
		ExternalID:  u.ExternalID,
		UserName:    u.UserName,
		DisplayName: u.DisplayName,
		Name:        &wireName{GivenName: u.GivenName, FamilyName: u.FamilyName},
		Active:      &active,
	}
	body, err := c.do(ctx, "POST", "/Users", nil, in)
	if err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	var out wireUser
	if err := json.Unmarshal(body, &out); err != nil {
		return User{}, fmt.Errorf("create user: decode response: %w", err)
	}
	if out.ID == "" {
		return User{}, fmt.Errorf("create user: response has no id")
	}
	return out.user(), nil
}
