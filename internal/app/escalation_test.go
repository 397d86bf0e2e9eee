package app

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/testkit"
)

// TestEscalationEndToEnd: a service's monitor fails; the person on call is
// paged by email (a real SMTP server); nobody answers, so the next step
// pages the team's room (a webhook); the link in that page acknowledges;
// escalation stops; the recovery resolves the alert and tells everyone
// paged. Whom to page comes from the configuration, through the catalog.
func TestEscalationEndToEnd(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			target := testkit.NewTarget(t)
			room := testkit.NewWebhook(t)
			ms := testkit.StartMail(t, testkit.MailOptions{})
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			base := "http://" + ln.Addr().String()
			path := filepath.Join(t.TempDir(), "tocsin.yaml")
			writeConfig(t, path, `server:
  listen: 127.0.0.1:0
  base_url: `+base+`
`+storageYAML(t, driver)+`
channels:
  - id: mail
    type: email
    email: {host: 127.0.0.1, port: `+ms.SMTPAddr[strings.LastIndexByte(ms.SMTPAddr, ':')+1:]+`, tls: none, from: tocsin@example.com, to: [oncall@example.org]}
  - id: apps-room
    type: webhook
    webhook: {url: `+room.URL+`}
people:
  - {id: ana, name: Ana, email: ana@example.org}
  - {id: boss, name: Boss, email: boss@example.org, contacts: [{channel: mail}]}
teams:
  - {id: apps, name: Application support, channels: [apps-room]}
escalation_policies:
  - id: support
    steps:
      - {notify: ["person:ana"]}
      - {after: 1s, notify: ["team:apps"]}
      - {after: 1h, notify: ["person:boss"]}
services:
  - {id: shop, name: Shop, owners: [apps], escalation_policy: support, runbook: "https://wiki.example.org/shop"}
monitors:
  - id: site
    service: shop
    type: http
    interval: 200ms
    timeout: 150ms
    http: {url: `+target.URL+`}
`)
			target.SetFailing(true)
			r := runApp(t, Options{ConfigPath: path, Listener: ln})
			st := r.app.Store()

			page := room.WaitFor(t, 20*time.Second, func(d testkit.Delivery) bool { return d.Event["event"] == notify.EventAlertEscalated })
			if page.Event["escalation_step"] != float64(2) || page.Event["recipient"] != "team:apps" || page.Event["runbook"] != "https://wiki.example.org/shop" {
				t.Errorf("the room's page = %v", page.Event)
			}
			ackURL, _ := page.Event["ack_url"].(string)
			if !strings.HasPrefix(ackURL, base+"/a/") {
				t.Fatalf("ack_url = %q, want a link under %s", ackURL, base)
			}
			id := int64(page.Event["alert_id"].(float64))
			// Ana was paged by email first, at her own address.
			var mailed bool
			for range 200 {
				msgs, err := st.OutboxMessages(context.Background(), "", store.Page{Limit: 100})
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range msgs {
					if m.Channel == "mail" && m.Event.Event == notify.EventAlertOpened && m.Event.To == "ana@example.org" && m.State == notify.StateSent {
						mailed = true
					}
				}
				if mailed {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			if !mailed || ms.Accepted() == 0 {
				t.Fatalf("no page was mailed to ana (SMTP accepted %d)", ms.Accepted())
			}

			// The link: GET confirms, POST acknowledges.
			c := &http.Client{Timeout: 10 * time.Second}
			resp, err := c.Get(ackURL)
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("GET ack_url = %v, %v", resp, err)
			}
			resp.Body.Close()
			resp, err = c.Post(ackURL, "", nil)
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("POST ack_url = %v, %v", resp, err)
			}
			resp.Body.Close()
			room.WaitFor(t, 10*time.Second, func(d testkit.Delivery) bool { return d.Event["event"] == notify.EventAlertAcknowledged })
			a, err := st.Alert(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if a.State != store.AlertAcknowledged || a.AcknowledgedBy != "link:channel:apps-room" {
				t.Errorf("alert after the link = %s by %q", a.State, a.AcknowledgedBy)
			}
			// The audit log says who used the link, and from where.
			if es, err := st.AuditLog(context.Background(), store.AuditFilter{Action: "alert.acknowledge"}); err != nil || len(es) != 1 ||
				es[0].Actor != "link:channel:apps-room" || es[0].IP != "127.0.0.1" || es[0].ObjectID != strconv.FormatInt(id, 10) {
				t.Errorf("audit entries of the link: %+v, %v", es, err)
			}
			ts, err := st.AlertTimers(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range ts {
				if x.Kind == store.TimerStep {
					t.Errorf("a step is still scheduled after the acknowledgement: %+v", x)
				}
			}

			target.SetFailing(false)
			room.WaitFor(t, 20*time.Second, func(d testkit.Delivery) bool { return d.Event["event"] == notify.EventAlertResolved })
			if a, _ := st.Alert(context.Background(), id); a.State != store.AlertResolved || a.ResolvedBy != "system" {
				t.Errorf("alert after the recovery = %s by %q", a.State, a.ResolvedBy)
			}
		})
	}
}
