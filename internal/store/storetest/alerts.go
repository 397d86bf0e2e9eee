package storetest

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/store"
)

// alertTests are the conformance cases of store.Alerts; Run registers them.
var alertTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store, clk *Clock)
}{
	{"AlertGrouping", testAlertGrouping},
	{"AlertActs", testAlertActs},
	{"AlertTimersClaim", testAlertTimersClaim},
	{"AlertTimerFiring", testAlertTimerFiring},
	{"AlertHostileText", testAlertHostileText},
	{"AlertSecret", testAlertSecret},
	{"AlertReleased", testAlertReleased},
	{"AlertConcurrentAcks", testAlertConcurrentAcks},
	{"AlertFireWhileResolving", testAlertFireWhileResolving},
	{"AlertPrune", testAlertPrune},
	{"AlertActVia", testAlertActVia},
}

func change(group, mon string, down bool, at time.Time) store.AlertChange {
	return store.AlertChange{GroupKey: group, MonitorID: mon, ServiceID: group, PolicyID: "p", Down: down, Time: at, Reason: mon + " reason", FirstStep: at, UpdateEvery: 5 * time.Minute}
}

func saveChanges(t *testing.T, s store.Store, cs ...store.AlertChange) {
	t.Helper()
	must(t, s.SaveBatch(t.Context(), store.Batch{Alerts: cs}), "SaveBatch of alert changes")
}

func timerKinds(t *testing.T, s store.Store, id int64) []string {
	t.Helper()
	ts, err := s.AlertTimers(t.Context(), id)
	must(t, err, "AlertTimers")
	var out []string
	for _, x := range ts {
		out = append(out, fmt.Sprintf("%s/%d/%d@%s", x.Kind, x.Step, x.Round, x.DueAt.Format("15:04:05")))
	}
	return out
}

func actionKinds(a store.Alert) []string {
	var out []string
	for _, x := range a.Actions {
		out = append(out, x.Kind+" by "+x.Who)
	}
	return out
}

func active(t *testing.T, s store.Store, group string) store.Alert {
	t.Helper()
	a, err := s.ActiveAlert(t.Context(), group)
	must(t, err, "ActiveAlert "+group)
	return a
}

// testAlertGrouping: failures of one group open one alert, with a step
// timer, and join it with one rate-limited update timer; recoveries mark
// monitors up and the last resolves the alert; the next failure opens a
// new one.
func testAlertGrouping(t *testing.T, s store.Store, _ *Clock) {
	ctx := t.Context()
	at := base.Add(time.Hour)
	// Two monitors of one service fail in the same batch, a third of
	// another service beside them.
	saveChanges(t, s, change("shop", "web", true, at), change("shop", "api", true, at), change("mail", "smtp", true, at))
	a := active(t, s, "shop")
	if a.State != store.AlertOpen || !a.OpenedAt.Equal(at) || a.ServiceID != "shop" || a.PolicyID != "p" {
		t.Errorf("new alert = %+v, want open at %s for shop with policy p", a, at)
	}
	if got := monitorIDs(a); !slices.Equal(got, []string{"api", "web"}) && !slices.Equal(got, []string{"web", "api"}) {
		t.Errorf("alert monitors = %v, want web and api", got)
	}
	if got, want := actionKinds(a), []string{"opened by system", "joined by system"}; !slices.Equal(got, want) {
		t.Errorf("actions = %v, want %v", got, want)
	}
	// Before the first page a join needs no update: the page lists it.
	if got, want := timerKinds(t, s, a.ID), []string{"step/1/0@01:00:00"}; !slices.Equal(got, want) {
		t.Errorf("timers = %v, want %v", got, want)
	}
	if other := active(t, s, "mail"); other.ID == a.ID {
		t.Errorf("another service's failure joined alert %d", a.ID)
	}
	ts, err := s.ClaimTimers(ctx, "me", at, time.Minute, 1)
	must(t, err, "ClaimTimers")
	must(t, s.FireTimer(ctx, store.TimerFiring{Timer: ts[0], Step: 1, Actions: []store.AlertAction{
		{Time: at, Kind: store.ActionNotified, Who: "system", Step: 1, Target: "person:ana", Channel: "ops", Detail: "ana"},
	}}), "FireTimer")
	// After it, a join schedules an update; a second join while it is
	// pending adds no second one.
	saveChanges(t, s, change("shop", "db", true, at.Add(time.Minute)))
	saveChanges(t, s, change("shop", "cache", true, at.Add(time.Minute)), change("shop", "cache", false, at.Add(time.Minute)))
	if got, want := timerKinds(t, s, a.ID), []string{"update/0/0@01:01:00"}; !slices.Equal(got, want) {
		t.Errorf("timers after two joins = %v, want %v", got, want)
	}
	// The same monitor failing again (a new reason) is no new join.
	c := change("shop", "db", true, at.Add(2*time.Minute))
	c.Reason = "still down"
	saveChanges(t, s, c)
	a = active(t, s, "shop")
	if got, want := actionKinds(a), []string{"opened by system", "joined by system", "notified by system", "joined by system", "joined by system", "recovered by system"}; !slices.Equal(got, want) {
		t.Errorf("actions after a repeated failure = %v, want %v", got, want)
	}
	// Recoveries: the alert stays while one monitor is down.
	saveChanges(t, s, change("shop", "web", false, at.Add(3*time.Minute)), change("shop", "api", false, at.Add(3*time.Minute)))
	a = active(t, s, "shop")
	for _, m := range a.Monitors {
		want := "up"
		if m.MonitorID == "db" {
			want = "down"
			if m.Reason != "still down" {
				t.Errorf("db reason = %q, want the newest", m.Reason)
			}
		}
		if m.Status != want {
			t.Errorf("monitor %s status %q, want %q", m.MonitorID, m.Status, want)
		}
	}
	// A recovery of a monitor the alert does not list changes nothing.
	saveChanges(t, s, change("shop", "stranger", false, at.Add(4*time.Minute)), change("nothing", "x", false, at))
	saveChanges(t, s, change("shop", "db", false, at.Add(5*time.Minute)))
	a, err = s.Alert(ctx, a.ID)
	must(t, err, "Alert")
	if a.State != store.AlertResolved || a.ResolvedBy != "system" || !a.ResolvedAt.Equal(at.Add(5*time.Minute)) {
		t.Errorf("alert after every recovery = state %q by %q at %s, want resolved by system", a.State, a.ResolvedBy, a.ResolvedAt)
	}
	if got, want := timerKinds(t, s, a.ID), []string{"notify/0/0@01:05:00"}; !slices.Equal(got, want) {
		t.Errorf("timers after resolving = %v, want %v", got, want)
	}
	wantCode(t, func() error { _, err := s.ActiveAlert(ctx, "shop"); return err }(), errs.ENOTFOUND, "ActiveAlert after resolving")
	// Failing again opens a new alert.
	saveChanges(t, s, change("shop", "web", true, at.Add(time.Hour)))
	if b := active(t, s, "shop"); b.ID == a.ID || b.Step != 0 {
		t.Errorf("alert after failing again = %d at step %d, want a new one", b.ID, b.Step)
	}
	list, err := s.Alerts(ctx, "active", store.Page{})
	must(t, err, "Alerts active")
	if len(list) != 2 {
		t.Errorf("active alerts = %d, want 2 (shop, mail)", len(list))
	}
	list, err = s.Alerts(ctx, "", store.Page{Limit: 2})
	must(t, err, "Alerts")
	if len(list) != 2 || list[0].ID < list[1].ID || len(list[0].Monitors) == 0 {
		t.Errorf("Alerts page = %+v, want the two newest with monitors", list)
	}
	more, err := s.Alerts(ctx, "", store.Page{Limit: 2, Before: list[1].ID})
	must(t, err, "Alerts next page")
	if len(more) != 1 || more[0].ID != a.ID {
		t.Errorf("Alerts second page = %+v, want the resolved one", more)
	}
	wantCode(t, func() error { _, err := s.Alerts(ctx, "nonsense", store.Page{}); return err }(), errs.EINVALID, "Alerts by an unknown state")
	// No policy: no step timer.
	c = change("nopolicy", "x", true, at)
	c.FirstStep = time.Time{}
	saveChanges(t, s, c)
	if got := timerKinds(t, s, active(t, s, "nopolicy").ID); len(got) != 0 {
		t.Errorf("timers of an alert without policy = %v, want none", got)
	}
	// An alert that paged nobody is resolved without a timer: there is
	// nobody to tell.
	saveChanges(t, s, change("lone", "ftp", true, at))
	lone := active(t, s, "lone")
	saveChanges(t, s, change("lone", "ftp", false, at.Add(5*time.Minute)))
	if got := timerKinds(t, s, lone.ID); len(got) != 0 {
		t.Errorf("timers of an alert that paged nobody after resolving = %v, want none", got)
	}
}

func monitorIDs(a store.Alert) []string {
	var out []string
	for _, m := range a.Monitors {
		out = append(out, m.MonitorID)
	}
	return out
}

func testAlertActs(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	at := base.Add(time.Hour)
	saveChanges(t, s, change("shop", "web", true, at))
	id := active(t, s, "shop").ID
	act := func(kind, who string, when time.Time) (store.Alert, error) {
		return s.Act(ctx, id, store.AlertAct{Kind: kind, Who: who, At: when})
	}
	a, err := act(store.ActAcknowledge, "user:ana", at.Add(time.Minute))
	must(t, err, "acknowledge")
	if a.State != store.AlertAcknowledged || a.AcknowledgedBy != "user:ana" || !a.AcknowledgedAt.Equal(at.Add(time.Minute)) {
		t.Errorf("acknowledged alert = %+v", a)
	}
	if got, want := timerKinds(t, s, id), []string{"notify/0/0@01:01:00"}; !slices.Equal(got, want) {
		t.Errorf("timers after acknowledging = %v, want the step gone and %v", got, want)
	}
	_, err = act(store.ActAcknowledge, "user:bo", at.Add(2*time.Minute))
	wantCode(t, err, errs.ECONFLICT, "acknowledging twice")
	// Unacknowledging resumes at once at step 1 (none fired yet).
	a, err = act(store.ActUnacknowledge, "user:ana", at.Add(3*time.Minute))
	must(t, err, "unacknowledge")
	if a.State != store.AlertOpen || a.AcknowledgedBy != "" || !a.AcknowledgedAt.IsZero() {
		t.Errorf("unacknowledged alert = %+v", a)
	}
	if got := timerKinds(t, s, id); !slices.Contains(got, "step/1/0@01:03:00") {
		t.Errorf("timers after unacknowledging = %v, want step 1 at once", got)
	}
	_, err = act(store.ActUnacknowledge, "user:ana", at.Add(3*time.Minute))
	wantCode(t, err, errs.ECONFLICT, "unacknowledging an open alert")
	// Snooze: acknowledged until then, with a timer to end it.
	_, err = s.Act(ctx, id, store.AlertAct{Kind: store.ActSnooze, Who: "user:bo", At: at.Add(4 * time.Minute), Until: at.Add(4 * time.Minute)})
	wantCode(t, err, errs.EINVALID, "a snooze ending at once")
	a, err = s.Act(ctx, id, store.AlertAct{Kind: store.ActSnooze, Who: "user:bo", At: at.Add(4 * time.Minute), Until: at.Add(time.Hour)})
	must(t, err, "snooze")
	if a.State != store.AlertAcknowledged || !a.SnoozedUntil.Equal(at.Add(time.Hour)) || a.AcknowledgedBy != "user:bo" {
		t.Errorf("snoozed alert = %+v", a)
	}
	if got := timerKinds(t, s, id); slices.Contains(got, "step/1/0@01:03:00") || !slices.Contains(got, "unsnooze/0/0@02:00:00") {
		t.Errorf("timers while snoozed = %v, want no step and the end of the snooze", got)
	}
	// A link works once: the second use does nothing.
	hash := bytes.Repeat([]byte{7}, 32)
	a, err = s.Act(ctx, id, store.AlertAct{Kind: store.ActUnacknowledge, Who: "link:ana", At: at.Add(5 * time.Minute), LinkHash: hash})
	must(t, err, "unacknowledge by link")
	_, err = s.Act(ctx, id, store.AlertAct{Kind: store.ActAcknowledge, Who: "link:ana", At: at.Add(6 * time.Minute), LinkHash: hash})
	wantCode(t, err, errs.ECONFLICT, "a link used twice")
	if a2, _ := s.Alert(ctx, id); a2.State != store.AlertOpen || len(a2.Actions) != len(a.Actions) {
		t.Errorf("a reused link changed the alert: %+v", a2)
	}
	_, err = act("dance", "user:ana", at)
	wantCode(t, err, errs.EINVALID, "an unknown act")
	_, err = act(store.ActAcknowledge, "", at)
	wantCode(t, err, errs.EINVALID, "an act by nobody")
	_, err = s.Act(ctx, id+1000, store.AlertAct{Kind: store.ActAcknowledge, Who: "user:ana", At: at})
	wantCode(t, err, errs.ENOTFOUND, "acting on no alert")
	clk.Set(at.Add(7 * time.Minute))
	a, err = s.Act(ctx, id, store.AlertAct{Kind: store.ActResolve, Who: "user:ana"})
	must(t, err, "resolve")
	if a.State != store.AlertResolved || a.ResolvedBy != "user:ana" || !a.ResolvedAt.Equal(at.Add(7*time.Minute)) {
		t.Errorf("resolved alert = %+v, want resolved by user:ana at the store's now", a)
	}
	_, err = act(store.ActAcknowledge, "user:ana", at.Add(8*time.Minute))
	wantCode(t, err, errs.ECONFLICT, "acknowledging a resolved alert")
	want := []string{"opened by system", "acknowledged by user:ana", "unacknowledged by user:ana", "snoozed by user:bo", "unacknowledged by link:ana", "resolved by user:ana"}
	if got := actionKinds(a); !slices.Equal(got, want) {
		t.Errorf("log = %v, want %v", got, want)
	}
}

func testAlertTimersClaim(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	now := clk.Now()
	const groups = 40
	var cs []store.AlertChange
	for i := range groups {
		cs = append(cs, change(fmt.Sprint("svc", i), "m", true, now.Add(-time.Duration(i)*time.Second)))
	}
	c := change("later", "m", true, now)
	c.FirstStep = now.Add(time.Hour)
	saveChanges(t, s, append(cs, c)...)

	var mu sync.Mutex
	claimed := map[int64]string{}
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	for w := range 4 {
		owner := fmt.Sprint("owner", w)
		wg.Go(func() {
			for {
				got, err := s.ClaimTimers(ctx, owner, now, time.Hour, 3)
				if err != nil {
					errc <- err
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, x := range got {
					if prev, dup := claimed[x.ID]; dup {
						errc <- fmt.Errorf("timer %d claimed by %s and %s", x.ID, prev, owner)
					}
					if x.LeaseOwner != owner {
						errc <- fmt.Errorf("timer %d claimed by %s has lease owner %q", x.ID, owner, x.LeaseOwner)
					}
					claimed[x.ID] = owner
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	if len(claimed) != groups {
		t.Errorf("claimed %d timers, want the %d due ones", len(claimed), groups)
	}
	next, ok, err := s.NextTimerDue(ctx)
	must(t, err, "NextTimerDue")
	if !ok || !next.Equal(now.Add(time.Hour)) {
		t.Errorf("NextTimerDue = %s, %v; want the later timer or the leases, at %s", next, ok, now.Add(time.Hour))
	}
	n, err := s.ReleaseTimerLeases(ctx, "owner0")
	must(t, err, "ReleaseTimerLeases")
	if n != count(claimed, "owner0") {
		t.Errorf("released %d leases, want %d", n, count(claimed, "owner0"))
	}
	again, err := s.ClaimTimers(ctx, "owner9", now, time.Minute, 100)
	must(t, err, "ClaimTimers after release")
	if len(again) != n {
		t.Errorf("claimed %d after the release, want %d", len(again), n)
	}
	// An expired lease is claimable again.
	late, err := s.ClaimTimers(ctx, "owner8", now.Add(2*time.Hour), time.Minute, 1000)
	must(t, err, "ClaimTimers after the leases ended")
	if len(late) != groups+1 {
		t.Errorf("claimed %d timers after every lease ended, want %d", len(late), groups+1)
	}
	for i := 1; i < len(late); i++ {
		if late[i].DueAt.Before(late[i-1].DueAt) {
			t.Fatalf("claimed timers out of order: %s before %s", late[i-1].DueAt, late[i].DueAt)
		}
	}
	_, err = s.ClaimTimers(ctx, "", now, time.Minute, 1)
	wantCode(t, err, errs.EINVALID, "ClaimTimers without owner")
	_, err = s.ClaimTimers(ctx, "x", now, 0, 1)
	wantCode(t, err, errs.EINVALID, "ClaimTimers without lease")
}

func count(m map[int64]string, v string) int {
	n := 0
	for _, x := range m {
		if x == v {
			n++
		}
	}
	return n
}

// testAlertTimerFiring: firing deletes the timer and writes its effects
// together; a timer fired twice (or gone) writes nothing; the same
// notification written by two firings is queued once.
func testAlertTimerFiring(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	now := clk.Now()
	saveChanges(t, s, change("shop", "web", true, now))
	id := active(t, s, "shop").ID
	timers, err := s.ClaimTimers(ctx, "me", now, time.Minute, 10)
	must(t, err, "ClaimTimers")
	if len(timers) != 1 || timers[0].Kind != store.TimerStep || timers[0].Step != 1 || timers[0].AlertID != id {
		t.Fatalf("claimed %+v, want the first step of alert %d", timers, id)
	}
	msg := notify.OutboxMessage{ID: "alert-1-r0-s1-ana-mail", Channel: "mail", Event: notify.Event{Event: notify.EventAlertOpened, MonitorID: "web", AlertID: id, EscalationStep: 1, To: "ana@example.org"}, NextAttempt: now, CreatedAt: now}
	f := store.TimerFiring{
		Timer:   timers[0],
		Outbox:  []notify.OutboxMessage{msg},
		Actions: []store.AlertAction{{Time: now, Kind: store.ActionNotified, Who: "system", Step: 1, Target: "person:ana", Channel: "mail", Address: "ana@example.org"}},
		Next:    []store.AlertTimer{{DueAt: now.Add(15 * time.Minute), Kind: store.TimerStep, Step: 2}},
		Step:    1, UpdatedAt: now,
	}
	must(t, s.FireTimer(ctx, f), "FireTimer")
	wantCode(t, s.FireTimer(ctx, f), errs.ENOTFOUND, "firing the same timer twice")
	a, err := s.Alert(ctx, id)
	must(t, err, "Alert")
	if a.Step != 1 || a.Round != 0 || !a.UpdatedAt.Equal(now) {
		t.Errorf("alert after step 1 = step %d round %d updated %s", a.Step, a.Round, a.UpdatedAt)
	}
	last := a.Actions[len(a.Actions)-1]
	if last.Kind != store.ActionNotified || last.Target != "person:ana" || last.Address != "ana@example.org" || last.Step != 1 {
		t.Errorf("last action = %+v", last)
	}
	if got, want := timerKinds(t, s, id), []string{"step/2/0@10:15:00"}; !slices.Equal(got, want) {
		t.Errorf("timers = %v, want %v", got, want)
	}
	// A later firing that writes the same notification (a replay after a
	// crash) queues it once.
	timers, err = s.ClaimTimers(ctx, "me", now.Add(15*time.Minute), time.Minute, 10)
	must(t, err, "ClaimTimers step 2")
	must(t, s.FireTimer(ctx, store.TimerFiring{Timer: timers[0], Outbox: []notify.OutboxMessage{msg}, Step: 2}), "FireTimer with a queued notification")
	msgs, err := s.OutboxMessages(ctx, "web", store.Page{})
	must(t, err, "OutboxMessages")
	if len(msgs) != 1 || msgs[0].ID != msg.ID || msgs[0].Event.AlertID != id || msgs[0].Event.To != "ana@example.org" {
		t.Errorf("outbox = %+v, want the one notification", msgs)
	}
	// Acknowledging drops a claimed step timer: firing it then writes nothing.
	saveChanges(t, s, change("mail", "smtp", true, now))
	mid := active(t, s, "mail").ID
	timers, err = s.ClaimTimers(ctx, "me", now, time.Minute, 10)
	must(t, err, "ClaimTimers mail")
	if len(timers) != 1 || timers[0].AlertID != mid {
		t.Fatalf("claimed %+v, want the first step of alert %d", timers, mid)
	}
	_, err = s.Act(ctx, mid, store.AlertAct{Kind: store.ActAcknowledge, Who: "user:ana", At: now})
	must(t, err, "acknowledge")
	other := msg
	other.ID = "other"
	wantCode(t, s.FireTimer(ctx, store.TimerFiring{Timer: timers[0], Outbox: []notify.OutboxMessage{other}, Step: 1}), errs.ENOTFOUND, "firing a timer an acknowledgement dropped")
	if msgs, _ := s.OutboxMessages(ctx, "", store.Page{}); len(msgs) != 1 {
		t.Errorf("outbox after a dropped firing = %d messages, want 1", len(msgs))
	}
	// Unsnooze opens the alert again.
	_, err = s.Act(ctx, mid, store.AlertAct{Kind: store.ActSnooze, Who: "user:ana", At: now, Until: now.Add(time.Minute)})
	must(t, err, "snooze")
	timers, err = s.ClaimTimers(ctx, "me", now.Add(time.Minute), time.Minute, 10)
	must(t, err, "ClaimTimers unsnooze")
	var un store.AlertTimer
	for _, x := range timers {
		if x.Kind == store.TimerUnsnooze {
			un = x
		}
	}
	if un.ID == 0 {
		t.Fatalf("claimed %+v, want the end of the snooze", timers)
	}
	must(t, s.FireTimer(ctx, store.TimerFiring{Timer: un, Unsnooze: true, Actions: []store.AlertAction{{Time: now.Add(time.Minute), Kind: store.ActionUnacknowledged, Who: "system", Detail: "the snooze ended"}}}), "FireTimer unsnooze")
	if a, _ := s.Alert(ctx, mid); a.State != store.AlertOpen || !a.SnoozedUntil.IsZero() || a.AcknowledgedBy != "" {
		t.Errorf("alert after the snooze = %+v, want open", a)
	}
	wantCode(t, s.FireTimer(ctx, store.TimerFiring{Timer: store.AlertTimer{ID: un.ID + 999}, Outbox: []notify.OutboxMessage{{ID: "", Channel: "x"}}}), errs.EINVALID, "FireTimer with a message without id")
}

func testAlertHostileText(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	at := base.Add(time.Hour)
	c := store.AlertChange{GroupKey: bad("svc"), MonitorID: bad("mon"), ServiceID: bad("svc"), PolicyID: bad("p"), Down: true, Time: at, Reason: bad("why"), FirstStep: at}
	neighbour := change("plain", "web", true, at)
	saveChanges(t, s, c, neighbour)
	for _, key := range []string{bad("svc"), fixed("svc")} {
		a := active(t, s, key)
		if a.GroupKey != fixed("svc") || a.PolicyID != fixed("p") || len(a.Monitors) != 1 || a.Monitors[0].MonitorID != fixed("mon") || a.Monitors[0].Reason != fixed("why") {
			t.Errorf("hostile alert looked up by %q = %+v", key, a)
		}
	}
	active(t, s, "plain")
	a, err := s.Act(ctx, active(t, s, fixed("svc")).ID, store.AlertAct{Kind: store.ActAcknowledge, Who: bad("user:ana"), At: at})
	must(t, err, "acknowledge by a hostile name")
	if a.AcknowledgedBy != fixed("user:ana") {
		t.Errorf("acknowledged by %q, want %q", a.AcknowledgedBy, fixed("user:ana"))
	}
	timers, err := s.ClaimTimers(ctx, bad("owner"), clk.Now(), time.Minute, 10)
	must(t, err, "ClaimTimers by a hostile owner")
	if len(timers) == 0 {
		t.Fatal("no timer claimed")
	}
	must(t, s.FireTimer(ctx, store.TimerFiring{Timer: timers[0], Actions: []store.AlertAction{{Time: at, Kind: store.ActionProblem, Who: "system", Target: bad("person:x"), Detail: bad("no contact")}},
		Next: []store.AlertTimer{{DueAt: at, Kind: store.TimerContact, Payload: bad(`{"x":1}`)}}}), "FireTimer with hostile text")
	if n, err := s.ReleaseTimerLeases(ctx, bad("owner")); err != nil || n == 0 && len(timers) > 1 {
		t.Errorf("ReleaseTimerLeases by a hostile owner = %d, %v", n, err)
	}
}

func testAlertSecret(t *testing.T, s store.Store, _ *Clock) {
	ctx := t.Context()
	a, err := s.Secret(ctx, "links", 32)
	must(t, err, "Secret")
	if len(a) != 32 || bytes.Equal(a, make([]byte, 32)) {
		t.Errorf("Secret = %x, want 32 random bytes", a)
	}
	b, err := s.Secret(ctx, "links", 32)
	must(t, err, "Secret again")
	if !bytes.Equal(a, b) {
		t.Error("Secret changed between two reads")
	}
	c, err := s.Secret(ctx, "other", 32)
	must(t, err, "Secret other")
	if bytes.Equal(a, c) {
		t.Error("two secrets are the same")
	}
	_, err = s.Secret(ctx, "x", 0)
	wantCode(t, err, errs.EINVALID, "Secret of size 0")
}

// testAlertReleased: a failure put down to a dependency joins its alert as
// impacted; when the dependency recovers, a Released change moves it out
// (resolving the dependency's alert) and opens its own; a Released change
// for a monitor in no such alert does nothing.
func testAlertReleased(t *testing.T, s store.Store, _ *Clock) {
	ctx := t.Context()
	at := base.Add(time.Hour)
	impacted := change("db", "shop-web", true, at)
	impacted.ServiceID, impacted.ImpactedBy = "shop", "service:db"
	saveChanges(t, s, change("db", "db1", true, at), impacted)
	db := active(t, s, "db")
	if len(db.Monitors) != 2 || db.Monitors[1].ImpactedBy != "service:db" {
		t.Fatalf("db alert = %+v", db.Monitors)
	}
	own := change("shop", "shop-web", true, at.Add(time.Minute))
	own.Released = "service:db"
	stray := change("mail", "smtp", true, at.Add(time.Minute))
	stray.Released = "service:db"
	saveChanges(t, s, change("db", "db1", false, at.Add(time.Minute)), own, stray)
	a, err := s.Alert(ctx, db.ID)
	must(t, err, "Alert")
	if a.State != store.AlertResolved {
		t.Errorf("db alert after the release = %s, want resolved", a.State)
	}
	if got := active(t, s, "shop"); len(got.Monitors) != 1 || got.Monitors[0].MonitorID != "shop-web" || got.Monitors[0].ImpactedBy != "" {
		t.Errorf("shop alert = %+v", got.Monitors)
	}
	_, err = s.ActiveAlert(ctx, "mail")
	wantCode(t, err, errs.ENOTFOUND, "a release of a monitor in no impacted alert")
}

// testAlertConcurrentAcks: people acknowledging one alert at once: exactly
// one succeeds, the others are told it is acknowledged already.
func testAlertConcurrentAcks(t *testing.T, s store.Store, _ *Clock) {
	ctx := t.Context()
	saveChanges(t, s, change("shop", "web", true, base.Add(time.Hour)))
	id := active(t, s, "shop").ID
	var wg sync.WaitGroup
	results := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			_, err := s.Act(ctx, id, store.AlertAct{Kind: store.ActAcknowledge, Who: fmt.Sprint("user:u", i), At: base.Add(2 * time.Hour)})
			results <- err
		})
	}
	wg.Wait()
	close(results)
	ok := 0
	for err := range results {
		switch errs.Code(err) {
		case "":
			ok++
		case errs.ECONFLICT:
		default:
			t.Errorf("concurrent acknowledgement: %v", err)
		}
	}
	a, err := s.Alert(ctx, id)
	must(t, err, "Alert")
	acks := 0
	for _, x := range a.Actions {
		if x.Kind == store.ActionAcknowledged {
			acks++
		}
	}
	if ok != 1 || acks != 1 {
		t.Errorf("%d acknowledgements succeeded and %d were logged, want 1 and 1", ok, acks)
	}
}

// testAlertFireWhileResolving: a person resolving alerts while their
// escalation steps fire never fails: one of the two goes first, the other
// finds the timer gone or the alert resolved. (Taking the locks in two
// orders deadlocked on PostgreSQL.)
func testAlertFireWhileResolving(t *testing.T, s store.Store, _ *Clock) {
	ctx := t.Context()
	at := base.Add(time.Hour)
	const n = 40
	for i := range n {
		saveChanges(t, s, change(fmt.Sprint("race", i), "m", true, at))
	}
	timers, err := s.ClaimTimers(ctx, "me", at, time.Minute, 1000)
	must(t, err, "ClaimTimers")
	if len(timers) < n {
		t.Fatalf("claimed %d timers, want at least %d", len(timers), n)
	}
	var wg sync.WaitGroup
	results := make(chan error, 2*len(timers))
	for _, tm := range timers {
		wg.Go(func() {
			results <- s.FireTimer(ctx, store.TimerFiring{Timer: tm, Step: 1, UpdatedAt: at,
				Actions: []store.AlertAction{{Time: at, Kind: store.ActionNotified, Who: "system", Step: 1}},
				Next:    []store.AlertTimer{{DueAt: at.Add(time.Minute), Kind: store.TimerStep, Step: 2}}})
		})
		wg.Go(func() {
			_, err := s.Act(ctx, tm.AlertID, store.AlertAct{Kind: store.ActResolve, Who: "user:ana", At: at})
			results <- err
		})
	}
	wg.Wait()
	close(results)
	for err := range results {
		switch errs.Code(err) {
		case "", errs.ENOTFOUND, errs.ECONFLICT:
		default:
			t.Errorf("resolving while a step fires: %v", err)
		}
	}
	for _, tm := range timers {
		a, err := s.Alert(ctx, tm.AlertID)
		must(t, err, "Alert")
		if a.State != store.AlertResolved {
			t.Errorf("alert %d is %s, want resolved", a.ID, a.State)
		}
	}
}

// testAlertPrune: Prune deletes alerts resolved before its rollup bound,
// with their log; active and recent ones stay.
func testAlertPrune(t *testing.T, s store.Store, _ *Clock) {
	ctx := t.Context()
	at := base.Add(time.Hour)
	saveChanges(t, s, change("old", "a", true, at), change("live", "b", true, at))
	old := active(t, s, "old").ID
	saveChanges(t, s, change("old", "a", false, at.Add(time.Minute)))
	saveChanges(t, s, change("recent", "c", true, at), change("recent", "c", false, at.Add(3*time.Hour)))
	_, err := s.Prune(ctx, at, at.Add(2*time.Hour))
	must(t, err, "Prune")
	_, err = s.Alert(ctx, old)
	wantCode(t, err, errs.ENOTFOUND, "an alert resolved before the bound")
	if ts, err := s.AlertTimers(ctx, old); err != nil || len(ts) != 0 {
		t.Errorf("timers of a pruned alert = %v, %v", ts, err)
	}
	active(t, s, "live")
	if list, err := s.Alerts(ctx, store.AlertResolved, store.Page{}); err != nil || len(list) != 1 || list[0].GroupKey != "recent" {
		t.Errorf("resolved alerts after Prune = %+v, %v; want the recent one", list, err)
	}
}
