package idstoreemu

// Operations on group memberships. Every method is called with s.mu held.

const maxGroupIDs = 100

// memberID is the MemberId union; the identity store only has user members.
type memberID struct {
	UserId string `json:",omitempty"`
}

type membershipOut struct {
	IdentityStoreId string
	MembershipId    string
	GroupId         string
	MemberId        memberID
}

func (s *Server) membershipOut(m *membership) membershipOut {
	return membershipOut{
		IdentityStoreId: s.storeID, MembershipId: m.ID, GroupId: m.GroupID,
		MemberId: memberID{UserId: m.UserID},
	}
}

func (s *Server) findMembership(groupID, userID string) *membership {
	return s.pairs[groupID+"/"+userID]
}

func (s *Server) listGroupMemberships(body []byte) (any, *apiError) {
	var in struct {
		GroupId    string
		MaxResults *int32
		NextToken  *string
	}
	if e := s.decode(body, &in); e != nil {
		return nil, e
	}
	if _, ok := s.groups[in.GroupId]; !ok {
		return nil, notFound("GROUP", in.GroupId)
	}
	var keys []string
	for id, m := range s.memberships {
		if m.GroupID == in.GroupId {
			keys = append(keys, id)
		}
	}
	return s.membershipPage(keys, "ListGroupMemberships", in.GroupId, in.MaxResults, in.NextToken)
}

func (s *Server) listGroupMembershipsForMember(body []byte) (any, *apiError) {
	var in struct {
		MemberId   memberID
		MaxResults *int32
		NextToken  *string
	}
	if e := s.decode(body, &in); e != nil {
		return nil, e
	}
	if in.MemberId.UserId == "" {
		return nil, validation("MemberId.UserId is required")
	}
	if _, ok := s.users[in.MemberId.UserId]; !ok {
		return nil, notFound("USER", in.MemberId.UserId)
	}
	var keys []string
	for id, m := range s.memberships {
		if m.UserID == in.MemberId.UserId {
			keys = append(keys, id)
		}
	}
	return s.membershipPage(keys, "ListGroupMembershipsForMember", in.MemberId.UserId, in.MaxResults, in.NextToken)
}

func (s *Server) membershipPage(keys []string, op, scope string, maxResults *int32, token *string) (any, *apiError) {
	ids, next, e := page(keys, op, scope, maxResults, token)
	if e != nil {
		return nil, e
	}
	out := struct {
		GroupMemberships []membershipOut
		NextToken        string `json:",omitempty"`
	}{GroupMemberships: []membershipOut{}, NextToken: next}
	for _, id := range ids {
		out.GroupMemberships = append(out.GroupMemberships, s.membershipOut(s.memberships[id]))
	}
	return out, nil
}

func (s *Server) isMemberInGroups(body []byte) (any, *apiError) {
	var in struct {
		MemberId memberID
		GroupIds []string
	}
	if e := s.decode(body, &in); e != nil {
		return nil, e
	}
	if len(in.GroupIds) < 1 || len(in.GroupIds) > maxGroupIDs {
		return nil, validation("GroupIds must contain between 1 and %d items, got %d", maxGroupIDs, len(in.GroupIds))
	}
	if _, ok := s.users[in.MemberId.UserId]; !ok {
		return nil, notFound("USER", in.MemberId.UserId)
	}
	type result struct {
		GroupId          string
		MemberId         memberID
		MembershipExists bool
	}
	out := struct{ Results []result }{Results: []result{}}
	for _, g := range in.GroupIds {
		out.Results = append(out.Results, result{
			GroupId: g, MemberId: in.MemberId,
			MembershipExists: s.findMembership(g, in.MemberId.UserId) != nil,
		})
	}
	return out, nil
}

func (s *Server) getGroupMembershipID(body []byte) (any, *apiError) {
	var in struct {
		GroupId  string
		MemberId memberID
	}
	if e := s.decode(body, &in); e != nil {
		return nil, e
	}
	m := s.findMembership(in.GroupId, in.MemberId.UserId)
	if m == nil {
		return nil, notFound("GROUP_MEMBERSHIP", in.GroupId+"/"+in.MemberId.UserId)
	}
	return map[string]string{"IdentityStoreId": s.storeID, "MembershipId": m.ID}, nil
}

func (s *Server) createGroupMembership(body []byte) (any, *apiError) {
	var in struct {
		GroupId  string
		MemberId memberID
	}
	if e := s.decode(body, &in); e != nil {
		return nil, e
	}
	m, e := s.addMember(in.GroupId, in.MemberId.UserId)
	if e != nil {
		return nil, e
	}
	return map[string]string{"IdentityStoreId": s.storeID, "MembershipId": m.ID}, nil
}

func (s *Server) deleteGroupMembership(body []byte) (any, *apiError) {
	var in struct{ MembershipId string }
	if e := s.decode(body, &in); e != nil {
		return nil, e
	}
	m, ok := s.memberships[in.MembershipId]
	if !ok {
		return nil, notFound("GROUP_MEMBERSHIP", in.MembershipId)
	}
	s.unlink(m)
	s.mirrorMembers(m.GroupID, nil, []string{m.UserID})
	return struct{}{}, nil
}
