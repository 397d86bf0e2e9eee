package email

import (
	"fmt"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/notify"
)

// digestBody is the body of a digest: the summary, one line per monitor
// event with its time, and the notification id.
func digestBody(e notify.Event, loc *time.Location) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s.\n\n", e.Reason)
	for _, ev := range e.Digest.Events {
		fmt.Fprintf(&b, "%s  %s: %s", FormatTime(ev.Time, loc), notify.Label(ev), nameAndID(ev.MonitorName, ev.MonitorID))
		if r := firstLine(ev.Reason); r != "" {
			b.WriteString(" — ")
			b.WriteString(notify.Truncate(r, 120))
		}
		b.WriteString("\n")
		if ev.URL != "" {
			fmt.Fprintf(&b, "  %s\n", ev.URL)
		}
	}
	if e.Digest.More > 0 {
		fmt.Fprintf(&b, "and %d more\n", e.Digest.More)
	}
	fmt.Fprintf(&b, "\n-- \nSent by Tocsin. Notification id %s.\n", e.ID)
	return b.String()
}
