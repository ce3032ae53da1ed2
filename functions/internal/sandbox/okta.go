package sandbox

import (
	"encoding/json"
	"fmt"
	"time"

	ssoflow "github.com/ssoflow/ssoflow/functions"
)

// Change is one Okta membership change, as an admin would make it.
type Change struct {
	Add       bool
	UserID    string
	Login     string
	GroupID   string
	GroupName string
	At        time.Time
	UUID      string
}

// HookDelivery returns the body Okta POSTs to an event hook for these changes, in the shape
// of Okta's documentation (and of shared/fixtures): the group and user targets in the order
// Okta uses for each event type.
func HookDelivery(changes []Change) []byte {
	type target struct {
		ID          string `json:"id"`
		Type        string `json:"type"`
		AlternateID string `json:"alternateId"`
		DisplayName string `json:"displayName"`
	}
	type event struct {
		UUID        string   `json:"uuid"`
		Published   string   `json:"published"`
		EventType   string   `json:"eventType"`
		Version     string   `json:"version"`
		DisplayMsg  string   `json:"displayMessage"`
		Severity    string   `json:"severity"`
		Outcome     any      `json:"outcome"`
		Target      []target `json:"target"`
		LegacyEvent string   `json:"legacyEventType"`
	}
	evs := make([]event, 0, len(changes))
	for _, c := range changes {
		user := target{ID: c.UserID, Type: "User", AlternateID: c.Login, DisplayName: c.Login}
		group := target{ID: c.GroupID, Type: "UserGroup", AlternateID: "unknown", DisplayName: c.GroupName}
		ev := event{UUID: c.UUID, Published: c.At.UTC().Format("2006-01-02T15:04:05.000Z"), Version: "0", Severity: "INFO",
			Outcome: map[string]any{"result": "SUCCESS", "reason": nil}}
		if c.Add {
			ev.EventType, ev.DisplayMsg, ev.LegacyEvent = ssoflow.OktaMembershipAdd, "Add user to group membership", "core.user_group_member.user_add"
			ev.Target = []target{group, user}
		} else {
			ev.EventType, ev.DisplayMsg, ev.LegacyEvent = ssoflow.OktaMembershipRemove, "Remove user from group membership", "core.user_group_member.user_remove"
			ev.Target = []target{user, group}
		}
		evs = append(evs, ev)
	}
	body, _ := json.Marshal(map[string]any{
		"eventType": "com.okta.event_hook", "eventTypeVersion": "1.0", "cloudEventsVersion": "0.1",
		"source":    "https://example.okta.com/api/v1/eventHooks/whoLocalSandbox0001",
		"eventId":   fmt.Sprintf("delivery-%d", len(changes)),
		"eventTime": time.Now().UTC().Format(time.RFC3339), "contentType": "application/json",
		"data": map[string]any{"events": evs},
	})
	return body
}
