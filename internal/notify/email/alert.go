package email

import (
	"fmt"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/notify"
)

// alertSubject is the subject of a paged alert's mail, such as
// "[Tocsin] ALERT OPENED: Shop (shop) — 3 monitors down".
func alertSubject(e notify.Event) string {
	what := map[string]string{
		notify.EventAlertOpened:       "ALERT OPENED",
		notify.EventAlertEscalated:    "ALERT ESCALATED",
		notify.EventAlertUpdated:      "ALERT UPDATED",
		notify.EventAlertAcknowledged: "ALERT ACKNOWLEDGED",
		notify.EventAlertResolved:     "ALERT RESOLVED",
	}[e.Event]
	if what == "" {
		what = label(e)
	}
	subject := "[Tocsin] " + what + ": " + alertSubjectName(e)
	if e.Event != notify.EventAlertResolved {
		subject += " — " + downCount(e)
	}
	return subject
}

func alertSubjectName(e notify.Event) string {
	if e.ServiceID == "" {
		return nameAndID(e.MonitorName, e.MonitorID)
	}
	return nameAndID(e.ServiceName, e.ServiceID)
}

func downCount(e notify.Event) string {
	n := 0
	for _, m := range e.Monitors {
		if m.Status == "down" {
			n++
		}
	}
	if n == 1 {
		return "1 monitor down"
	}
	return fmt.Sprintf("%d monitors down", n)
}

// alertBody is the plain-text body of a paged alert's mail: what happened
// in words, the one-click acknowledgement link, the runbook, the owners
// and every monitor of the alert.
func alertBody(e notify.Event, loc *time.Location) string {
	var b strings.Builder
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%-12s %s\n", k+":", v)
		}
	}
	name := alertSubjectName(e)
	switch e.Event {
	case notify.EventAlertOpened:
		fmt.Fprintf(&b, "%s is failing: %s. You are paged (step %d, for %s).\n\n", name, downCount(e), e.EscalationStep, e.Recipient)
	case notify.EventAlertEscalated:
		fmt.Fprintf(&b, "%s is still failing and nobody has acknowledged it: %s. The alert escalated to step %d, for %s.\n\n", name, downCount(e), e.EscalationStep, e.Recipient)
	case notify.EventAlertUpdated:
		fmt.Fprintf(&b, "More of %s is failing: %s.\n\n", name, downCount(e))
	case notify.EventAlertAcknowledged:
		fmt.Fprintf(&b, "The alert of %s was acknowledged by %s. Escalation has stopped.\n\n", name, e.By)
	case notify.EventAlertResolved:
		fmt.Fprintf(&b, "The alert of %s is resolved (by %s).\n\n", name, e.By)
	default:
		fmt.Fprintf(&b, "%s: %s.\n\n", name, e.Event)
	}
	if e.AckURL != "" {
		b.WriteString("Acknowledge (one click, then confirm; the link works once and expires):\n  ")
		b.WriteString(e.AckURL)
		b.WriteString("\n\n")
	}
	line("Alert", fmt.Sprint(e.AlertID))
	line("Service", nameAndID(e.ServiceName, e.ServiceID))
	line("Runbook", e.Runbook)
	for i, o := range e.Owners {
		if i == 0 {
			line("Owners", owner(o))
		} else {
			fmt.Fprintf(&b, "%-12s %s\n", "", owner(o))
		}
	}
	line("Event", e.Event)
	line("Time", FormatTime(e.Time, loc))
	line("Link", e.URL)
	if len(e.Monitors) > 0 {
		b.WriteString("\nMonitors:\n")
		for _, m := range e.Monitors {
			fmt.Fprintf(&b, "  - %s: %s", nameAndID(m.Name, m.ID), m.Status)
			if r := firstLine(m.Reason); r != "" && m.Status == "down" {
				b.WriteString(" — " + r)
			}
			if m.ImpactedBy != "" {
				b.WriteString(" (impacted by " + m.ImpactedBy + ")")
			}
			b.WriteString("\n")
		}
	}
	fmt.Fprintf(&b, "\n-- \nSent by Tocsin. Notification id %s.\n", e.ID)
	return b.String()
}
