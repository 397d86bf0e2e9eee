package ui_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/mailloop"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

// TestMailLoopPage shows the mail loop card (counts of the last run and the
// latency chart from stored results) and the last run's metrics, and no
// password anywhere on the page or in the API.
func TestMailLoopPage(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	now := e.Clock.Now()
	last := probe.Result{MonitorID: "loop", Time: now.Add(-time.Minute), Status: probe.Critical,
		Reason: "mail sent 11:59:00 via smtp.example.org:587 not found in INBOX after 10m (max_delivery 10m0s)",
		Metrics: []probe.Metric{{Name: "sent", Value: 1}, {Name: "received", Value: 0}, {Name: "pending", Value: 1},
			{Name: "lost", Value: 3, Crit: "0"}}}
	e.RT.Views = append(e.RT.Views, web.MonitorView{
		Config: config.Monitor{ID: "loop", Name: "Mail loop", Type: "mailloop", Interval: config.Duration(5 * time.Minute),
			Timeout: config.Duration(time.Minute), FailureThreshold: 1, SuccessThreshold: 1,
			Block: &mailloop.Check{Mode: mailloop.RoundTrip, From: "a@example.org", To: "b@example.org",
				SMTP: &mailloop.SMTP{Address: "smtp.example.org:587", TLS: "starttls", Username: "tocsin", Password: "smtp-secret-value"},
				IMAP: &mailloop.IMAP{Address: "imap.example.org:993", TLS: "tls", Username: "probe", Password: "imap-secret-value", Mailbox: "INBOX"}}},
		State:      monitor.State{Status: monitor.StatusDown},
		LastResult: &last,
	})
	var rs []probe.Result
	for i := range 12 {
		rs = append(rs, probe.Result{MonitorID: "loop", Time: now.Add(-time.Duration(12-i) * 10 * time.Minute), Status: probe.OK, Duration: time.Second,
			Metrics: []probe.Metric{{Name: "delivery_latency", Value: float64(2 + i), Unit: "s"}}})
	}
	rs = append(rs, last)
	if err := e.Store.SaveBatch(context.Background(), store.Batch{Results: rs}); err != nil {
		t.Fatal(err)
	}
	c := e.Setup()
	r := e.Get(c, "/monitors/loop")
	if r.Status != 200 {
		t.Fatalf("monitor page: %d", r.Status)
	}
	for _, want := range []string{`id="mail-loop"`, `data-metric="lost">3<`, `data-metric="pending">1<`, `data-metric="sent">1<`,
		"smtp smtp.example.org:587 → imap imap.example.org:993 INBOX", `<path class="chart-line"`, "Delivery latency, last 24 hours",
		`id="last-run"`, "<td>lost</td>", "not found in INBOX after 10m", "average 7.5s, peak 13s"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("mail loop page lacks %q", want)
		}
	}
	tok := e.Token(c, "t")
	api := e.Do(&http.Client{}, "GET", "/api/v1/monitors/loop", nil, map[string]string{"Authorization": "Bearer " + tok})
	for _, body := range []string{r.Body, api.Body} {
		if strings.Contains(body, "secret-value") {
			t.Errorf("a password is shown: %s", body)
		}
	}
	if !strings.Contains(api.Body, "imap.example.org:993") {
		t.Errorf("API monitor: %d %s", api.Status, api.Body)
	}

	// Other kinds have no mail loop card.
	if r := e.Get(c, "/monitors/web"); strings.Contains(r.Body, `id="mail-loop"`) {
		t.Error("an http monitor shows the mail loop card")
	}
}
