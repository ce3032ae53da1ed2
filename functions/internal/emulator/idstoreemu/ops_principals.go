package idstoreemu

import (
	"encoding/json"
	"strings"
)

// Operations on users and groups. Every method is called with s.mu held.

type userOut struct {
	IdentityStoreId string
	UserId          string
	UserName        string  `json:",omitempty"`
	DisplayName     string  `json:",omitempty"`
	Emails          []Email `json:",omitempty"`
	Name            *Name   `json:",omitempty"`
}

type groupOut struct {
	IdentityStoreId string
	GroupId         string
	DisplayName     string `json:",omitempty"`
}

func (s *Server) userOut(u *user) userOut {
	return userOut{
		IdentityStoreId: s.storeID, UserId: u.ID, UserName: u.UserName,
		DisplayName: u.DisplayName, Emails: u.Emails, Name: u.Name,
	}
}

func (s *Server) groupOut(g *group) groupOut {
	return groupOut{IdentityStoreId: s.storeID, GroupId: g.ID, DisplayName: g.DisplayName}
}

func (s *Server) describeUser(body []byte) (any, *apiError) {
	var in struct{ UserId string }
	if e := s.decode(body, &in); e != nil {
		return nil, e
	}
	u, ok := s.users[in.UserId]
	if !ok {
		return nil, notFound("USER", in.UserId)
	}
	return s.userOut(u), nil
}

func (s *Server) describeGroup(body []byte) (any, *apiError) {
	var in struct{ GroupId string }
	if e := s.decode(body, &in); e != nil {
		return nil, e
	}
	g, ok := s.groups[in.GroupId]
	if !ok {
		return nil, notFound("GROUP", in.GroupId)
	}
	return s.groupOut(g), nil
}

// alternateIdentifier is the AlternateIdentifier union; only UniqueAttribute is emulated.
type alternateIdentifier struct {
	UniqueAttribute *struct {
		AttributePath  string
		AttributeValue json.RawMessage
	}
	ExternalId *struct{ Issuer, Id string }
}

// uniqueAttribute returns the attribute path and its string value.
func (a alternateIdentifier) uniqueAttribute() (string, string, *apiError) {
	if a.UniqueAttribute == nil {
		return "", "", validation("only AlternateIdentifier.UniqueAttribute is supported")
	}
	var v string
	if err := json.Unmarshal(a.UniqueAttribute.AttributeValue, &v); err != nil {
		return "", "", validation("AttributeValue must be a string")
	}
	return a.UniqueAttribute.AttributePath, v, nil
}

func (s *Server) getUserID(body []byte) (any, *apiError) {
	var in struct{ AlternateIdentifier alternateIdentifier }
	if e := s.decode(body, &in); e != nil {
		return nil, e
	}
	path, value, e := in.AlternateIdentifier.uniqueAttribute()
	if e != nil {
		return nil, e
	}
	if !strings.EqualFold(path, "userName") {
		return nil, validation("unsupported AttributePath %q for users", path)
	}
	for _, u := range s.users {
		if strings.EqualFold(u.UserName, value) {
			return map[string]string{"IdentityStoreId": s.storeID, "UserId": u.ID}, nil
		}
	}
	return nil, notFound("USER", value)
}

func (s *Server) getGroupID(body []byte) (any, *apiError) {
	var in struct{ AlternateIdentifier alternateIdentifier }
	if e := s.decode(body, &in); e != nil {
		return nil, e
	}
	path, value, e := in.AlternateIdentifier.uniqueAttribute()
	if e != nil {
		return nil, e
	}
	if !strings.EqualFold(path, "displayName") {
		return nil, validation("unsupported AttributePath %q for groups", path)
	}
	for _, g := range s.groups {
		if g.DisplayName == value {
			return map[string]string{"IdentityStoreId": s.storeID, "GroupId": g.ID}, nil
		}
	}
	return nil, notFound("GROUP", value)
}

type listIn struct {
	MaxResults *int32
	NextToken  *string
	Filters    []struct{ AttributePath, AttributeValue string }
}

// filter returns the single equality filter of a listing, if any.
func (in listIn) filter(allowed string) (string, bool, *apiError) {
	switch len(in.Filters) {
	case 0:
		return "", false, nil
	case 1:
		f := in.Filters[0]
		if !strings.EqualFold(f.AttributePath, allowed) {
			return "", false, validation("filtering on %q is not supported", f.AttributePath)
		}
		return f.AttributeValue, true, nil
	default:
		return "", false, validation("at most one filter is supported")
	}
}

// listPage answers one page of a ListUsers or ListGroups request: items whose attr (the one
// filter path op supports) equals the filter's value, or all of them, converted by out.
func listPage[T, O any](s *Server, body []byte, op, attr string, items map[string]T, value func(T) string, out func(T) O) ([]O, string, *apiError) {
	var in listIn
	if e := s.decode(body, &in); e != nil {
		return nil, "", e
	}
	want, filtered, e := in.filter(attr)
	if e != nil {
		return nil, "", e
	}
	var keys []string
	for id, it := range items {
		if !filtered || value(it) == want {
			keys = append(keys, id)
		}
	}
	ids, next, e := page(keys, op, want, in.MaxResults, in.NextToken)
	if e != nil {
		return nil, "", e
	}
	list := make([]O, 0, len(ids))
	for _, id := range ids {
		list = append(list, out(items[id]))
	}
	return list, next, nil
}

func (s *Server) listUsers(body []byte) (any, *apiError) {
	users, next, e := listPage(s, body, "ListUsers", "UserName", s.users, func(u *user) string { return u.UserName }, s.userOut)
	if e != nil {
		return nil, e
	}
	return struct {
		Users     []userOut
		NextToken string `json:",omitempty"`
	}{users, next}, nil
}

func (s *Server) listGroups(body []byte) (any, *apiError) {
	groups, next, e := listPage(s, body, "ListGroups", "DisplayName", s.groups, func(g *group) string { return g.DisplayName }, s.groupOut)
	if e != nil {
		return nil, e
	}
	return struct {
		Groups    []groupOut
		NextToken string `json:",omitempty"`
	}{groups, next}, nil
}

func (s *Server) createUser(body []byte) (any, *apiError) {
	var in struct {
		UserName, DisplayName string
		Emails                []Email
		Name                  *Name
	}
	if e := s.decode(body, &in); e != nil {
		return nil, e
	}
	u, e := s.addUser(in.UserName, in.DisplayName, in.Emails, in.Name)
	if e != nil {
		return nil, e
	}
	return map[string]string{"IdentityStoreId": s.storeID, "UserId": u.ID}, nil
}

func (s *Server) createGroup(body []byte) (any, *apiError) {
	var in struct{ DisplayName string }
	if e := s.decode(body, &in); e != nil {
		return nil, e
	}
	g, e := s.addGroup(in.DisplayName)
	if e != nil {
		return nil, e
	}
	return map[string]string{"IdentityStoreId": s.storeID, "GroupId": g.ID}, nil
}

func (s *Server) deleteUser(body []byte) (any, *apiError) {
	var in struct{ UserId string }
	if e := s.decode(body, &in); e != nil {
		return nil, e
	}
	if !s.removeUser(in.UserId) {
		return nil, notFound("USER", in.UserId)
	}
	return struct{}{}, nil
}
