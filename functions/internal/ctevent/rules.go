package ctevent

// A rule turns the parameters of one kind of call into a Change.
type rule func(c Change, p params) Change

// rules is keyed by "eventSource eventName". Calls that cannot change who is in a group, or
// who a user is, are absent: CreateUser (a new user is in no group yet), CreateGroup, reads.
var rules = map[string]rule{
	// The console.
	SourceConsole + " AddMemberToGroup":      consoleMembership,
	SourceConsole + " RemoveMemberFromGroup": consoleMembership,
	SourceConsole + " DeleteUser":            deletedUser(func(p params) string { return p.UserID }),
	SourceConsole + " DeleteGroup":           deletedGroup(func(p params) string { return p.GroupID }),
	SourceConsole + " UpdateUser":            changedUser(func(p params) string { return p.UserID }),

	// The identity store API.
	SourceAPI + " CreateGroupMembership": apiCreateMembership,
	SourceAPI + " DeleteGroupMembership": apiDeleteMembership,
	SourceAPI + " DeleteUser":            deletedUser(func(p params) string { return p.UserID }),
	SourceAPI + " DeleteGroup":           deletedGroup(func(p params) string { return p.GroupID }),
	SourceAPI + " UpdateUser":            changedUser(func(p params) string { return p.UserID }),

	// SCIM from the IdP: bodies are masked, the resource id is the request path's.
	SourceSCIM + " PatchGroup":  scimGroup,
	SourceSCIM + " PutGroup":    scimGroup,
	SourceSCIM + " DeleteGroup": deletedGroup(scimID(func(p params) string { return p.GroupID })),
	SourceSCIM + " DeleteUser":  deletedUser(scimID(func(p params) string { return p.UserID })),
	SourceSCIM + " PatchUser":   changedUser(scimID(func(p params) string { return p.UserID })),
	SourceSCIM + " PutUser":     changedUser(scimID(func(p params) string { return p.UserID })),
}

// scimID prefers the SCIM path id and falls back to a named parameter.
func scimID(named func(params) string) func(params) string {
	return func(p params) string {
		if p.ID != "" {
			return p.ID
		}
		return named(p)
	}
}

func consoleMembership(c Change, p params) Change {
	user := ""
	if p.Member != nil {
		user = p.Member.MemberID
	}
	return membership(c, user, p.GroupID)
}

func apiCreateMembership(c Change, p params) Change {
	return membership(c, p.apiMemberUserID(), p.GroupID)
}

// apiDeleteMembership: DeleteGroupMembership carries only the membership id, which no longer
// resolves once deleted, so unless a group id is present every mapped group is re-read.
func apiDeleteMembership(c Change, p params) Change {
	return membership(c, p.apiMemberUserID(), p.GroupID)
}

// membership makes the narrowest Change the identifiers present allow.
func membership(c Change, userID, groupID string) Change {
	c.UserID, c.GroupID = userID, groupID
	switch {
	case userID != "" && groupID != "":
		c.Kind = KindUserGroup
	case groupID != "":
		c.Kind = KindGroup
		c.Reason = "the event does not name the member: re-read the group"
	case userID != "":
		c.Kind = KindUser
		c.Reason = "the event does not name the group: re-read the user"
	default:
		c.Kind = KindAllGroups
		c.Reason = "the event names neither user nor group: re-read every mapped group"
	}
	return c
}

func scimGroup(c Change, p params) Change {
	id := scimID(func(p params) string { return p.GroupID })(p)
	if id == "" {
		c.Kind = KindAllGroups
		c.Reason = "the SCIM event does not name the group: re-read every mapped group"
		return c
	}
	c.Kind, c.GroupID = KindGroup, id
	return c
}

func deletedUser(id func(params) string) rule {
	return func(c Change, p params) Change {
		c.UserID = id(p)
		if c.UserID == "" {
			c.Kind = KindAllGroups
			c.Reason = "a user was deleted but the event does not name it: re-read every mapped group"
			return c
		}
		c.Kind, c.Deleted = KindUser, true
		return c
	}
}

func changedUser(id func(params) string) rule {
	return func(c Change, p params) Change {
		c.UserID = id(p)
		if c.UserID == "" {
			return ignore(c, "the event does not name the user")
		}
		c.Kind = KindUser
		return c
	}
}

func deletedGroup(id func(params) string) rule {
	return func(c Change, p params) Change {
		c.GroupID = id(p)
		if c.GroupID == "" {
			c.Kind = KindAllGroups
			c.Reason = "a group was deleted but the event does not name it: re-read every mapped group"
			return c
		}
		c.Kind, c.Deleted = KindGroup, true
		return c
	}
}
