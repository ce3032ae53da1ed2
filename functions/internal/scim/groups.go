package scim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
)

// MaxPatchOps is the most membership changes Identity Center accepts in one PATCH.
const MaxPatchOps = 100

// maxPage is the largest page Identity Center returns.
const maxPage = 100

// Group is an Identity Center group. Identity Center never lists a group's members.
type Group struct {
	ID          string
	DisplayName string
	ExternalID  string
}

func (w wireGroup) group() Group {
	return Group{ID: w.ID, DisplayName: w.DisplayName, ExternalID: w.ExternalID}
}

// FindGroup returns the group whose displayName is displayName; errors.Is(err, ErrNotFound)
// when none.
func (c *Client) FindGroup(ctx context.Context, displayName string) (Group, error) {
	body, err := c.do(ctx, "GET", "/Groups", url.Values{"filter": {eq("displayName", displayName)}}, nil)
	if err != nil {
		return Group{}, fmt.Errorf("find group by displayName: %w", err)
	}
	l, err := parseList[wireGroup](body)
	if err != nil {
		return Group{}, fmt.Errorf("find group by displayName: %w", err)
	}
	if len(l.Resources) == 0 {
		return Group{}, fmt.Errorf("find group by displayName: %w", ErrNotFound)
	}
	if len(l.Resources) > 1 {
		return Group{}, fmt.Errorf("find group by displayName: %d groups match, want one", len(l.Resources))
	}
	return l.Resources[0].group(), nil
}

// GetGroup returns the group with id; errors.Is(err, ErrNotFound) when it does not exist.
func (c *Client) GetGroup(ctx context.Context, id string) (Group, error) {
	body, err := c.do(ctx, "GET", "/Groups/"+url.PathEscape(id), nil, nil)
	if err != nil {
		return Group{}, fmt.Errorf("get group: %w", err)
	}
	var w wireGroup
	if err := json.Unmarshal(body, &w); err != nil {
		return Group{}, fmt.Errorf("get group: decode response: %w", err)
	}
	if w.ID == "" {
		return Group{}, fmt.Errorf("get group: response has no id")
	}
	return w.group(), nil
}

// IsMember reports whether user userID is a member of group groupID, with the one membership
// query Identity Center supports: filter=id eq "<group>" and members eq "<user>". Identity
// Center answers 404 when the user does not exist (errors.Is(err, ErrNotFound)).
func (c *Client) IsMember(ctx context.Context, groupID, userID string) (bool, error) {
	q := url.Values{"filter": {and(eq("id", groupID), eq("members", userID))}}
	body, err := c.do(ctx, "GET", "/Groups", q, nil)
	if err != nil {
		return false, fmt.Errorf("check membership: %w", err)
	}
	l, err := parseList[wireGroup](body)
	if err != nil {
		return false, fmt.Errorf("check membership: %w", err)
	}
	for _, g := range l.Resources {
		if g.ID == groupID {
			return true, nil
		}
	}
	return false, nil
}

// patchOp is one PatchOp operation.
type patchOp struct {
	Op    string       `json:"op"`
	Path  string       `json:"path"`
	Value []wireMember `json:"value,omitempty"`
}

type patchRequest struct {
	Schemas    []string  `json:"schemas"`
	Operations []patchOp `json:"Operations"`
}

// PatchMembers adds and removes members of group groupID, one operation per user, in PATCH
// requests of at most MaxPatchOps operations each, adds first. It stops at the first failed
// request; the requests before it have taken effect, and repeating the call is harmless
// (adding a member or removing a non-member changes nothing).
func (c *Client) PatchMembers(ctx context.Context, groupID string, add, remove []string) error {
	ops := make([]patchOp, 0, len(add)+len(remove))
	for _, u := range add {
		ops = append(ops, patchOp{Op: "add", Path: "members", Value: []wireMember{{Value: u}}})
	}
	for _, u := range remove {
		ops = append(ops, patchOp{Op: "remove", Path: "members[value eq " + quote(u) + "]"})
	}
	path := "/Groups/" + url.PathEscape(groupID)
	for start := 0; start < len(ops); start += MaxPatchOps {
		chunk := ops[start:min(start+MaxPatchOps, len(ops))]
		in := patchRequest{Schemas: []string{schemaPatch}, Operations: chunk}
		if _, err := c.do(ctx, "PATCH", path, nil, in); err != nil {
			return fmt.Errorf("patch group members (operations %d-%d of %d): %w", start+1, start+len(chunk), len(ops), err)
		}
	}
	return nil
}

// CreateGroup creates a group named displayName and returns it. A taken displayName gives
// errors.Is(err, ErrConflict).
func (c *Client) CreateGroup(ctx context.Context, displayName string) (Group, error) {
	in := wireGroup{Schemas: []string{schemaGroup}, DisplayName: displayName}
	body, err := c.do(ctx, "POST", "/Groups", nil, in)
	if err != nil {
		return Group{}, fmt.Errorf("create group: %w", err)
	}
	var out wireGroup
	if err := json.Unmarshal(body, &out); err != nil {
		return Group{}, fmt.Errorf("create group: decode response: %w", err)
	}
	if out.ID == "" {
		return Group{}, fmt.Errorf("create group: response has no id")
	}
	return out.group(), nil
}

// ListGroups returns every group, reading pages of pageSize (1–100; other values mean 100)
// with Identity Center's cursor pagination (startIndex is not supported): the first request
// carries an empty cursor (`?cursor`, as the documentation writes it), each next one the
// nextCursor of the answer before, until an answer has none. A page may hold fewer groups than
// pageSize with more to come.
func (c *Client) ListGroups(ctx context.Context, pageSize int) ([]Group, error) {
	if pageSize < 1 || pageSize > maxPage {
		pageSize = maxPage
	}
	var out []Group
	seen := map[string]bool{}
	count := "count=" + strconv.Itoa(pageSize)
	for query, page := "cursor&"+count, 1; ; page++ {
		body, err := c.doRaw(ctx, "GET", "/Groups", query, nil)
		if err != nil {
			return nil, fmt.Errorf("list groups, page %d: %w", page, err)
		}
		l, err := parseList[wireGroup](body)
		if err != nil {
			return nil, fmt.Errorf("list groups, page %d: %w", page, err)
		}
		for _, g := range l.Resources {
			out = append(out, g.group())
		}
		if l.NextCursor == "" {
			return out, nil
		}
		if seen[l.NextCursor] {
			return nil, fmt.Errorf("list groups, page %d: the service repeated a cursor", page)
		}
		seen[l.NextCursor] = true
		query = url.Values{"cursor": {l.NextCursor}}.Encode() + "&" + count
	}
}
