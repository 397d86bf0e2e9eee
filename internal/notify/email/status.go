package email

import (
	"fmt"
	"strings"

	mail "github.com/wneessen/go-mail"

	"github.com/tocsin/tocsin/internal/notify"
)

// statusSubject is the subject of a mail to a status page subscriber.
func statusSubject(e notify.Event) string {
	p := e.Public
	if e.Event == notify.EventStatusConfirm {
		return "Confirm your subscription to " + p.Page
	}
	s := "[" + p.Page + "] " + statusWord(p.Status)
	if p.Affected != "" {
		s += ": " + firstLine(p.Affected)
	}
	return s
}

// statusBody is the text of a mail to a status page subscriber: only the
// public fields of the event.
func statusBody(e notify.Event) string {
	p := e.Public
	var b strings.Builder
	if e.Event == notify.EventStatusConfirm {
		fmt.Fprintf(&b, "Someone, probably you, asked for the incident updates of %s at this address.\n\n", p.Page)
		fmt.Fprintf(&b, "To confirm, open this link:\n\n  %s\n\n", p.ConfirmURL)
		b.WriteString("If you did not ask for them, ignore this mail: nothing will be sent without a confirmation.\n")
		fmt.Fprintf(&b, "\n-- \n%s\n", p.PageURL)
		return b.String()
	}
	if p.Affected != "" {
		fmt.Fprintf(&b, "%s\n\n", firstLine(p.Affected))
	}
	fmt.Fprintf(&b, "%s — %s\n\n", statusWord(p.Status), FormatTime(p.Time, nil))
	b.WriteString(strings.TrimSpace(p.Message))
	fmt.Fprintf(&b, "\n\nCurrent status: %s\n", p.PageURL)
	if p.UnsubscribeURL != "" {
		fmt.Fprintf(&b, "\n-- \nYou get this mail because you subscribed to %s.\nUnsubscribe: %s\n", p.Page, p.UnsubscribeURL)
	}
	return b.String()
}

// statusHeaders marks a subscriber's mail as list mail with a one-click
// unsubscribe (RFC 2369, RFC 8058).
func statusHeaders(m *mail.Msg, e notify.Event) {
	if e.Public.UnsubscribeURL == "" {
		return
	}
	m.SetGenHeader("List-Unsubscribe", "<"+e.Public.UnsubscribeURL+">")
	m.SetGenHeader("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
}

func statusWord(s string) string {
	if s == "" {
		return "Update"
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
