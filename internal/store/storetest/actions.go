package storetest

import (
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/store"
)

func openIncident(t *testing.T, s store.Store, clk *Clock, title string) int64 {
	t.Helper()
	in, err := s.OpenIncident(t.Context(), store.Incident{Title: title, Severity: "p2", OpenedAt: clk.Now(), DetectedAt: clk.Now(),
		ReportedKind: store.ReportedByStaff, ReportedAt: clk.Now(), DeclaredBy: "ann"}, 0, nil)
	must(t, err, "OpenIncident")
	return in.ID
}

func ptr(s string) *string { return &s }

func followUpIDs(t *testing.T, s store.Store, f store.FollowUpFilter) []int64 {
	t.Helper()
	got, err := s.FollowUpList(t.Context(), f)
	must(t, err, "FollowUpList")
	var ids []int64
	for _, x := range got {
		ids = append(ids, x.ID)
	}
	return ids
}

func sameIDs(a []int64, b ...int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// testFollowUps covers follow-up actions: created with defaults, refused
// when bad, patched field by field with done_at following the status,
// and listed by status, owner, incident and page.
func testFollowUps(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	a, b := openIncident(t, s, clk, "disk full"), openIncident(t, s, clk, "certificate expired")
	for name, f := range map[string]store.FollowUp{
		"no title":     {IncidentID: a, Title: "  "},
		"priority":     {IncidentID: a, Title: "x", Priority: "urgent"},
		"type":         {IncidentID: a, Title: "x", Type: "cosmetic"},
		"status":       {IncidentID: a, Title: "x", Status: "closed"},
		"due":          {IncidentID: a, Title: "x", Due: "31/01/2026"},
		"timezone":     {IncidentID: a, Title: "x", Due: "2026-01-31", Timezone: "Mars/Olympus"},
		"link":         {IncidentID: a, Title: "x", Link: "javascript:alert(1)"},
		"relative url": {IncidentID: a, Title: "x", Link: "/tickets/1"},
	} {
		if _, err := s.CreateFollowUp(ctx, f, "ann"); errs.Code(err) != errs.EINVALID {
			t.Errorf("create with bad %s: %v, want EINVALID", name, err)
		}
	}
	if _, err := s.CreateFollowUp(ctx, store.FollowUp{IncidentID: 99999, Title: "x"}, "ann"); errs.Code(err) != errs.ENOTFOUND {
		t.Errorf("create for no incident: %v", err)
	}
	created := clk.Now()
	f1, err := s.CreateFollowUp(ctx, store.FollowUp{IncidentID: a, Title: "Alert on disk at 80% \xff", Owner: "ana", Due: "2024-03-05",
		Timezone: "Europe/Paris", Priority: "high", Type: "detective", Link: "https://tickets.example/OPS-1"}, "ann")
	must(t, err, "CreateFollowUp")
	if f1.ID == 0 || f1.Status != store.ActionOpen || f1.CreatedBy != "ann" || !f1.CreatedAt.Equal(created) || f1.Title != "Alert on disk at 80% \uFFFD" ||
		!f1.DoneAt.IsZero() || f1.Timezone != "Europe/Paris" || f1.Priority != "high" || f1.Type != "detective" {
		t.Fatalf("created: %+v", f1)
	}
	// The end of 5 March in Paris is 23:00 UTC that day.
	if want := time.Date(2024, 3, 5, 23, 0, 0, 0, time.UTC); !f1.Deadline().Equal(want) {
		t.Errorf("deadline = %v, want %v", f1.Deadline(), want)
	}
	f2, err := s.CreateFollowUp(ctx, store.FollowUp{IncidentID: a, Title: "Rotate logs", Owner: "Bob from storage"}, "ann")
	must(t, err, "create f2")
	if f2.Priority != "medium" || f2.Type != "corrective" || f2.Timezone != "UTC" || f2.Due != "" || !f2.Deadline().IsZero() {
		t.Errorf("defaults: %+v", f2)
	}
	f3, err := s.CreateFollowUp(ctx, store.FollowUp{IncidentID: b, Title: "Automate renewal", Owner: "ana", Due: "2024-03-20", Type: "preventive"}, "cy")
	must(t, err, "create f3")

	if _, err := s.UpdateFollowUp(ctx, 99999, store.FollowUpPatch{Status: ptr("done")}, "bo"); errs.Code(err) != errs.ENOTFOUND {
		t.Errorf("update no action: %v", err)
	}
	if _, err := s.UpdateFollowUp(ctx, f1.ID, store.FollowUpPatch{Status: ptr("finished")}, "bo"); errs.Code(err) != errs.EINVALID {
		t.Errorf("update to a bad status: %v", err)
	}
	if _, err := s.UpdateFollowUp(ctx, f1.ID, store.FollowUpPatch{Title: ptr("")}, "bo"); errs.Code(err) != errs.EINVALID {
		t.Errorf("update to no title: %v", err)
	}
	clk.Add(time.Hour)
	got, err := s.UpdateFollowUp(ctx, f1.ID, store.FollowUpPatch{Status: ptr(store.ActionInProgress)}, "bo")
	must(t, err, "to in progress")
	if got.Status != store.ActionInProgress || got.Title != f1.Title || got.Owner != "ana" || got.UpdatedBy != "bo" || !got.UpdatedAt.Equal(clk.Now()) || !got.DoneAt.IsZero() {
		t.Errorf("in progress: %+v", got)
	}
	got, err = s.UpdateFollowUp(ctx, f2.ID, store.FollowUpPatch{Status: ptr(store.ActionDone)}, "bo")
	must(t, err, "to done")
	if !got.DoneAt.Equal(clk.Now()) {
		t.Errorf("done at %v, want %v", got.DoneAt, clk.Now())
	}
	clk.Add(time.Hour)
	got, err = s.UpdateFollowUp(ctx, f2.ID, store.FollowUpPatch{Status: ptr(store.ActionWontDo)}, "bo")
	must(t, err, "to wont do")
	if !got.DoneAt.Equal(clk.Now().Add(-time.Hour)) {
		t.Errorf("finished twice: done at %v", got.DoneAt)
	}
	got, err = s.UpdateFollowUp(ctx, f2.ID, store.FollowUpPatch{Status: ptr(store.ActionOpen), Due: ptr("2024-03-04")}, "bo")
	must(t, err, "reopen")
	if !got.DoneAt.IsZero() || got.Due != "2024-03-04" {
		t.Errorf("reopened: %+v", got)
	}

	// Now 12:00 UTC on 4 March: f2 (due the 4th) is not overdue, f1 and
	// f3 are not either; after two days f1 and f2 are.
	if ids := followUpIDs(t, s, store.FollowUpFilter{Status: store.FollowUpsOverdue}); len(ids) != 0 {
		t.Errorf("overdue now = %v", ids)
	}
	clk.Add(48 * time.Hour)
	if ids := followUpIDs(t, s, store.FollowUpFilter{Status: store.FollowUpsOverdue}); !sameIDs(ids, f2.ID, f1.ID) {
		t.Errorf("overdue = %v, want %d %d", ids, f2.ID, f1.ID)
	}
	_, err = s.UpdateFollowUp(ctx, f3.ID, store.FollowUpPatch{Status: ptr(store.ActionDone)}, "ana")
	must(t, err, "f3 done")
	for _, c := range []struct {
		f    store.FollowUpFilter
		want []int64
	}{
		{store.FollowUpFilter{}, []int64{f3.ID, f2.ID, f1.ID}},
		{store.FollowUpFilter{Status: store.FollowUpsAll}, []int64{f3.ID, f2.ID, f1.ID}},
		{store.FollowUpFilter{Status: store.FollowUpsOpen}, []int64{f2.ID, f1.ID}},
		{store.FollowUpFilter{Status: store.FollowUpsDone}, []int64{f3.ID}},
		{store.FollowUpFilter{Owner: "ana"}, []int64{f3.ID, f1.ID}},
		{store.FollowUpFilter{Owner: "ana", Status: store.FollowUpsOpen}, []int64{f1.ID}},
		{store.FollowUpFilter{IncidentID: b}, []int64{f3.ID}},
		{store.FollowUpFilter{Page: store.Page{Limit: 2}}, []int64{f3.ID, f2.ID}},
		{store.FollowUpFilter{Page: store.Page{Limit: 2, Before: f2.ID}}, []int64{f1.ID}},
	} {
		if ids := followUpIDs(t, s, c.f); !sameIDs(ids, c.want...) {
			t.Errorf("list %+v = %v, want %v", c.f, ids, c.want)
		}
	}
	if _, err := s.FollowUpList(ctx, store.FollowUpFilter{Status: "late"}); errs.Code(err) != errs.EINVALID {
		t.Errorf("unknown status filter: %v", err)
	}
	if _, err := s.FollowUp(ctx, 99999); errs.Code(err) != errs.ENOTFOUND {
		t.Errorf("FollowUp of none: %v", err)
	}
}

// testFollowUpReminders covers the reminder bookkeeping: actions due
// soon are listed, a reminder is recorded with its notifications in one
// go, the same notification is queued once, and a new due date clears
// the record.
func testFollowUpReminders(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	in := openIncident(t, s, clk, "queue stuck")
	// Now is 10:00 UTC on 4 March 2024.
	soon, err := s.CreateFollowUp(ctx, store.FollowUp{IncidentID: in, Title: "Add a queue depth alert", Owner: "ana", Due: "2024-03-04"}, "ann")
	must(t, err, "create soon")
	_, err = s.CreateFollowUp(ctx, store.FollowUp{IncidentID: in, Title: "Runbook", Owner: "ana", Due: "2024-03-30"}, "ann")
	must(t, err, "create later")
	_, err = s.CreateFollowUp(ctx, store.FollowUp{IncidentID: in, Title: "No date", Owner: "ana"}, "ann")
	must(t, err, "create undated")
	done, err := s.CreateFollowUp(ctx, store.FollowUp{IncidentID: in, Title: "Done already", Owner: "ana", Due: "2024-03-01", Status: store.ActionDone}, "ann")
	must(t, err, "create done")
	if done.DoneAt.IsZero() {
		t.Errorf("created done without done_at: %+v", done)
	}
	due, err := s.FollowUpsDueBy(ctx, clk.Now().Add(24*time.Hour), 0)
	must(t, err, "FollowUpsDueBy")
	if len(due) != 1 || due[0].ID != soon.ID {
		t.Fatalf("due by tomorrow = %+v, want only %d", due, soon.ID)
	}
	msg := notify.OutboxMessage{ID: "action-1-due", Channel: "ops-mail", State: notify.StatePending,
		Event: notify.Event{ID: "action-1-due", Event: "action.due", Reason: "Add a queue depth alert", Time: clk.Now()}}
	if err := s.RecordFollowUpReminder(ctx, store.FollowUpReminder{ActionID: soon.ID, Kind: "nag", At: clk.Now()}); errs.Code(err) != errs.EINVALID {
		t.Errorf("unknown kind: %v", err)
	}
	if err := s.RecordFollowUpReminder(ctx, store.FollowUpReminder{ActionID: 99999, Kind: store.ReminderDue, At: clk.Now()}); errs.Code(err) != errs.ENOTFOUND {
		t.Errorf("no action: %v", err)
	}
	must(t, s.RecordFollowUpReminder(ctx, store.FollowUpReminder{ActionID: soon.ID, Kind: store.ReminderDue, At: clk.Now(), Outbox: []notify.OutboxMessage{msg}}), "record")
	if err := s.RecordFollowUpReminder(ctx, store.FollowUpReminder{ActionID: soon.ID, Kind: store.ReminderDue, At: clk.Now(), Outbox: []notify.OutboxMessage{msg}}); errs.Code(err) != errs.ECONFLICT {
		t.Errorf("record the same reminder twice: %v, want ECONFLICT", err)
	}
	// Sent by another process meanwhile with the same notification id:
	// recorded, and the notification is not queued a second time.
	must(t, s.RecordFollowUpReminder(ctx, store.FollowUpReminder{ActionID: soon.ID, Kind: store.ReminderDue, At: clk.Now(), Last: clk.Now(), Outbox: []notify.OutboxMessage{msg}}), "record again")
	msgs, err := s.OutboxMessages(ctx, "", store.Page{})
	must(t, err, "OutboxMessages")
	if len(msgs) != 1 || msgs[0].ID != msg.ID || msgs[0].Event.Event != "action.due" || msgs[0].State != notify.StatePending {
		t.Errorf("queued = %+v, want the reminder once", msgs)
	}
	got, err := s.FollowUp(ctx, soon.ID)
	must(t, err, "FollowUp")
	if !got.RemindedDueAt.Equal(clk.Now()) || !got.RemindedOverdueAt.IsZero() {
		t.Errorf("after the reminder: %+v", got)
	}
	clk.Add(24 * time.Hour)
	must(t, s.RecordFollowUpReminder(ctx, store.FollowUpReminder{ActionID: soon.ID, Kind: store.ReminderOverdue, At: clk.Now()}), "overdue")
	if err := s.RecordFollowUpReminder(ctx, store.FollowUpReminder{ActionID: soon.ID, Kind: store.ReminderOverdue, At: clk.Now()}); errs.Code(err) != errs.ECONFLICT {
		t.Errorf("a second first overdue reminder: %v, want ECONFLICT", err)
	}
	got, err = s.UpdateFollowUp(ctx, soon.ID, store.FollowUpPatch{Title: ptr("Add a queue depth alert (p95)")}, "ana")
	must(t, err, "retitle")
	if got.RemindedDueAt.IsZero() || !got.RemindedOverdueAt.Equal(clk.Now()) {
		t.Errorf("a new title cleared the reminders: %+v", got)
	}
	got, err = s.UpdateFollowUp(ctx, soon.ID, store.FollowUpPatch{Due: ptr("2024-03-10")}, "ana")
	must(t, err, "postpone")
	if !got.RemindedDueAt.IsZero() || !got.RemindedOverdueAt.IsZero() {
		t.Errorf("a new due date kept the reminders: %+v", got)
	}
}
