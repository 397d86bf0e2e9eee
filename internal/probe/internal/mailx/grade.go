package mailx

import (
	"fmt"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/text"
)

// MailboxGrade checks a mailbox's message count and the ages of its newest
// and oldest message against e, adding the metrics to res. Zero times mean
// the mailbox is empty. It returns the worst status and a summary.
func MailboxGrade(e MailboxExpect, name string, count int, newest, oldest, now time.Time, res *probe.Result) (probe.Status, string) {
	res.Metrics = append(res.Metrics, probe.Metric{Name: "messages", Value: float64(count), Min: "0", Warn: "", Crit: countRange(e)})
	summary := fmt.Sprintf("%s holds %s", name, text.Plural(count, "message"))
	if !newest.IsZero() {
		na, oa := max(now.Sub(newest), 0), max(now.Sub(oldest), 0)
		res.Metrics = append(res.Metrics,
			probe.Metric{Name: "newest_age", Value: na.Seconds(), Unit: "s", Min: "0", Crit: secs(e.NewestMaxAge)},
			probe.Metric{Name: "oldest_age", Value: oa.Seconds(), Unit: "s", Min: "0", Crit: secs(e.OldestMaxAge)})
		summary += fmt.Sprintf(", newest %s old, oldest %s old", Age(na), Age(oa))
	}
	switch {
	case e.MinMessages > 0 && count < e.MinMessages:
		return probe.Critical, fmt.Sprintf("%s, expected at least %d", summary, e.MinMessages)
	case e.MaxMessages > 0 && count > e.MaxMessages:
		return probe.Critical, fmt.Sprintf("%s, expected at most %d (is anyone reading it?)", summary, e.MaxMessages)
	case e.NewestMaxAge > 0 && (newest.IsZero() || now.Sub(newest) > e.NewestMaxAge.D()):
		return probe.Critical, fmt.Sprintf("%s; no message newer than %s", summary, e.NewestMaxAge)
	case e.OldestMaxAge > 0 && !oldest.IsZero() && now.Sub(oldest) > e.OldestMaxAge.D():
		return probe.Critical, fmt.Sprintf("%s; the oldest is older than %s (is anyone reading it?)", summary, e.OldestMaxAge)
	}
	return probe.OK, summary
}

func countRange(e MailboxExpect) string {
	switch {
	case e.MinMessages > 0 && e.MaxMessages > 0:
		return fmt.Sprintf("%d:%d", e.MinMessages, e.MaxMessages)
	case e.MinMessages > 0:
		return fmt.Sprintf("%d:", e.MinMessages)
	case e.MaxMessages > 0:
		return fmt.Sprintf("%d", e.MaxMessages)
	}
	return ""
}

func secs(d config.Duration) string {
	if d <= 0 {
		return ""
	}
	return fmt.Sprintf("%g", d.D().Seconds())
}

// Age renders an age coarsely: "45s", "3m", "5h", "12d".
func Age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	default:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	}
}
