package storetest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/store"
)

// feedTests are the conformance cases of store.AlertFeed and of the
// notification outcomes on incident timelines; Run registers them.
var feedTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store, clk *Clock)
}{
	{"AlertFeed", testAlertFeed},
	{"AlertCursor", testAlertCursor},
	{"IncidentDeliveries", testIncidentDeliveries},
}

func alertIDs(as []store.Alert) []int64 {
	var out []int64
	for _, a := range as {
		out = append(out, a.ID)
	}
	return out
}

// testAlertFeed: AlertsAfter lists alerts of every state after an id,
// oldest first and bounded; AlertsByID reads any set of alerts at once
// with their monitors and logs, skipping ids that do not exist.
func testAlertFeed(t *testing.T, s store.Store, _ *Clock) {
	ctx := t.Context()
	at := base.Add(time.Hour)
	saveChanges(t, s, change("web", "home", true, at))
	first := active(t, s, "web")
	saveChanges(t, s, change("web", "home", false, at.Add(time.Minute)))
	saveChanges(t, s, change("db", "pg", true, at.Add(2*time.Minute)), change("web", "home", true, at.Add(3*time.Minute)))
	db, web := active(t, s, "db"), active(t, s, "web")
	all, err := s.AlertsAfter(ctx, 0, 10)
	if err != nil || !slices.Equal(alertIDs(all), []int64{first.ID, db.ID, web.ID}) || all[0].State != store.AlertResolved {
		t.Fatalf("AlertsAfter(0) = %v, %v; want %d (resolved), %d, %d", alertIDs(all), err, first.ID, db.ID, web.ID)
	}
	if len(all[1].Monitors) != 1 || all[1].Monitors[0].MonitorID != "pg" {
		t.Errorf("AlertsAfter monitors = %+v", all[1].Monitors)
	}
	if got, err := s.AlertsAfter(ctx, first.ID, 1); err != nil || !slices.Equal(alertIDs(got), []int64{db.ID}) {
		t.Errorf("AlertsAfter(%d, 1) = %v, %v; want [%d]", first.ID, alertIDs(got), err, db.ID)
	}
	if got, err := s.AlertsAfter(ctx, web.ID, 10); err != nil || len(got) != 0 {
		t.Errorf("AlertsAfter(last) = %v, %v; want none", alertIDs(got), err)
	}
	got, err := s.AlertsByID(ctx, []int64{web.ID, first.ID, web.ID + 1000, first.ID})
	if err != nil || !slices.Equal(alertIDs(got), []int64{first.ID, web.ID}) {
		t.Fatalf("AlertsByID = %v, %v; want [%d %d]", alertIDs(got), err, first.ID, web.ID)
	}
	one, err := s.Alert(ctx, first.ID)
	must(t, err, "Alert")
	if !slices.Equal(actionKinds(got[0]), actionKinds(one)) || len(got[0].Actions) == 0 || len(got[0].Monitors) != len(one.Monitors) ||
		got[0].ResolvedAt.IsZero() {
		t.Errorf("AlertsByID[0] = %+v\nwant as Alert: %+v", got[0], one)
	}
	if got, err := s.AlertsByID(ctx, nil); err != nil || len(got) != 0 {
		t.Errorf("AlertsByID(nil) = %v, %v", got, err)
	}
}

// testAlertCursor: a cursor starts at 0, only moves forward, and
// concurrent writers (replicas) leave the highest.
func testAlertCursor(t *testing.T, s store.Store, _ *Clock) {
	ctx := t.Context()
	name := "test.cursor \xff" + strings.Repeat("x", 300)
	if v, err := s.Cursor(ctx, name); err != nil || v != 0 {
		t.Fatalf("new cursor = %d, %v; want 0", v, err)
	}
	must(t, s.AdvanceCursor(ctx, name, 5), "AdvanceCursor 5")
	must(t, s.AdvanceCursor(ctx, name, 3), "AdvanceCursor 3")
	if v, err := s.Cursor(ctx, name); err != nil || v != 5 {
		t.Fatalf("cursor = %d, %v; want 5 (never backwards)", v, err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			if err := s.AdvanceCursor(ctx, "race", int64(100+i)); err != nil {
				t.Errorf("AdvanceCursor %d: %v", 100+i, err)
			}
		})
	}
	wg.Wait()
	if v, err := s.Cursor(ctx, "race"); err != nil || v != 107 {
		t.Errorf("cursor after concurrent advances = %d, %v; want 107", v, err)
	}
}

// testIncidentDeliveries: the timeline of an incident says what was sent
// about it and its alerts, and how each delivery ended; messages of other
// alerts stay out; over the bound, one summary per channel.
func testIncidentDeliveries(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	at := clk.Now()
	saveChanges(t, s, change("web", "home", true, at))
	a := active(t, s, "web")
	in, err := s.OpenIncident(ctx, store.Incident{Title: "web is failing", Severity: "p1", Services: []string{"web"}, OpenedAt: at,
		ReportedKind: store.ReportedByMonitor, ReportedAt: at}, a.ID, nil)
	must(t, err, "OpenIncident")
	msg := func(id, channel, event string, created time.Time) notify.OutboxMessage {
		return notify.OutboxMessage{ID: id, Channel: channel, Event: notify.Event{ID: id, Event: event, Time: created}, State: notify.StatePending,
			NextAttempt: created, CreatedAt: created}
	}
	other := fmt.Sprintf("alert-%d0-t1-aa", a.ID) // alert 10 is not alert 1
	must(t, s.SaveBatch(ctx, store.Batch{Outbox: []notify.OutboxMessage{
		msg(fmt.Sprintf("alert-%d-t1-aa", a.ID), "mail", "alert.opened", at),
		msg(fmt.Sprintf("alert-%d-t1-bb", a.ID), "hook", "alert.opened", at),
		msg(store.IncidentMessageID(in.ID, "u1"), "chat", "incident.opened", at.Add(time.Second)),
		msg(other, "mail", "alert.opened", at),
	}}), "SaveBatch outbox")
	clk.Set(at.Add(5 * time.Second))
	must(t, s.RecordAttempt(ctx, notify.Attempt{MessageID: fmt.Sprintf("alert-%d-t1-aa", a.ID), Channel: "mail", Outcome: "sent"}, time.Time{}), "sent")
	must(t, s.RecordAttempt(ctx, notify.Attempt{MessageID: fmt.Sprintf("alert-%d-t1-bb", a.ID), Channel: "hook", Outcome: "failed",
		Error: "POST https://hook: 410 Gone"}, time.Time{}), "failed")
	got, err := s.Incident(ctx, in.ID)
	must(t, err, "Incident")
	var lines []string
	for _, e := range got.Timeline {
		if strings.HasPrefix(e.Kind, "notification.") {
			lines = append(lines, e.Kind+" "+e.Text)
		}
	}
	want := []string{
		"notification.sent alert.opened sent to mail",
		"notification.sent alert.opened sent to hook",
		"notification.sent incident.opened sent to chat",
		"notification.delivered alert.opened delivered to mail",
		"notification.failed alert.opened failed on hook: POST https://hook: 410 Gone",
	}
	if !slices.Equal(lines, want) {
		t.Fatalf("notification entries:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	var many []notify.OutboxMessage
	for i := range store.MaxDeliveryEntries {
		many = append(many, msg(fmt.Sprintf("alert-%d-t2-%d", a.ID, i), "mail", "alert.updated", at.Add(time.Minute)))
	}
	must(t, s.SaveBatch(ctx, store.Batch{Outbox: many}), "SaveBatch storm")
	got, err = s.Incident(ctx, in.ID)
	must(t, err, "Incident")
	lines = nil
	for _, e := range got.Timeline {
		if strings.HasPrefix(e.Kind, "notification.") {
			lines = append(lines, e.Kind+" "+e.Text)
		}
	}
	want = []string{
		"notification.summary chat: 1 sent, 0 delivered, 0 failed",
		"notification.summary hook: 1 sent, 0 delivered, 1 failed (last failure: POST https://hook: 410 Gone)",
		fmt.Sprintf("notification.summary mail: %d sent, 1 delivered, 0 failed", store.MaxDeliveryEntries+1),
	}
	if !slices.Equal(lines, want) {
		t.Fatalf("summarised entries:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}
