// Package storetest is the conformance suite every store.Store
// implementation passes, and helpers for tests that need a real database.
package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
)

// Clock is a settable clock for the store under test.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock reading t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Add moves the clock on by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Opener returns a fresh, empty store for one test, reading the current time
// from now. The store must be closed by the opener's own t.Cleanup.
type Opener func(t *testing.T, now func() time.Time) store.Store

// base is the suite's reference time: a Monday, on the hour.
var base = time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC)

// Run runs the conformance suite against stores made by open.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store, clk *Clock)
	}{
		{"ResultsRoundTrip", testResultsRoundTrip},
		{"ResultsPaging", testResultsPaging},
		{"SameMillisecond", testSameMillisecond},
		{"StatesAndTransitions", testStatesAndTransitions},
		{"BatchAtomicity", testBatchAtomicity},
		{"OutboxLifecycle", testOutboxLifecycle},
		{"OutboxBatchedAttempts", testOutboxBatchedAttempts},
		{"OutboxClaimAroundBusyChannels", testOutboxClaimAroundBusyChannels},
		{"OutboxListing", testOutboxListing},
		{"ChannelMessages", testChannelMessages},
		{"ClaimExclusive", testClaimExclusive},
		{"RoutedWork", testRoutedWork},
		{"RoutedTakenOnce", testRoutedTakenOnce},
		{"RoutedWaiting", testRoutedWaiting},
		{"Rollup", testRollup},
		{"Uptime", testUptime},
		{"Latency", testLatency},
		{"Prune", testPrune},
		{"Users", testUsers},
		{"Sessions", testSessions},
		{"APITokens", testAPITokens},
		{"MailProbes", testMailProbes},
		{"PingsRoundTrip", testPingsRoundTrip},
		{"PingsPagingAndPrune", testPingsPagingAndPrune},
		{"HeartbeatStates", testHeartbeatStates},
		{"StoredHeartbeats", testStoredHeartbeats},
		{"ConcurrentPingBatches", testConcurrentPingBatches},
		{"HostileText", testHostileText},
		{"RefusedRows", testRefusedRows},
		{"RefusedPings", testRefusedPings},
		{"RefusedAttempt", testRefusedAttempt},
		{"ChannelTests", testChannelTests},
		{"ChannelAttempts", testChannelAttempts},
		{"CalendarTokens", testCalendarTokens},
		{"StatusOverrides", testStatusOverrides}, {"DailyUptime", testDailyUptime},
		{"MaintenanceWindows", testMaintenanceWindows}, {"Silences", testSilences}, {"RecurringMaintenance", testRecurringMaintenance},
		{"Changes", testChanges}, {"ConcurrentChanges", testConcurrentChanges},
		{"Postmortems", testPostmortems}, {"Subscribers", testSubscribers},
		{"FollowUps", testFollowUps}, {"FollowUpReminders", testFollowUpReminders},
		{"Agents", testAgents}, {"Baselines", testBaselines},
		{"StoredMonitors", testStoredMonitors},
		{"Audit", testAudit}, {"ConcurrentAudit", testConcurrentAudit},
		{"LastAdmin", testLastAdmin}, {"ConcurrentLastAdmin", testConcurrentLastAdmin},
	}
	tests = append(tests, resultStorageTests...)
	tests = append(tests, packedResultTests...)
	tests = append(tests, alertTests...)
	tests = append(tests, incidentTests...)
	tests = append(tests, feedTests...)
	tests = append(tests, replicaTests...)
	tests = append(tests, stateSinceTests...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clk := NewClock(base.Add(10 * time.Hour))
			s := open(t, clk.Now)
			if err := s.Ping(t.Context()); err != nil {
				t.Fatalf("Ping: %v", err)
			}
			tc.fn(t, s, clk)
		})
	}
}

func must(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func wantCode(t *testing.T, err error, code, what string) {
	t.Helper()
	if got := errs.Code(err); got != code {
		t.Fatalf("%s: error %v has code %q, want %q", what, err, got, code)
	}
}

func result(id string, at time.Time, st probe.Status, dur time.Duration) probe.Result {
	return probe.Result{MonitorID: id, Time: at, Status: st, Duration: dur, Reason: st.String() + " reason"}
}

func save(t *testing.T, s store.Store, rs ...probe.Result) {
	t.Helper()
	must(t, s.SaveBatch(t.Context(), store.Batch{Results: rs}), "SaveBatch")
}

func testResultsRoundTrip(t *testing.T, s store.Store, _ *Clock) {
	ctx := t.Context()
	at := base.Add(time.Hour + 123456789*time.Nanosecond)
	full := probe.Result{
		MonitorID: "web", Time: at, Duration: 38*time.Millisecond + 1234*time.Nanosecond,
		Status: probe.Critical, Reason: "GET https://x/: 503, expected 200",
		Timing:     probe.Timing{DNS: 1 * time.Millisecond, Connect: 2 * time.Millisecond, TLS: 3 * time.Millisecond, FirstByte: 30 * time.Millisecond},
		CertExpiry: time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC),
		Metrics: []probe.Metric{
			{Name: "status_code", Value: 503},
			{Name: "size", Value: 1.5e3, Unit: "B", Warn: "10:", Crit: "5:", Min: "0", Max: "1e6"},
			{Name: "odd name=% \x1f", Value: -0.25},
		},
	}
	ok := probe.Result{MonitorID: "web", Time: at.Add(time.Minute), Duration: 12 * time.Millisecond, Status: probe.OK, Reason: "200 OK in 12ms"}
	warn := probe.Result{MonitorID: "web", Time: at.Add(2 * time.Minute), Duration: time.Second, Status: probe.Warning, Reason: "slow: 1s"}
	other := result("db", at, probe.OK, time.Millisecond)
	save(t, s, full, ok, warn, other)

	got, err := s.Results(ctx, "web", store.Page{})
	must(t, err, "Results")
	wantFull := full
	wantFull.Time = at.Truncate(time.Millisecond)
	wantFull.Duration = full.Duration.Truncate(time.Microsecond)
	wantOK := ok
	wantOK.Reason = "" // OK results keep no reason
	want := []store.StoredResult{
		{ID: warn.Time.UnixMilli(), Result: probe.Result{MonitorID: "web", Time: warn.Time.Truncate(time.Millisecond), Duration: time.Second, Status: probe.Warning, Reason: "slow: 1s"}},
		{ID: ok.Time.UnixMilli(), Result: probe.Result{MonitorID: "web", Time: ok.Time.Truncate(time.Millisecond), Duration: 12 * time.Millisecond, Status: probe.OK}},
		{ID: full.Time.UnixMilli(), Result: wantFull},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Results(web) mismatch (-want +got):\n%s", diff)
	}
	for _, r := range got {
		if r.Time.Location() != time.UTC {
			t.Errorf("result time %v is not UTC", r.Time)
		}
	}
	none, err := s.Results(ctx, "nope", store.Page{})
	must(t, err, "Results(unknown)")
	if len(none) != 0 {
		t.Errorf("Results(unknown) = %d results, want 0", len(none))
	}
}

func testResultsPaging(t *testing.T, s store.Store, _ *Clock) {
	ctx := t.Context()
	var rs []probe.Result
	for i := range 1100 {
		rs = append(rs, result("m", base.Add(time.Duration(i)*time.Second), probe.OK, time.Millisecond))
	}
	save(t, s, rs...)

	page, err := s.Results(ctx, "m", store.Page{})
	must(t, err, "Results")
	if len(page) != 50 {
		t.Fatalf("default page has %d results, want 50", len(page))
	}
	if want := base.Add(1099 * time.Second).UnixMilli(); page[0].ID != want {
		t.Errorf("first result ID = %d, want the newest %d", page[0].ID, want)
	}
	big, err := s.Results(ctx, "m", store.Page{Limit: 5000})
	must(t, err, "Results(limit 5000)")
	if len(big) != 1000 {
		t.Errorf("limit 5000 returned %d results, want 1000 (clamped)", len(big))
	}
	// Walk the whole listing with Before and check every result appears once.
	var seen []int64
	before := int64(0)
	for {
		p, err := s.Results(ctx, "m", store.Page{Limit: 300, Before: before})
		must(t, err, "Results page")
		if len(p) == 0 {
			break
		}
		for _, r := range p {
			if before != 0 && r.ID >= before {
				t.Fatalf("result %d is not before %d", r.ID, before)
			}
			seen = append(seen, r.ID)
		}
		before = p[len(p)-1].ID
	}
	if len(seen) != 1100 || !slices.IsSortedFunc(seen, func(a, b int64) int { return int(b - a) }) {
		t.Errorf("paging saw %d results (sorted newest first: %v), want 1100", len(seen), slices.IsSortedFunc(seen, func(a, b int64) int { return int(b - a) }))
	}
	// Before is exclusive.
	p, err := s.Results(ctx, "m", store.Page{Limit: 1, Before: base.Add(10 * time.Second).UnixMilli()})
	must(t, err, "Results(before)")
	if len(p) != 1 || !p[0].Time.Equal(base.Add(9*time.Second)) {
		t.Errorf("Results(before 10s) = %v, want the result at 9s", p)
	}
}

func testSameMillisecond(t *testing.T, s store.Store, _ *Clock) {
	ctx := t.Context()
	at := base.Add(time.Hour)
	save(t, s, result("m", at, probe.OK, time.Millisecond), result("m", at, probe.Critical, 2*time.Millisecond))
	save(t, s, result("m", at, probe.Warning, 3*time.Millisecond))
	got, err := s.Results(ctx, "m", store.Page{})
	must(t, err, "Results")
	if len(got) != 3 {
		t.Fatalf("stored %d of 3 results that started in the same millisecond", len(got))
	}
	var durs []time.Duration
	for i, r := range got {
		durs = append(durs, r.Duration)
		if i > 0 && r.ID >= got[i-1].ID {
			t.Errorf("result IDs %d, %d are not strictly decreasing", got[i-1].ID, r.ID)
		}
	}
	slices.Sort(durs)
	if diff := cmp.Diff([]time.Duration{time.Millisecond, 2 * time.Millisecond, 3 * time.Millisecond}, durs); diff != "" {
		t.Errorf("durations (-want +got):\n%s", diff)
	}
}

func testStatesAndTransitions(t *testing.T, s store.Store, _ *Clock) {
	ctx := t.Context()
	st1 := monitor.State{Status: monitor.StatusDown, Since: base, ConsecutiveFailures: 3, LastResultAt: base, LastStatus: probe.Critical, LastReason: "down", Recent: "oof"}
	tr := func(id string, i int) monitor.Transition {
		at := base.Add(time.Duration(i) * time.Minute)
		return monitor.Transition{MonitorID: id, From: monitor.StatusUp, To: monitor.StatusDown, Time: at, Reason: fmt.Sprint("reason ", i),
			Result: probe.Result{MonitorID: id, Time: at, Status: probe.Critical, Reason: "boom"}}
	}
	must(t, s.SaveBatch(ctx, store.Batch{States: map[string]monitor.State{"a": st1, "b": {Status: monitor.StatusUp, Since: base}}, Transitions: []monitor.Transition{tr("a", 0), tr("b", 1)}}), "SaveBatch 1")
	st2 := st1
	st2.Status, st2.Flapping = monitor.StatusUp, true
	flap := tr("a", 2)
	flap.From, flap.To, flap.Flapping = monitor.StatusUp, monitor.StatusUp, true
	must(t, s.SaveBatch(ctx, store.Batch{States: map[string]monitor.State{"a": st2}, Transitions: []monitor.Transition{flap, tr("a", 3)}}), "SaveBatch 2")

	states, err := s.MonitorStates(ctx)
	must(t, err, "MonitorStates")
	if diff := cmp.Diff(map[string]monitor.State{"a": st2, "b": {Status: monitor.StatusUp, Since: base}}, states); diff != "" {
		t.Errorf("MonitorStates (-want +got):\n%s", diff)
	}
	all, err := s.Transitions(ctx, "", store.Page{})
	must(t, err, "Transitions(all)")
	if len(all) != 4 {
		t.Fatalf("Transitions(all) = %d, want 4", len(all))
	}
	want := tr("a", 3)
	if diff := cmp.Diff(want, all[0].Transition); diff != "" {
		t.Errorf("newest transition (-want +got):\n%s", diff)
	}
	a, err := s.Transitions(ctx, "a", store.Page{})
	must(t, err, "Transitions(a)")
	if len(a) != 3 || !a[1].Flapping || a[1].From != a[1].To {
		t.Errorf("Transitions(a) = %+v, want 3 with the flapping start in the middle", a)
	}
	p, err := s.Transitions(ctx, "a", store.Page{Limit: 1, Before: a[0].ID})
	must(t, err, "Transitions(a, before)")
	if len(p) != 1 || p[0].ID != a[1].ID {
		t.Errorf("Transitions(a, before %d) = %v, want ID %d", a[0].ID, p, a[1].ID)
	}
}

func message(id, channel, monitorID string, next time.Time) notify.OutboxMessage {
	return notify.OutboxMessage{ID: id, Channel: channel, NextAttempt: next, CreatedAt: next,
		Event: notify.Event{ID: id, Event: "monitor.down", MonitorID: monitorID, Status: "down", Reason: "boom", Time: next}}
}

func testBatchAtomicity(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	now := clk.Now()
	must(t, s.SaveBatch(ctx, store.Batch{Outbox: []notify.OutboxMessage{message("n1", "ops", "m", now)}}), "SaveBatch")
	bad := []store.Batch{
		{ // duplicate inside the batch
			Results:     []probe.Result{result("m", now, probe.Critical, time.Millisecond)},
			States:      map[string]monitor.State{"m": {Status: monitor.StatusDown}},
			Transitions: []monitor.Transition{{MonitorID: "m", From: monitor.StatusUp, To: monitor.StatusDown, Time: now}},
			Outbox:      []notify.OutboxMessage{message("n2", "ops", "m", now), message("n2", "ops", "m", now)},
		},
		{ // duplicate of a stored message
			Results:     []probe.Result{result("m", now, probe.Critical, time.Millisecond)},
			States:      map[string]monitor.State{"m": {Status: monitor.StatusDown}},
			Transitions: []monitor.Transition{{MonitorID: "m", From: monitor.StatusUp, To: monitor.StatusDown, Time: now}},
			Outbox:      []notify.OutboxMessage{message("n3", "ops", "m", now), message("n1", "ops", "m", now)},
		},
	}
	for i, b := range bad {
		err := s.SaveBatch(ctx, b)
		wantCode(t, err, errs.ECONFLICT, fmt.Sprintf("SaveBatch with duplicate notification #%d", i))
	}
	rs, err := s.Results(ctx, "m", store.Page{})
	must(t, err, "Results")
	states, err := s.MonitorStates(ctx)
	must(t, err, "MonitorStates")
	trs, err := s.Transitions(ctx, "", store.Page{})
	must(t, err, "Transitions")
	depth, err := s.OutboxDepth(ctx)
	must(t, err, "OutboxDepth")
	if len(rs) != 0 || len(states) != 0 || len(trs) != 0 || depth != 1 {
		t.Errorf("failed batches left %d results, %d states, %d transitions, outbox depth %d; want 0, 0, 0, 1", len(rs), len(states), len(trs), depth)
	}
	// The same id on another channel is a different message.
	must(t, s.SaveBatch(ctx, store.Batch{Outbox: []notify.OutboxMessage{message("n1", "email", "m", now)}}), "SaveBatch other channel")
	wantCode(t, s.SaveBatch(ctx, store.Batch{Results: []probe.Result{{Time: now}}}), errs.EINVALID, "SaveBatch without monitor id")
	must(t, s.SaveBatch(ctx, store.Batch{}), "SaveBatch(empty)")
}

func testOutboxLifecycle(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	now := clk.Now()
	must(t, s.SaveBatch(ctx, store.Batch{Outbox: []notify.OutboxMessage{
		message("due1", "ops", "m", now.Add(-2*time.Minute)),
		message("due2", "ops", "m", now.Add(-time.Minute)),
		message("later", "ops", "m", now.Add(time.Hour)),
	}}), "SaveBatch")
	if d, err := s.OutboxDepth(ctx); err != nil || d != 3 {
		t.Fatalf("OutboxDepth = %d, %v; want 3", d, err)
	}
	next, ok, err := s.NextDue(ctx)
	must(t, err, "NextDue")
	if !ok || !next.Equal(now.Add(-2*time.Minute)) {
		t.Errorf("NextDue = %v, %v; want %v", next, ok, now.Add(-2*time.Minute))
	}

	got, err := s.ClaimDue(ctx, "r1", now, time.Minute, 10)
	must(t, err, "ClaimDue")
	if diff := cmp.Diff([]string{"due1", "due2"}, msgIDs(got)); diff != "" {
		t.Fatalf("ClaimDue (-want +got):\n%s", diff)
	}
	if got[0].Event.MonitorID != "m" || got[0].State != "pending" || got[0].Seq == 0 {
		t.Errorf("claimed message = %+v", got[0])
	}
	again, err := s.ClaimDue(ctx, "r2", now.Add(59*time.Second), time.Minute, 10)
	must(t, err, "ClaimDue during lease")
	if len(again) != 0 {
		t.Errorf("ClaimDue during the lease handed out %v again", msgIDs(again))
	}
	if next, ok, err := s.NextDue(ctx); err != nil || !ok || !next.Equal(now.Add(time.Minute)) {
		t.Errorf("NextDue while leased = %v, %v, %v; want the lease end %v", next, ok, err, now.Add(time.Minute))
	}
	// due2's lease runs out: another owner may take it.
	expired, err := s.ClaimDue(ctx, "r2", now.Add(time.Minute), time.Minute, 1)
	must(t, err, "ClaimDue after lease")
	if diff := cmp.Diff([]string{"due1"}, msgIDs(expired)); diff != "" {
		t.Errorf("ClaimDue after the lease, limit 1 (-want +got):\n%s", diff)
	}
	// A restarted owner releases what its previous run held, so due1 is
	// claimable at once instead of when the lease runs out.
	if n, err := s.ReleaseLeases(ctx, "nobody"); err != nil || n != 0 {
		t.Errorf("ReleaseLeases(nobody) = %d, %v; want 0", n, err)
	}
	if n, err := s.ReleaseLeases(ctx, "r2"); err != nil || n != 1 {
		t.Errorf("ReleaseLeases(r2) = %d, %v; want 1", n, err)
	}
	retaken, err := s.ClaimDue(ctx, "r2", now.Add(time.Minute), time.Minute, 1)
	must(t, err, "ClaimDue after ReleaseLeases")
	if diff := cmp.Diff([]string{"due1"}, msgIDs(retaken)); diff != "" {
		t.Errorf("ClaimDue after ReleaseLeases (-want +got):\n%s", diff)
	}

	// A retry releases the lease and schedules the next attempt.
	retryAt := now.Add(5 * time.Minute)
	must(t, s.RecordAttempt(ctx, notify.Attempt{MessageID: "due1", Channel: "ops", Time: now.Add(time.Minute), Duration: 150 * time.Millisecond, Error: "503", Outcome: "retry"}, retryAt), "RecordAttempt retry")
	if c, err := s.ClaimDue(ctx, "r3", retryAt.Add(-time.Millisecond), time.Minute, 10); err != nil || slices.Contains(msgIDs(c), "due1") {
		t.Errorf("ClaimDue before the retry time = %v, %v; want no due1", msgIDs(c), err)
	}
	c, err := s.ClaimDue(ctx, "r3", retryAt, time.Minute, 10)
	must(t, err, "ClaimDue at retry")
	if !slices.Contains(msgIDs(c), "due1") {
		t.Fatalf("ClaimDue at the retry time = %v, want due1", msgIDs(c))
	}
	for _, m := range c {
		if m.ID == "due1" && (m.Attempts != 1 || m.LastError != "503" || !m.NextAttempt.Equal(retryAt)) {
			t.Errorf("retried message = %+v, want 1 attempt, last error 503, next %v", m, retryAt)
		}
	}
	must(t, s.RecordAttempt(ctx, notify.Attempt{MessageID: "due1", Channel: "ops", Time: retryAt, Outcome: "sent"}, time.Time{}), "RecordAttempt sent")
	must(t, s.RecordAttempt(ctx, notify.Attempt{MessageID: "due2", Channel: "ops", Time: retryAt, Error: "400 bad request", Outcome: "failed"}, time.Time{}), "RecordAttempt failed")
	if d, err := s.OutboxDepth(ctx); err != nil || d != 1 {
		t.Errorf("OutboxDepth after sent and failed = %d, %v; want 1", d, err)
	}
	if c, err := s.ClaimDue(ctx, "r4", now.Add(2*time.Hour), time.Minute, 10); err != nil || !slices.Equal(msgIDs(c), []string{"later"}) {
		t.Errorf("ClaimDue much later = %v, %v; want only later (sent and failed are done)", msgIDs(c), err)
	}

	wantCode(t, s.RecordAttempt(ctx, notify.Attempt{MessageID: "nope", Channel: "ops", Outcome: "sent"}, time.Time{}), errs.ENOTFOUND, "RecordAttempt(unknown)")
	wantCode(t, s.RecordAttempt(ctx, notify.Attempt{MessageID: "later", Channel: "ops", Outcome: "maybe"}, time.Time{}), errs.EINVALID, "RecordAttempt(bad outcome)")

	atts, err := s.Attempts(ctx, "", store.Page{})
	must(t, err, "Attempts")
	if len(atts) != 3 {
		t.Fatalf("Attempts = %d, want 3", len(atts))
	}
	want := notify.Attempt{ID: atts[2].ID, MessageID: "due1", Channel: "ops", MonitorID: "m", Event: "monitor.down", Time: now.Add(time.Minute), Duration: 150 * time.Millisecond, Error: "503", Outcome: "retry"}
	if diff := cmp.Diff(want, atts[2]); diff != "" {
		t.Errorf("oldest attempt (-want +got):\n%s", diff)
	}
	if atts[0].Outcome != "failed" || atts[1].Outcome != "sent" {
		t.Errorf("attempts are not newest first: %+v", atts)
	}
	p, err := s.Attempts(ctx, "m", store.Page{Limit: 1, Before: atts[0].ID})
	must(t, err, "Attempts(m, before)")
	if len(p) != 1 || p[0].ID != atts[1].ID {
		t.Errorf("Attempts(m, before %d) = %+v, want ID %d", atts[0].ID, p, atts[1].ID)
	}
	if p, err := s.Attempts(ctx, "other", store.Page{}); err != nil || len(p) != 0 {
		t.Errorf("Attempts(other) = %v, %v; want none", p, err)
	}
}

func msgIDs(ms []notify.OutboxMessage) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

func testOutboxListing(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	now := clk.Now()
	var msgs []notify.OutboxMessage
	for i := range 7 {
		mon := "a"
		if i%2 == 1 {
			mon = "b"
		}
		msgs = append(msgs, message(fmt.Sprint("n", i), "ops", mon, now.Add(time.Duration(i)*time.Second)))
	}
	must(t, s.SaveBatch(ctx, store.Batch{Outbox: msgs}), "SaveBatch")
	all, err := s.OutboxMessages(ctx, "", store.Page{})
	must(t, err, "OutboxMessages")
	if diff := cmp.Diff([]string{"n6", "n5", "n4", "n3", "n2", "n1", "n0"}, msgIDs(all)); diff != "" {
		t.Errorf("OutboxMessages (-want +got):\n%s", diff)
	}
	want := msgs[6]
	want.Seq, want.State = all[0].Seq, "pending"
	if diff := cmp.Diff(want, all[0]); diff != "" {
		t.Errorf("stored message (-want +got):\n%s", diff)
	}
	a, err := s.OutboxMessages(ctx, "a", store.Page{Limit: 2})
	must(t, err, "OutboxMessages(a)")
	if diff := cmp.Diff([]string{"n6", "n4"}, msgIDs(a)); diff != "" {
		t.Errorf("OutboxMessages(a, 2) (-want +got):\n%s", diff)
	}
	a2, err := s.OutboxMessages(ctx, "a", store.Page{Limit: 2, Before: a[1].Seq})
	must(t, err, "OutboxMessages(a, before)")
	if diff := cmp.Diff([]string{"n2", "n0"}, msgIDs(a2)); diff != "" {
		t.Errorf("OutboxMessages(a, 2, before) (-want +got):\n%s", diff)
	}
}

func testChannelMessages(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	now := clk.Now()
	var msgs []notify.OutboxMessage
	for i, ch := range []string{"inbox", "ops", "inbox", "log", "inbox", "ops"} {
		msgs = append(msgs, message(fmt.Sprint("n", i), ch, "m", now.Add(time.Duration(i)*time.Second)))
	}
	must(t, s.SaveBatch(ctx, store.Batch{Outbox: msgs}), "SaveBatch")
	none, err := s.ChannelMessages(ctx, nil, store.Page{})
	must(t, err, "ChannelMessages(none)")
	if len(none) != 0 {
		t.Errorf("ChannelMessages(no channels) = %v, want none", msgIDs(none))
	}
	in, err := s.ChannelMessages(ctx, []string{"inbox"}, store.Page{Limit: 2})
	must(t, err, "ChannelMessages(inbox)")
	if diff := cmp.Diff([]string{"n4", "n2"}, msgIDs(in)); diff != "" {
		t.Errorf("ChannelMessages(inbox, 2) (-want +got):\n%s", diff)
	}
	want := msgs[4]
	want.Seq, want.State = in[0].Seq, "pending"
	if diff := cmp.Diff(want, in[0]); diff != "" {
		t.Errorf("stored message (-want +got):\n%s", diff)
	}
	in2, err := s.ChannelMessages(ctx, []string{"inbox"}, store.Page{Limit: 2, Before: in[1].Seq})
	must(t, err, "ChannelMessages(inbox, before)")
	if diff := cmp.Diff([]string{"n0"}, msgIDs(in2)); diff != "" {
		t.Errorf("ChannelMessages(inbox, 2, before) (-want +got):\n%s", diff)
	}
	two, err := s.ChannelMessages(ctx, []string{"inbox", "log"}, store.Page{})
	must(t, err, "ChannelMessages(inbox, log)")
	if diff := cmp.Diff([]string{"n4", "n3", "n2", "n0"}, msgIDs(two)); diff != "" {
		t.Errorf("ChannelMessages(inbox, log) (-want +got):\n%s", diff)
	}
}

func testClaimExclusive(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	now := clk.Now()
	const total = 120
	var msgs []notify.OutboxMessage
	for i := range total {
		msgs = append(msgs, message(fmt.Sprint("n", i), "ops", "m", now.Add(-time.Duration(i)*time.Millisecond)))
	}
	must(t, s.SaveBatch(ctx, store.Batch{Outbox: msgs}), "SaveBatch")
	var mu sync.Mutex
	claimed := map[string]string{}
	var wg sync.WaitGroup
	errc := make(chan error, 4)
	for w := range 4 {
		owner := fmt.Sprint("owner", w)
		wg.Go(func() {
			for {
				got, err := s.ClaimDue(ctx, owner, now, time.Hour, 5)
				if err != nil {
					errc <- err
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, m := range got {
					if prev, dup := claimed[m.ID]; dup {
						errc <- fmt.Errorf("message %s claimed by %s and %s", m.ID, prev, owner)
					}
					claimed[m.ID] = owner
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
	if len(claimed) != total {
		t.Errorf("%d of %d messages were claimed", len(claimed), total)
	}
}

// hourOfResults saves results for monitor id every minute of the hour at h,
// with durations 1..60 ms (shuffled) and the given minutes failed.
func hourOfResults(id string, h time.Time, failed ...int) []probe.Result {
	var rs []probe.Result
	for i := range 60 {
		st := probe.OK
		if slices.Contains(failed, i) {
			st = probe.Critical
		}
		dur := time.Duration((i*37)%60+1) * time.Millisecond
		rs = append(rs, result(id, h.Add(time.Duration(i)*time.Minute), st, dur))
	}
	return rs
}

func testRollup(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	h1, h2, h3 := base.Add(time.Hour), base.Add(2*time.Hour), base.Add(3*time.Hour)
	clk.Set(h3.Add(30 * time.Minute))
	var rs []probe.Result
	rs = append(rs, hourOfResults("a", h1, 0, 1, 2)...)
	rs = append(rs, hourOfResults("a", h2)...)
	rs = append(rs, hourOfResults("a", h3)[:30]...) // the current hour
	rs = append(rs, result("b", h2.Add(10*time.Minute), probe.Warning, 5*time.Millisecond), result("b", h2.Add(20*time.Minute), probe.Unknown, 7*time.Millisecond))
	save(t, s, rs...)

	// until in the future: only complete hours before now are rolled up.
	must(t, s.Rollup(ctx, h3.Add(5*time.Hour)), "Rollup")
	got, err := s.Rollups(ctx, "a", base, h3.Add(2*time.Hour))
	must(t, err, "Rollups(a)")
	// Durations 1..60 ms: nearest-rank p50 = 30, p95 = 57, p99 = 60.
	ms := time.Millisecond
	want := []store.HourlyRollup{
		{MonitorID: "a", Hour: h1, Total: 60, Failed: 3, P50: 30 * ms, P95: 57 * ms, P99: 60 * ms, Max: 60 * ms},
		{MonitorID: "a", Hour: h2, Total: 60, Failed: 0, P50: 30 * ms, P95: 57 * ms, P99: 60 * ms, Max: 60 * ms},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Rollups(a) (-want +got):\n%s", diff)
	}
	gotB, err := s.Rollups(ctx, "b", base, h3)
	must(t, err, "Rollups(b)")
	wantB := []store.HourlyRollup{{MonitorID: "b", Hour: h2, Total: 2, Failed: 1, P50: 5 * ms, P95: 7 * ms, P99: 7 * ms, Max: 7 * ms}}
	if diff := cmp.Diff(wantB, gotB); diff != "" {
		t.Errorf("Rollups(b) (-want +got):\n%s", diff)
	}

	// Idempotent: a late result for a rolled-up hour changes nothing, and
	// running again (as another replica would) adds nothing.
	save(t, s, result("a", h2.Add(90*time.Second), probe.Critical, time.Second))
	must(t, s.Rollup(ctx, h3), "Rollup again")
	must(t, s.Rollup(ctx, h3), "Rollup a third time")
	again, err := s.Rollups(ctx, "a", base, h3.Add(2*time.Hour))
	must(t, err, "Rollups(a) again")
	if diff := cmp.Diff(want, again); diff != "" {
		t.Errorf("Rollups(a) after rerun (-want +got):\n%s", diff)
	}
	if r, err := s.Rollups(ctx, "a", h2, h3); err != nil || len(r) != 1 || !r[0].Hour.Equal(h2) {
		t.Errorf("Rollups(a, [h2, h3)) = %v, %v; want just h2", r, err)
	}

	// Once the hour is over it is rolled up too.
	clk.Set(h3.Add(61 * time.Minute))
	must(t, s.Rollup(ctx, clk.Now().Truncate(time.Hour)), "Rollup next hour")
	if r, err := s.Rollups(ctx, "a", h3, h3.Add(time.Hour)); err != nil || len(r) != 1 || r[0].Total != 30 {
		t.Errorf("Rollups(a, h3) = %v, %v; want one rollup of 30 results", r, err)
	}
	if r, err := s.Rollups(ctx, "nope", base, h3); err != nil || len(r) != 0 {
		t.Errorf("Rollups(unknown) = %v, %v; want none", r, err)
	}
}

// countUptime is the reference: results in [since, now).
func countUptime(rs []probe.Result, since, now time.Time) store.Uptime {
	var u store.Uptime
	for _, r := range rs {
		if !r.Time.Before(since) && r.Time.Before(now) {
			u.Total++
			if r.Failed() {
				u.Failed++
			}
		}
	}
	return u
}

func testUptime(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	now := base.Add(5*time.Hour + 30*time.Minute)
	clk.Set(now)
	var rs []probe.Result
	for i := range 5 {
		rs = append(rs, hourOfResults("a", base.Add(time.Duration(i)*time.Hour), i, i+10, i+20)...)
	}
	rs = append(rs, hourOfResults("a", base.Add(5*time.Hour), 1, 2, 3, 4)[:30]...)
	rs = append(rs, hourOfResults("b", base.Add(2*time.Hour), 0)...)
	var ra, rb []probe.Result
	for _, r := range rs {
		if r.MonitorID == "a" {
			ra = append(ra, r)
		} else {
			rb = append(rb, r)
		}
	}
	save(t, s, rs...)

	check := func(stage string) {
		t.Helper()
		for _, since := range []time.Time{base, base.Add(15 * time.Minute), base.Add(2*time.Hour + 7*time.Minute), base.Add(5 * time.Hour), base.Add(5*time.Hour + 10*time.Minute), now.Add(-25 * time.Hour)} {
			got, err := s.Uptime(ctx, "a", since)
			must(t, err, "Uptime")
			if want := countUptime(ra, since, now); got != want {
				t.Errorf("%s: Uptime(a, since %s) = %+v, want %+v", stage, since.Format(time.TimeOnly), got, want)
			}
			all, err := s.UptimeAll(ctx, since)
			must(t, err, "UptimeAll")
			want := map[string]store.Uptime{"a": countUptime(ra, since, now)}
			if u := countUptime(rb, since, now); u.Total > 0 {
				want["b"] = u
			}
			if diff := cmp.Diff(want, all); diff != "" {
				t.Errorf("%s: UptimeAll(since %s) (-want +got):\n%s", stage, since.Format(time.TimeOnly), diff)
			}
			some, err := s.UptimeOf(ctx, []string{"a", "never-seen"}, since)
			must(t, err, "UptimeOf")
			if diff := cmp.Diff(map[string]store.Uptime{"a": want["a"]}, some); diff != "" {
				t.Errorf("%s: UptimeOf(a, never-seen, since %s) (-want +got):\n%s", stage, since.Format(time.TimeOnly), diff)
			}
		}
	}
	check("raw only")
	must(t, s.Rollup(ctx, base.Add(3*time.Hour)), "Rollup to 03:00")
	check("rolled up to 03:00")
	must(t, s.Rollup(ctx, now), "Rollup")
	check("rolled up")

	// Results that arrive late for a rolled-up hour are not counted twice.
	late := result("a", base.Add(time.Hour+30*time.Second), probe.Critical, time.Millisecond)
	save(t, s, late)
	check("late result")

	// With raw results pruned, whole hours still count from rollups.
	_, err := s.Prune(ctx, base.Add(5*time.Hour), base.Add(-time.Hour))
	must(t, err, "Prune")
	for _, since := range []time.Time{base, base.Add(3 * time.Hour), now.Add(-7 * 24 * time.Hour)} {
		got, err := s.Uptime(ctx, "a", since)
		must(t, err, "Uptime after prune")
		if want := countUptime(ra, since, now); got != want {
			t.Errorf("after prune: Uptime(a, since %s) = %+v, want %+v", since.Format(time.TimeOnly), got, want)
		}
	}
	if u, err := s.Uptime(ctx, "nope", base); err != nil || u != (store.Uptime{}) || u.Ratio() != -1 {
		t.Errorf("Uptime(unknown) = %+v, %v; want zero", u, err)
	}
	if u, err := s.Uptime(ctx, "a", now.Add(time.Hour)); err != nil || u.Total != 0 {
		t.Errorf("Uptime(since the future) = %+v, %v; want zero", u, err)
	}
}

func testLatency(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	now := base.Add(4 * time.Hour)
	clk.Set(now)
	var rs []probe.Result
	for i := range 4 {
		// Hour i: every result takes (i+1)*10 ms, but one takes 100 ms more.
		for m := range 60 {
			dur := time.Duration(i+1) * 10 * time.Millisecond
			st := probe.OK
			if m == 0 {
				dur += 100 * time.Millisecond
				st = probe.Critical
			}
			rs = append(rs, result("a", base.Add(time.Duration(i)*time.Hour+time.Duration(m)*time.Minute), st, dur))
		}
	}
	save(t, s, rs...)
	want := func() []store.LatencyPoint {
		var out []store.LatencyPoint
		for i := range 4 {
			unit := time.Duration(i+1) * 10 * time.Millisecond
			out = append(out, store.LatencyPoint{
				Time:  base.Add(time.Duration(i) * time.Hour),
				Avg:   ((60*unit + 100*time.Millisecond) / 60).Truncate(time.Microsecond),
				Max:   unit + 100*time.Millisecond,
				Total: 60, Failed: 1,
			})
		}
		return out
	}()
	got, err := s.Latency(ctx, "a", base, 4)
	must(t, err, "Latency")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Latency from raw results (-want +got):\n%s", diff)
	}
	// Hours whose raw results are gone come from rollups.
	must(t, s.Rollup(ctx, now), "Rollup")
	_, err = s.Prune(ctx, base.Add(2*time.Hour+30*time.Minute), base.Add(-time.Hour))
	must(t, err, "Prune")
	got, err = s.Latency(ctx, "a", base, 4)
	must(t, err, "Latency after prune")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Latency from rollups and raw results (-want +got):\n%s", diff)
	}
	fine, err := s.Latency(ctx, "a", base.Add(3*time.Hour), 6)
	must(t, err, "Latency(last hour, 6)")
	if len(fine) != 6 || fine[0].Total != 10 || fine[1].Total != 10 || !fine[1].Time.Equal(base.Add(3*time.Hour+10*time.Minute)) {
		t.Errorf("Latency(last hour, 6 buckets) = %+v, want 6 buckets of 10 results", fine)
	}
	if fine[0].Max != 140*time.Millisecond || fine[1].Max != 40*time.Millisecond {
		t.Errorf("Latency(last hour) maxima = %v, %v; want 140ms, 40ms", fine[0].Max, fine[1].Max)
	}
	empty, err := s.Latency(ctx, "nope", base, 3)
	must(t, err, "Latency(unknown)")
	if len(empty) != 3 || empty[0].Total != 0 {
		t.Errorf("Latency(unknown) = %+v, want 3 empty buckets", empty)
	}
}

func testPrune(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	now := base.Add(3 * time.Hour)
	clk.Set(now)
	var rs []probe.Result
	for i := range 3 {
		rs = append(rs, hourOfResults("a", base.Add(time.Duration(i)*time.Hour))...)
		rs = append(rs, hourOfResults("b", base.Add(time.Duration(i)*time.Hour))...)
	}
	save(t, s, rs...)
	must(t, s.Rollup(ctx, now), "Rollup")
	n, err := s.Prune(ctx, base.Add(2*time.Hour), base.Add(time.Hour))
	must(t, err, "Prune")
	// 2 monitors × 120 raw results, and 2 monitors × 1 rollup.
	if n != 242 {
		t.Errorf("Prune removed %d rows, want 242", n)
	}
	got, err := s.Results(ctx, "a", store.Page{Limit: 1000})
	must(t, err, "Results")
	if len(got) != 60 || got[len(got)-1].Time.Before(base.Add(2*time.Hour)) {
		t.Errorf("after prune %d results remain (oldest %v), want the 60 from 02:00", len(got), got[len(got)-1].Time)
	}
	roll, err := s.Rollups(ctx, "b", base, now)
	must(t, err, "Rollups")
	if len(roll) != 2 || !roll[0].Hour.Equal(base.Add(time.Hour)) {
		t.Errorf("after prune rollups = %+v, want hours 01 and 02", roll)
	}
	if n, err := s.Prune(ctx, base.Add(2*time.Hour), base.Add(time.Hour)); err != nil || n != 0 {
		t.Errorf("second Prune = %d, %v; want 0", n, err)
	}
}

func testUsers(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	if n, err := s.UserCount(ctx); err != nil || n != 0 {
		t.Fatalf("UserCount = %d, %v; want 0", n, err)
	}
	u, err := s.CreateUser(ctx, store.User{Name: "ada", PasswordHash: "$argon2id$x", Role: store.RoleAdmin})
	must(t, err, "CreateUser")
	if u.ID == 0 || !u.CreatedAt.Equal(clk.Now()) {
		t.Errorf("CreateUser = %+v, want an ID and CreatedAt %v", u, clk.Now())
	}
	_, err = s.CreateUser(ctx, store.User{Name: "ada", PasswordHash: "other"})
	wantCode(t, err, errs.ECONFLICT, "CreateUser(duplicate)")
	_, err = s.CreateUser(ctx, store.User{Name: " "})
	wantCode(t, err, errs.EINVALID, "CreateUser(no name)")
	bob, err := s.CreateUser(ctx, store.User{Name: "bob", PasswordHash: "h"})
	must(t, err, "CreateUser(bob)")

	got, err := s.User(ctx, u.ID)
	must(t, err, "User")
	if diff := cmp.Diff(u, got); diff != "" {
		t.Errorf("User (-want +got):\n%s", diff)
	}
	got, err = s.UserByName(ctx, "bob")
	must(t, err, "UserByName")
	if diff := cmp.Diff(bob, got); diff != "" {
		t.Errorf("UserByName (-want +got):\n%s", diff)
	}
	_, err = s.User(ctx, 999999)
	wantCode(t, err, errs.ENOTFOUND, "User(unknown)")
	_, err = s.UserByName(ctx, "carol")
	wantCode(t, err, errs.ENOTFOUND, "UserByName(unknown)")
	if n, err := s.UserCount(ctx); err != nil || n != 2 {
		t.Errorf("UserCount = %d, %v; want 2", n, err)
	}
	if all, err := s.Users(ctx); err != nil || len(all) != 2 || !cmp.Equal(all[0], u) || !cmp.Equal(all[1], bob) {
		t.Errorf("Users = %+v, %v; want ada and bob, by name", all, err)
	}
	must(t, s.SetPassword(ctx, bob.ID, "new"), "SetPassword")
	if got, err := s.User(ctx, bob.ID); err != nil || got.PasswordHash != "new" {
		t.Errorf("after SetPassword User = %+v, %v", got, err)
	}
	wantCode(t, s.SetPassword(ctx, 999999, "x"), errs.ENOTFOUND, "SetPassword(unknown)")

	// Roles: "" is a viewer; a role that is none is refused; SetUserRole
	// changes it.
	if bob.Role != store.RoleViewer || u.Role != store.RoleAdmin {
		t.Errorf("roles: ada %q, bob %q; want admin, viewer", u.Role, bob.Role)
	}
	_, err = s.CreateUser(ctx, store.User{Name: "eve", Role: "root"})
	wantCode(t, err, errs.EINVALID, "CreateUser(role root)")
	must(t, s.SetUserRole(ctx, bob.ID, store.RoleResponder), "SetUserRole")
	if got, err := s.User(ctx, bob.ID); err != nil || got.Role != store.RoleResponder {
		t.Errorf("after SetUserRole User = %+v, %v", got, err)
	}
	wantCode(t, s.SetUserRole(ctx, bob.ID, "root"), errs.EINVALID, "SetUserRole(root)")
	wantCode(t, s.SetUserRole(ctx, 999999, store.RoleAdmin), errs.ENOTFOUND, "SetUserRole(unknown)")

	// Accounts made by OIDC sign-ins are found by issuer and subject,
	// which are unique; local accounts have none.
	o, err := s.CreateUser(ctx, store.User{Name: "olga", Role: store.RoleResponder, OIDCSubject: "https://id.example/ 1234"})
	must(t, err, "CreateUser(oidc)")
	got, err = s.UserByOIDCSubject(ctx, "https://id.example/ 1234")
	must(t, err, "UserByOIDCSubject")
	if diff := cmp.Diff(o, got); diff != "" {
		t.Errorf("UserByOIDCSubject (-want +got):\n%s", diff)
	}
	_, err = s.CreateUser(ctx, store.User{Name: "olga2", OIDCSubject: "https://id.example/ 1234"})
	wantCode(t, err, errs.ECONFLICT, "CreateUser(same OIDC subject)")
	_, err = s.UserByOIDCSubject(ctx, "https://id.example/ 9")
	wantCode(t, err, errs.ENOTFOUND, "UserByOIDCSubject(unknown)")
	_, err = s.UserByOIDCSubject(ctx, "")
	wantCode(t, err, errs.ENOTFOUND, "UserByOIDCSubject(empty)")

	// A token without a role takes its user's; one with a role keeps it.
	tv, err := s.CreateAPIToken(ctx, store.APIToken{UserID: o.ID, Name: "a", TokenHash: []byte("role-a"), Prefix: "p"})
	must(t, err, "CreateAPIToken(no role)")
	tw, err := s.CreateAPIToken(ctx, store.APIToken{UserID: o.ID, Name: "b", TokenHash: []byte("role-b"), Prefix: "p", Role: store.RoleViewer})
	must(t, err, "CreateAPIToken(viewer)")
	if tv.Role != store.RoleResponder || tw.Role != store.RoleViewer {
		t.Errorf("token roles %q, %q; want responder, viewer", tv.Role, tw.Role)
	}
	if got, err := s.APITokenByHash(ctx, []byte("role-b")); err != nil || got.Role != store.RoleViewer {
		t.Errorf("APITokenByHash = %+v, %v; want role viewer", got, err)
	}
	_, err = s.CreateAPIToken(ctx, store.APIToken{UserID: o.ID, Name: "c", TokenHash: []byte("role-c"), Prefix: "p", Role: "root"})
	wantCode(t, err, errs.EINVALID, "CreateAPIToken(role root)")
}

func testSessions(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	now := clk.Now()
	u, err := s.CreateUser(ctx, store.User{Name: "ada", PasswordHash: "h"})
	must(t, err, "CreateUser")
	live := store.Session{TokenHash: []byte("hash-live"), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	old := store.Session{TokenHash: []byte("hash-old"), UserID: u.ID, CreatedAt: now.Add(-2 * time.Hour), ExpiresAt: now.Add(-time.Hour)}
	must(t, s.CreateSession(ctx, live), "CreateSession")
	must(t, s.CreateSession(ctx, old), "CreateSession(old)")
	wantCode(t, s.CreateSession(ctx, live), errs.ECONFLICT, "CreateSession(duplicate)")
	wantCode(t, s.CreateSession(ctx, store.Session{TokenHash: []byte("x"), UserID: 999999, ExpiresAt: now.Add(time.Hour)}), errs.ENOTFOUND, "CreateSession(unknown user)")

	got, err := s.Session(ctx, live.TokenHash)
	must(t, err, "Session")
	if diff := cmp.Diff(live, got); diff != "" {
		t.Errorf("Session (-want +got):\n%s", diff)
	}
	_, err = s.Session(ctx, old.TokenHash)
	wantCode(t, err, errs.ENOTFOUND, "Session(expired)")
	_, err = s.Session(ctx, []byte("nope"))
	wantCode(t, err, errs.ENOTFOUND, "Session(unknown)")

	n, err := s.DeleteExpiredSessions(ctx, now)
	must(t, err, "DeleteExpiredSessions")
	if n != 1 {
		t.Errorf("DeleteExpiredSessions = %d, want 1", n)
	}
	must(t, s.DeleteSession(ctx, live.TokenHash), "DeleteSession")
	_, err = s.Session(ctx, live.TokenHash)
	wantCode(t, err, errs.ENOTFOUND, "Session(deleted)")
	wantCode(t, s.DeleteSession(ctx, live.TokenHash), errs.ENOTFOUND, "DeleteSession(again)")
}

func testAPITokens(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	now := clk.Now()
	u, err := s.CreateUser(ctx, store.User{Name: "ada", PasswordHash: "h"})
	must(t, err, "CreateUser")
	v, err := s.CreateUser(ctx, store.User{Name: "bob", PasswordHash: "h"})
	must(t, err, "CreateUser")
	tok, err := s.CreateAPIToken(ctx, store.APIToken{UserID: u.ID, Name: "ci", TokenHash: []byte("h1"), Prefix: "tcs_ab"})
	must(t, err, "CreateAPIToken")
	if tok.ID == 0 || !tok.CreatedAt.Equal(now) {
		t.Errorf("CreateAPIToken = %+v", tok)
	}
	_, err = s.CreateAPIToken(ctx, store.APIToken{UserID: u.ID, Name: "ci", TokenHash: []byte("h2")})
	wantCode(t, err, errs.ECONFLICT, "CreateAPIToken(duplicate name)")
	_, err = s.CreateAPIToken(ctx, store.APIToken{UserID: 999999, Name: "x", TokenHash: []byte("h3")})
	wantCode(t, err, errs.ENOTFOUND, "CreateAPIToken(unknown user)")
	tok2, err := s.CreateAPIToken(ctx, store.APIToken{UserID: u.ID, Name: "deploy", TokenHash: []byte("h4"), Prefix: "tcs_cd"})
	must(t, err, "CreateAPIToken(deploy)")

	got, err := s.APITokenByHash(ctx, []byte("h1"))
	must(t, err, "APITokenByHash")
	if diff := cmp.Diff(tok, got); diff != "" {
		t.Errorf("APITokenByHash (-want +got):\n%s", diff)
	}
	_, err = s.APITokenByHash(ctx, []byte("nope"))
	wantCode(t, err, errs.ENOTFOUND, "APITokenByHash(unknown)")

	used := now.Add(time.Minute)
	must(t, s.TouchAPIToken(ctx, tok.ID, used), "TouchAPIToken")
	wantCode(t, s.TouchAPIToken(ctx, 999999, used), errs.ENOTFOUND, "TouchAPIToken(unknown)")
	list, err := s.APITokens(ctx, u.ID)
	must(t, err, "APITokens")
	tok.LastUsedAt = used
	if diff := cmp.Diff([]store.APIToken{tok, tok2}, list); diff != "" {
		t.Errorf("APITokens (-want +got):\n%s", diff)
	}
	wantCode(t, s.DeleteAPIToken(ctx, v.ID, tok.ID), errs.ENOTFOUND, "DeleteAPIToken(other user's)")
	must(t, s.DeleteAPIToken(ctx, u.ID, tok.ID), "DeleteAPIToken")
	_, err = s.APITokenByHash(ctx, []byte("h1"))
	wantCode(t, err, errs.ENOTFOUND, "APITokenByHash(deleted)")
	if list, err := s.APITokens(ctx, v.ID); err != nil || len(list) != 0 {
		t.Errorf("APITokens(bob) = %v, %v; want none", list, err)
	}
}
