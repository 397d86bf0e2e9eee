package logx

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// newStormLogger is a text logger without times at level behind a Storm
// that summarises state changes (by "to") and deliveries (by "event").
func newStormLogger(level slog.Level) (*slog.Logger, *Storm, *lines) {
	out := &lines{}
	text := slog.NewTextHandler(out, &slog.HandlerOptions{Level: level, ReplaceAttr: func(g []string, a slog.Attr) slog.Attr {
		if len(g) == 0 && a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}})
	s := NewStorm(text, StormOptions{Burst: 3, Kinds: []StormKind{
		{Message: "monitor state changed", Subject: "monitor", By: "to", Summary: "%s monitors went %s"},
		{Message: "notification sent", Subject: "monitor", By: "event", Summary: "%s notifications sent for %s"},
		{Message: "heartbeat missed", Subject: "heartbeat", Summary: "%s heartbeats missed"},
	}})
	return slog.New(s), s, out
}

// 2,417 monitors go down within a second: the log holds the first three
// lines and, when the window ends, one summary with the count and the first
// and last monitor; not 2,417 lines.
func TestStormSummarisesABurst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log, s, out := newStormLogger(slog.LevelInfo)
		defer s.Close()
		for i := range 2417 {
			log.Info("monitor state changed", "monitor", fmt.Sprintf("api-%04d", i), "from", "up", "to", "down", "reason", "connection refused")
			time.Sleep(400 * time.Microsecond)
		}
		time.Sleep(10 * time.Second)
		got := out.get()
		if len(got) != 4 {
			t.Fatalf("got %d lines, want 3 and a summary:\n%s", len(got), strings.Join(got, "\n"))
		}
		if !strings.Contains(got[0], "monitor=api-0000") || !strings.Contains(got[2], "monitor=api-0002") {
			t.Errorf("the first lines are not the first monitors:\n%s", strings.Join(got[:3], "\n"))
		}
		want := `level=INFO msg="2,417 monitors went down in the last 10s; first: api-0000" total=2417 written=3 first=api-0000 last=api-2416`
		if got[3] != want {
			t.Errorf("summary\n%s\nwant\n%s", got[3], want)
		}
	})
}

// Monitors that went down and monitors that came up are counted apart; a
// kind under its burst is written line by line and never summarised.
func TestStormCountsByValueAndLeavesQuietKindsAlone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log, s, out := newStormLogger(slog.LevelInfo)
		defer s.Close()
		for i := range 20 {
			log.Info("monitor state changed", "monitor", fmt.Sprintf("db-%d", i), "to", "down")
			log.Info("monitor state changed", "monitor", fmt.Sprintf("web-%d", i), "to", "up")
		}
		log.Info("heartbeat missed", "heartbeat", "nightly-export")
		log.Info("tocsin serving", "monitors", 40)
		time.Sleep(11 * time.Second)
		got := out.get()
		var summaries []string
		for _, l := range got {
			if strings.Contains(l, "total=") {
				summaries = append(summaries, l)
			}
		}
		if len(got) != 3+3+1+1+2 || len(summaries) != 2 {
			t.Fatalf("got %d lines (%d summaries), want 8 lines and 2 summaries:\n%s", len(got), len(summaries), strings.Join(got, "\n"))
		}
		joined := strings.Join(summaries, "\n")
		for _, w := range []string{`"20 monitors went down in the last 10s; first: db-0"`, `"20 monitors went up in the last 10s; first: web-0"`} {
			if !strings.Contains(joined, w) {
				t.Errorf("summaries lack %s:\n%s", w, joined)
			}
		}
		// The next window starts afresh: three lines written in full again.
		for i := range 5 {
			log.Info("monitor state changed", "monitor", fmt.Sprintf("db-%d", i), "to", "up")
		}
		s.Close()
		got = out.get()[len(got):]
		if len(got) != 4 || !strings.Contains(got[3], `"5 monitors went up`) {
			t.Errorf("after a quiet window got:\n%s\nwant 3 lines and the summary Close writes", strings.Join(got, "\n"))
		}
	})
}

// At debug level every record is written: debug keeps the detail.
func TestStormWritesEverythingAtDebug(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log, s, out := newStormLogger(slog.LevelDebug)
		for i := range 100 {
			log.Info("monitor state changed", "monitor", fmt.Sprint(i), "to", "down")
		}
		time.Sleep(time.Minute)
		s.Close()
		if got := out.get(); len(got) != 100 {
			t.Errorf("got %d lines at debug, want all 100", len(got))
		}
	})
}

// The subject and the group can be bound with With, as the dispatcher
// binds the monitor and event of a delivery; the summary does not carry
// the attributes of the last record's logger.
func TestStormReadsBoundAttributes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log, s, out := newStormLogger(slog.LevelInfo)
		for i := range 50 {
			log.With("notification", fmt.Sprintf("n-%d", i), "monitor", fmt.Sprintf("m-%d", i), "event", "monitor.down").
				Info("notification sent", "duration", time.Millisecond)
		}
		log.Warn("notification attempt failed; will retry", "monitor", "m-9")
		s.Close()
		got := out.get()
		if len(got) != 5 {
			t.Fatalf("got %d lines, want 3, the warning and a summary:\n%s", len(got), strings.Join(got, "\n"))
		}
		want := `level=INFO msg="50 notifications sent for monitor.down in the last 1s; first: m-0" total=50 written=3 first=m-0 last=m-49`
		if got[4] != want {
			t.Errorf("summary\n%s\nwant\n%s", got[4], want)
		}
	})
}

func TestCount(t *testing.T) {
	for n, want := range map[int]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 2417: "2,417", 1234567: "1,234,567", -4500: "-4,500"} {
		if got := Count(n); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
}
