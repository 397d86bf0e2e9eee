package email

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/notify"
)

func alertEvent() notify.Event {
	return notify.Event{
		ID: "alert-7-t3-ab", Event: notify.EventAlertEscalated, AlertID: 7, ServiceID: "shop", ServiceName: "Shop",
		MonitorID: "checkout", Status: "down", Time: time.Date(2026, 3, 2, 9, 15, 0, 0, time.UTC),
		EscalationStep: 2, Recipient: "team:apps", Runbook: "https://wiki.example.org/shop",
		AckURL: "https://tocsin.example.org/a/tok.sig", To: "bo@example.org",
		Monitors: []notify.AlertMonitor{
			{ID: "checkout", Name: "Checkout", Status: "down", Reason: "GET /checkout: 503"},
			{ID: "home", Status: "up"},
			{ID: "search", Status: "down", Reason: "timeout", ImpactedBy: "service:db"},
		},
	}
}

// TestAlertMail: a page goes to the person's own address (not the
// channel's list), says what happened in words and carries the link.
func TestAlertMail(t *testing.T) {
	ms := startServer(t, serverOpts{})
	n := New(channel(ms, "none"), []string{"list@example.org"})
	if retry, err := n.Notify(context.Background(), alertEvent()); err != nil {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	got := ms.deliveries()
	if len(got) != 1 || !slices.Equal(got[0].to, []string{"bo@example.org"}) {
		t.Fatalf("deliveries = %+v, want one to bo@example.org", got)
	}
	if s := Subject(alertEvent()); s != "[Tocsin] ALERT ESCALATED: Shop (shop) — 2 monitors down" {
		t.Errorf("Subject = %q", s)
	}
	body := Body(alertEvent(), nil)
	for _, want := range []string{
		"Shop (shop) is still failing and nobody has acknowledged it: 2 monitors down. The alert escalated to step 2, for team:apps.",
		"https://tocsin.example.org/a/tok.sig",
		"Runbook:     https://wiki.example.org/shop",
		"  - Checkout (checkout): down — GET /checkout: 503",
		"  - home: up",
		"  - search: down — timeout (impacted by service:db)",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	ack := alertEvent()
	ack.Event, ack.By, ack.AckURL = notify.EventAlertAcknowledged, "link:ana", ""
	if b := Body(ack, nil); !strings.Contains(b, "acknowledged by link:ana") || strings.Contains(b, "/a/") {
		t.Errorf("acknowledgement body:\n%s", b)
	}
}
