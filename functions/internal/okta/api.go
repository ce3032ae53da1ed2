package okta

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// pageLimit is the page size asked for on list calls (Okta caps it per endpoint).
const pageLimit = 200

func limitQuery() url.Values { return url.Values{"limit": {strconv.Itoa(pageLimit)}} }

// GetUser reads one user by id or login.
func (c *Client) GetUser(ctx context.Context, idOrLogin string) (User, error) {
	if idOrLogin == "" {
		return User{}, fmt.Errorf("okta: get user: empty id")
	}
	if c.err != nil {
		return User{}, c.err
	}
	var w wireUser
	if _, err := c.get(ctx, c.endpoint(nil, "api", "v1", "users", idOrLogin), &w); err != nil {
		return User{}, fmt.Errorf("get user %q: %w", idOrLogin, err)
	}
	return w.user(), nil
}

// GetGroup reads one group by id.
func (c *Client) GetGroup(ctx context.Context, id string) (Group, error) {
	if id == "" {
		return Group{}, fmt.Errorf("okta: get group: empty id")
	}
	if c.err != nil {
		return Group{}, c.err
	}
	var w wireGroup
	if _, err := c.get(ctx, c.endpoint(nil, "api", "v1", "groups", id), &w); err != nil {
		return Group{}, fmt.Errorf("get group %q: %w", id, err)
	}
	return w.group(), nil
}

// FindGroupByName returns the group whose name is exactly name (case-sensitive), found with
// search=profile.name eq "<name>". Okta compares search values without regard to case, so the
// results are filtered for the exact name. A missing group is ErrNotFound.
func (c *Client) FindGroupByName(ctx context.Context, name string) (Group, error) {
	expr, err := nameSearch("eq", name)
	if err != nil {
		return Group{}, fmt.Errorf("find group %q: %w", name, err)
	}
	groups, err := c.listGroups(ctx, expr, func(g Group) bool { return g.Name == name })
	if err != nil {
		return Group{}, fmt.Errorf("find group %q: %w", name, err)
	}
	if len(groups) == 0 {
		return Group{}, fmt.Errorf("find group %q: %w", name, ErrNotFound)
	}
	return groups[0], nil
}

// ListGroups returns every group whose name starts with namePrefix (case-sensitive); an empty
// prefix lists all groups. A prefix is searched with search=profile.name sw "<prefix>", which
// pages, and never with q=, which cannot be paged, returns at most 300 groups, and whose
// prefix matching Okta calls an implementation detail. sw ignores case, so the results are
// filtered for the exact prefix.
func (c *Client) ListGroups(ctx context.Context, namePrefix string) ([]Group, error) {
	expr := ""
	if namePrefix != "" {
		var err error
		if expr, err = nameSearch("sw", namePrefix); err != nil {
			return nil, fmt.Errorf("list groups %q: %w", namePrefix, err)
		}
	}
	groups, err := c.listGroups(ctx, expr, func(g Group) bool {
		return strings.HasPrefix(g.Name, namePrefix)
	})
	if err != nil {
		return nil, fmt.Errorf("list groups %q: %w", namePrefix, err)
	}
	return groups, nil
}

// listGroups lists the groups that match the search expression (all groups when it is ""),
// following every page, and keeps those keep accepts.
func (c *Client) listGroups(ctx context.Context, search string, keep func(Group) bool) ([]Group, error) {
	if c.err != nil {
		return nil, c.err
	}
	query := limitQuery()
	if search != "" {
		query.Set("search", search)
	}
	var out []Group
	err := paginate(ctx, c, c.endpoint(query, "api", "v1", "groups"), func(page []wireGroup) {
		for _, w := range page {
			if g := w.group(); keep(g) {
				out = append(out, g)
			}
		}
	})
	return out, err
}

// ListUserGroups returns the groups the user belongs to.
func (c *Client) ListUserGroups(ctx context.Context, userID string) ([]Group, error) {
	if userID == "" {
		return nil, fmt.Errorf("okta: list user groups: empty user id")
	}
	if c.err != nil {
		return nil, c.err
	}
	var out []Group
	err := paginate(ctx, c, c.endpoint(limitQuery(), "api", "v1", "users", userID, "groups"),
		func(page []wireGroup) {
			for _, w := range page {
				out = append(out, w.group())
			}
		})
	if err != nil {
		return nil, fmt.Errorf("list groups of user %q: %w", userID, err)
	}
	return out, nil
}

// ListGroupMembers returns every user in the group, following Okta's cursor pages.
func (c *Client) ListGroupMembers(ctx context.Context, groupID string) ([]User, error) {
	if groupID == "" {
		return nil, fmt.Errorf("okta: list group members: empty group id")
	}
	if c.err != nil {
		return nil, c.err
	}
	var out []User
	err := paginate(ctx, c, c.endpoint(limitQuery(), "api", "v1", "groups", groupID, "users"),
		func(page []wireUser) {
			for _, w := range page {
				out = append(out, w.user())
			}
		})
	if err != nil {
		return nil, fmt.Errorf("list members of group %q: %w", groupID, err)
	}
	return out, nil
}
