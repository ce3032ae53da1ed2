package grant

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/ssoflow/ssoflow/functions/internal/notify"
)

// Sent is an announcing step's output.
type Sent struct {
	MessageID string `json:"messageId"`
	Subject   string `json:"subject"`
}

// until formats an end time for people: "14:00 UTC", with the date when it is not today.
func until(end string, now time.Time) string {
	t, err := time.Parse(time.RFC3339, end)
	if err != nil {
		return end
	}
	t = t.UTC()
	if t.Format("2006-01-02") == now.UTC().Format("2006-01-02") {
		return t.Format("15:04 UTC")
	}
	return t.Format("2006-01-02 15:04 UTC")
}

func has(r Request) string {
	if r.Kind == KindMembership {
		return "is in group " + r.Group
	}
	return "has " + r.PermissionSet + " on " + r.AccountID
}

// GrantedSubject is the announcement of a grant in place:
// "ssoflow: jane@example.com has ReadOnly on 111122223333 until 14:00 UTC". The reason is in
// the message, not here: with the date of a grant that ends tomorrow it would take the subject
// past SNS's 100 characters, and a subject cut in the middle of the reason reads as a mistake.
func GrantedSubject(r Request, now time.Time) string {
	return fmt.Sprintf("ssoflow: %s %s until %s", r.User, has(r), until(r.End, now))
}

// EndedSubject announces the end of a grant, and whether its access was removed or kept.
func EndedSubject(st State) string {
	r := st.Request
	how := "ended"
	if r.Mode == ModeRevoke {
		how = "revoked"
	}
	if st.Others != nil && st.Others.Needed {
		why := "it was in place before the grant"
		if len(st.Others.By) > 0 {
			why = "another grant needs it"
		}
		return fmt.Sprintf("ssoflow: %s keeps %s (%s)", r.User, r.What(), why)
	}
	if r.Kind == KindMembership {
		return fmt.Sprintf("ssoflow: %s is no longer in group %s (grant %s %s)", r.User, r.Group, r.GrantID, how)
	}
	return fmt.Sprintf("ssoflow: %s no longer has %s on %s (grant %s %s)", r.User, r.PermissionSet, r.AccountID, r.GrantID, how)
}

func (s *Service) publish(ctx context.Context, subject, body string) (*Sent, error) {
	subj := notify.Subject(subject)
	out, err := s.SNS.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(s.TopicArn), Subject: aws.String(subj), Message: aws.String(body)})
	if err != nil {
		return nil, fmt.Errorf("publish %q: %w", subj, err)
	}
	s.Log.InfoContext(ctx, "published", "subject", subj, "messageId", aws.ToString(out.MessageId))
	return &Sent{MessageID: aws.ToString(out.MessageId), Subject: subj}, nil
}

// Announce tells people the access is in place; it runs only after Identity Center reported
// SUCCEEDED (or the membership was added).
func (s *Service) Announce(ctx context.Context, ev Event) (*Sent, error) {
	r := ev.State.Request
	subject := GrantedSubject(r, s.now())
	var b strings.Builder
	fmt.Fprintf(&b, "%s.\n\n", strings.TrimPrefix(subject, "ssoflow: "))
	fmt.Fprintf(&b, "Grant     %s\nUser      %s\nAccess    %s\nUntil     %s\nReason    %s\n", r.GrantID, r.User, r.What(), r.End, r.Reason)
	if r.RequestedBy != "" {
		fmt.Fprintf(&b, "Requested %s\n", r.RequestedBy)
	}
	if ev.State.Op != nil && ev.State.Op.Preexisting {
		b.WriteString("\nThe access was already in place before this grant; it will stay when the grant ends.\n")
	}
	fmt.Fprintf(&b, "\nssoflow removes the access at the end, unless another active grant needs it.\nTo end it now:\n  ssoflow revoke %s\n", r.GrantID)
	return s.publish(ctx, subject, b.String())
}

// AnnounceEnd tells people the grant ended, and what happened to the access.
func (s *Service) AnnounceEnd(ctx context.Context, ev Event) (*Sent, error) {
	subject := EndedSubject(ev.State)
	body := strings.TrimPrefix(subject, "ssoflow: ") + ".\n"
	if o := ev.State.Others; o != nil && o.Needed {
		how := "ended"
		if ev.State.Mode == ModeRevoke {
			how = "was revoked"
		}
		body = fmt.Sprintf("Grant %s %s. %s keeps %s", ev.State.GrantID, how, ev.State.User, ev.State.What())
		if len(o.By) > 0 {
			body += " because grant " + strings.Join(o.By, ", ") + " still needs it"
		}
		if o.Preexisting {
			body += " because it was in place before the grant"
		}
		body += ".\n"
	}
	if r := ev.State.Request; r.Mode == ModeRevoke && r.RequestedBy != "" {
		body += "\nRevoked by " + r.RequestedBy + ".\n"
	}
	return s.publish(ctx, subject, body)
}
