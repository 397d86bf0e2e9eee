package logx

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// lines collects what a text handler writes; the summaries are written
// from timer goroutines. get waits for those to be done (the tests run in
// a synctest bubble).
type lines struct {
	mu  sync.Mutex
	buf []byte
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	return len(p), nil
}

// get returns what was written, one string per line.
func (l *lines) get() []string {
	synctest.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	s := strings.TrimSuffix(string(l.buf), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// newLogger is a text logger without times behind a Dedup of window w.
func newLogger(w time.Duration, maxKeys int) (*slog.Logger, *Dedup, *lines) {
	out := &lines{}
	text := slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: func(g []string, a slog.Attr) slog.Attr {
		if len(g) == 0 && a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}})
	d := NewDedup(text, Options{Window: w, MaxKeys: maxKeys})
	return slog.New(d), d, out
}

func wantLines(t *testing.T, out *lines, want ...string) {
	t.Helper()
	got := out.get()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("log lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A database outage logs the same error every 600µs for a minute: the log
// gets the first line and one summary with the count, not 100,000 lines.
func TestDedupCollapsesAFlood(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log, d, out := newLogger(time.Minute, 0)
		for i := range 100000 {
			log.Error("saving results", "results", i%50, "err", fmt.Errorf("dial tcp 10.0.0.5:5432: connection refused (attempt %d)", i))
			time.Sleep(600 * time.Microsecond)
		}
		// t = 60s: the window ends and its summary is written.
		wantLines(t, out,
			`level=ERROR msg="saving results" results=0 err="dial tcp 10.0.0.5:5432: connection refused (attempt 0)"`,
			`level=ERROR msg="saving results" results=49 err="dial tcp 10.0.0.5:5432: connection refused (attempt 99999)" repeated=99999 in_last=1m0s`)
		// A quiet window ends the tracking: the next one is written at once.
		time.Sleep(2 * time.Minute)
		log.Error("saving results", "results", 1, "err", errors.New("disk full"))
		d.Close()
		if got := out.get(); len(got) != 3 || !strings.Contains(got[2], `err="disk full"`) || strings.Contains(got[2], "repeated") {
			t.Errorf("after a quiet window got %q, want the new error written at once", got)
		}
	})
}

// The summary of a window is written when it ends, although no record
// follows, and Close writes the summaries of windows in progress.
func TestDedupFlushesAtWindowEndAndClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log, d, out := newLogger(time.Minute, 0)
		log.Warn("watchdog ping failed", "url", "http://wd/", "err", "timeout")
		log.Warn("watchdog ping failed", "url", "http://wd/", "err", "refused")
		time.Sleep(59 * time.Second)
		if n := len(out.get()); n != 1 {
			t.Fatalf("%d lines before the window ended, want 1", n)
		}
		time.Sleep(time.Second)
		wantLines(t, out,
			`level=WARN msg="watchdog ping failed" url=http://wd/ err=timeout`,
			`level=WARN msg="watchdog ping failed" url=http://wd/ err=refused repeated=1 in_last=1m0s`)

		// The next window: three repeats, then shutdown after 10s.
		for range 3 {
			log.Warn("watchdog ping failed", "url", "http://wd/", "err", "refused")
		}
		time.Sleep(10 * time.Second)
		d.Close()
		got := out.get()
		if len(got) != 3 || got[2] != `level=WARN msg="watchdog ping failed" url=http://wd/ err=refused repeated=3 in_last=10s` {
			t.Errorf("after Close: %q", got)
		}
		// Closed: records pass through, and nothing is left to flush.
		log.Warn("watchdog ping failed", "url", "http://wd/", "err", "refused")
		time.Sleep(2 * time.Minute)
		if n := len(out.get()); n != 4 {
			t.Errorf("%d lines after Close, want 4", n)
		}
	})
}

// Different messages, levels and sources are not merged; counts, errors
// and paths do not make a new source; info lines are never held back.
func TestDedupKeepsSourcesApart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log, d, out := newLogger(time.Minute, 0)
		for range 2 {
			log.Error("monitor cannot run", "monitor", "web", "err", "bad url")
			log.Error("monitor cannot run", "monitor", "db", "err", "bad dsn")
			log.Warn("monitor cannot run", "monitor", "web", "err", "bad url")
			log.Error("rolling up results", "err", "x")
			log.Error("request failed", "method", "GET", "path", "/api/v1/monitors/web", "status", 500, "err", "y")
			log.Error("request failed", "method", "GET", "path", "/api/v1/monitors/db", "status", 503, "err", "z")
			log.With("channel", "ops").Warn("notification attempt failed; will retry", "notification", "n1", "attempt", 1)
			log.With("channel", "sms").Warn("notification attempt failed; will retry", "notification", "n2", "attempt", 1)
			log.WithGroup("g").Error("grouped", "monitor", "web")
			log.Error("grouped", "monitor", "web")
			log.Info("monitor state changed", "monitor", "web", "to", "down")
		}
		d.Close()
		got := out.get()
		var written, summaries, info int
		for _, l := range got {
			switch {
			case strings.Contains(l, "repeated="):
				summaries++
			case strings.Contains(l, "level=INFO"):
				info++
			default:
				written++
			}
		}
		// 9 sources (the two "request failed" are one, the grouped ones
		// two), each written once and summarised once; both info lines.
		if written != 9 || summaries != 9 || info != 2 {
			t.Errorf("written %d, summaries %d, info %d; want 9, 9, 2:\n%s", written, summaries, info, strings.Join(got, "\n"))
		}
		if !strings.Contains(strings.Join(got, "\n"), `msg="request failed" method=GET path=/api/v1/monitors/db status=503 err=z repeated=3`) {
			t.Errorf("the request errors are not summarised as one source:\n%s", strings.Join(got, "\n"))
		}
	})
}

// Past MaxKeys sources, further ones are written as they come: memory
// stays bounded and nothing new is hidden.
func TestDedupBoundsTheSources(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log, d, out := newLogger(time.Minute, 3)
		for range 2 {
			for i := range 5 {
				log.Error("monitor cannot run", "monitor", fmt.Sprint("m", i))
			}
		}
		if n := len(d.st.entries); n != 3 {
			t.Errorf("%d sources tracked, want the cap of 3", n)
		}
		d.Close()
		got := out.get()
		// m0..m2: written once and summarised; m3, m4: written twice.
		if len(got) != 10 {
			t.Errorf("%d lines, want 10:\n%s", len(got), strings.Join(got, "\n"))
		}
	})
}
