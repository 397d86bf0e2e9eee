package importer

import (
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
)

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * time.Second: "30s", 90 * time.Minute: "1h30m", 48 * time.Hour: "2d", 1500 * time.Millisecond: "1.5s", 0: "0",
		25 * time.Hour: "25h", 61 * time.Second: "1m1s",
	} {
		if got := Duration(d).String(); got != want {
			t.Errorf("%v: %q, want %q", d, got, want)
		}
	}
}

func TestIDs(t *testing.T) {
	var ids IDs
	got := []string{ids.Make("Shop front", ""), ids.Make("shop-front", ""), ids.Make("!!!", "Monitor 7"), ids.Make("", ""),
		ids.Make(strings.Repeat("long name ", 20), "")}
	want := []string{"shop-front", "shop-front-2", "monitor-7", "item"}
	for i, w := range want {
		if got[i] != w {
			t.Errorf("id %d = %q, want %q", i, got[i], w)
		}
	}
	if l := got[4]; len(l) > 63 || strings.HasSuffix(l, "-") {
		t.Errorf("long id %q", l)
	}
	p := IDs{Prefix: "kuma-"}
	if id := p.Make("API", ""); id != "kuma-api" {
		t.Errorf("prefixed id %q", id)
	}
	if got := Tag("team shop", "eu, west"); got != "team-shop=eu--west" {
		t.Errorf("Tag: %q", got)
	}
}

// TestLiteral: a value escaped by Literal reads back as it was through
// Tocsin's ${NAME} expansion.
func TestLiteral(t *testing.T) {
	for _, s := range []string{"pa$$word", "${HOME}", "cost: 5$", "$", "a$b$$c${", "plain"} {
		doc := "services:\n  - id: a\n    name: '" + Literal(s) + "'\n"
		cfg, err := config.Parse([]byte(doc), "t.yaml", nil)
		if err != nil {
			t.Errorf("%q: %v", s, err)
			continue
		}
		if got := cfg.Services[0].Name; got != s {
			t.Errorf("Literal(%q) reads back as %q", s, got)
		}
	}
}

// TestSettle: an entry Tocsin refuses is dropped with a note naming its
// source, references to it go, and the rest is written.
func TestSettle(t *testing.T) {
	f := &Fragment{
		Source:   "test",
		Channels: []Channel{{ID: "bad", Type: "webhook", Block: &WebhookBlock{URL: "ftp://x"}, Comment: "source channel bad"}},
		Services: []Service{{ID: "svc", Channels: []string{"bad"}}},
		Monitors: []Monitor{
			{ID: "ok", Type: "tcp", Service: "svc", Channels: []string{"bad"}, Block: &TCPBlock{Address: "h:1"}},
			{ID: "broken", Type: "tcp", Block: &TCPBlock{Address: "no port"}, Comment: "source monitor broken\nmore"},
		},
		Maintenance: []Maintenance{{ID: "w", Reason: "r", Match: Match{Monitors: []string{"broken"}}, Cron: "0 1 * * *", Duration: Duration(time.Hour), Comment: "source window"}},
	}
	var notes Notes
	validate := func(b []byte) error {
		var errs config.Errors
		if strings.Contains(string(b), "ftp://") {
			errs = append(errs, config.Error{Path: "channels[0].webhook.url", Message: "URL scheme \"ftp\" is not supported"})
		}
		if strings.Contains(string(b), "no port") {
			errs = append(errs, config.Error{Path: "monitors[1].tcp.address", Message: "missing port"})
		}
		if len(errs) > 0 {
			return errs
		}
		return nil
	}
	doc, err := Settle(f, &notes, validate)
	if err != nil {
		t.Fatal(err)
	}
	s := string(doc)
	if strings.Contains(s, "bad") || strings.Contains(s, "broken") || !strings.Contains(s, "id: ok") {
		t.Errorf("file:\n%s", s)
	}
	text := ""
	for _, n := range notes {
		text += n.String() + "\n"
	}
	for _, want := range []string{
		`source channel bad: not mapped: Tocsin refuses it as "bad": webhook.url: URL scheme "ftp" is not supported`,
		`source monitor broken: not mapped: Tocsin refuses it as "broken": tcp.address: missing port`,
		"source window: not mapped: nothing it covered was imported",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("notes lack %q:\n%s", want, text)
		}
	}
	// An error outside any entry fails the import.
	_, err = Settle(&Fragment{}, &notes, func([]byte) error { return config.Errors{{Message: "config is empty"}} })
	if err == nil {
		t.Error("a file-wide error was not reported")
	}
}

// TestProgress: a line every Every items, or when Interval has passed
// since the last one, whichever comes first.
func TestProgress(t *testing.T) {
	var b strings.Builder
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := &Progress{W: &b, What: "rows", Every: 3, Interval: time.Second, Now: func() time.Time { return now }}
	for range 7 {
		p.Tick()
	}
	now = now.Add(1500 * time.Millisecond)
	p.Tick()
	want := "tocsin import: 3 rows read\ntocsin import: 6 rows read\ntocsin import: 8 rows read\n"
	if b.String() != want {
		t.Errorf("progress:\n%s\nwant\n%s", b.String(), want)
	}
	var nilP *Progress
	nilP.Tick()
}
