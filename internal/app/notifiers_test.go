package app

import (
	"context"
	"io"
	"log/slog"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/alert"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/testkit"
)

// TestEmailChannelAddressedToAPerson sends a down notification through the
// email channel the app builds, to a real SMTP server, and reads the mail:
// it names the service's owners and description, and shows the time in
// the timezone of the person it is addressed to, with UTC beside it.
func TestEmailChannelAddressedToAPerson(t *testing.T) {
	ms := testkit.StartMail(t, testkit.MailOptions{})
	cfg, err := config.Parse([]byte(`
people:
  - {id: alice, name: Alice Example, email: alice@example.com, timezone: Europe/Paris}
  - {id: bob, name: Bob, email: bob@example.com, timezone: America/New_York}
teams:
  - {id: ops, name: Operations, members: [bob]}
channels:
  - id: alice-mail
    type: email
    email: {host: 127.0.0.1, port: `+ms.SMTPAddr[strings.LastIndexByte(ms.SMTPAddr, ':')+1:]+`, tls: none, from: tocsin@example.com, people: [alice]}
services:
  - {id: shop, name: Shop, description: The public shop., owners: [alice, ops], channels: [alice-mail]}
monitors:
  - {id: checkout, service: shop, type: tcp, tcp: {address: "127.0.0.1:80"}}
`), "x.yaml")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 15, 13, 2, 0, 0, time.UTC)
	msgs := alert.Notifications(cfg, monitor.Transition{MonitorID: "checkout", From: monitor.StatusUp, To: monitor.StatusDown, Time: at, Reason: "connection refused"},
		func() string { return "n-1" }, "")
	if len(msgs) != 1 {
		t.Fatalf("got %d notifications, want 1", len(msgs))
	}
	n := buildNotifiers(cfg, slog.New(slog.DiscardHandler))["alice-mail"]
	if _, err := n.Notify(context.Background(), msgs[0].Event); err != nil {
		t.Fatal(err)
	}
	got := ms.Drop.Messages()
	if len(got) != 1 {
		t.Fatalf("the server received %d mails, want 1", len(got))
	}
	m, err := mail.ReadMessage(strings.NewReader(string(got[0])))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(m.Body)
	body := strings.ReplaceAll(string(raw), "\r\n", "\n")
	for _, want := range []string{
		"Time:     2026-01-15 14:02:00 CET (13:02:00 UTC)\n",
		"Service:  Shop (shop)\n          The public shop.\n",
		"Owners:   Alice Example <alice@example.com>\n          Operations (team): Bob <bob@example.com>\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("mail body lacks %q:\n%s", want, body)
		}
	}
}
