package notify_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/notify"
)

// TestRender: the title says what happened to what; the body has one line
// per field set, owners by name, and nothing for fields left empty.
func TestRender(t *testing.T) {
	e := notify.Event{
		ID: "n1", Event: notify.EventMonitorDown, MonitorID: "mail", MonitorName: "Test mail", ServiceID: "mail",
		ServiceName: "Mail", Status: "down", PreviousStatus: "up", Reason: "no mail within 10m\nsecond line",
		Owners: []catalog.Owner{{ID: "kim", Name: "Kim", Kind: catalog.OwnerPerson, Email: "kim@example.com"}, {ID: "ops", Name: "Ops", Kind: catalog.OwnerTeam}},
		Time:   time.Date(2026, 2, 3, 4, 5, 6, 0, time.FixedZone("X", 3600)),
	}
	got := notify.Render(e)
	if got.Title != "DOWN: Test mail (mail) — no mail within 10m" {
		t.Errorf("title = %q", got.Title)
	}
	want := "Monitor: Test mail (mail)\nService: Mail (mail)\nOwners: Kim <kim@example.com>, Ops (team)\n" +
		"Status: up → down\nReason: no mail within 10m\nsecond line\nTime: 2026-02-03 03:05:06 UTC"
	if got.Body != want {
		t.Errorf("body =\n%s\nwant\n%s", got.Body, want)
	}
	if s := got.String(); !strings.HasPrefix(s, got.Title+"\n") {
		t.Errorf("String = %q", s)
	}

	test := notify.Render(notify.Event{Event: notify.EventTest, ID: "t"})
	if test.Title != "TEST: Tocsin" || !strings.Contains(test.Body, "test notification") {
		t.Errorf("test = %+v", test)
	}
	if l := notify.Label(notify.Event{Event: "alert.acknowledged"}); l != "ACKNOWLEDGED" {
		t.Errorf("label = %q", l)
	}
	if f := e.Field("monitor_name"); f != "Test mail" {
		t.Errorf("Field(monitor_name) = %q", f)
	}
	if f := e.Field("no_such_field"); f != "" {
		t.Errorf("Field(no_such_field) = %q", f)
	}
}
