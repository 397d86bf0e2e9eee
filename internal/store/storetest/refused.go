package storetest

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/batch"
)

// textNoDatabaseTakes is text no UTF-8 database column takes as it is: a lone
// continuation byte, a character cut in the middle, and a NUL.
const textNoDatabaseTakes = "bad \x80 text \xe2\x82 and \x00"

// testRefusedRows checks the contract the batched writers rely on: a batch
// holding rows the database refuses fails as a whole with a refusal
// (EINVALID or ECONFLICT), writing nothing, and batch.Write then stores
// every other row and rejects exactly the bad ones. Rows bad on both
// databases: no monitor id (what a pause once produced), a transition
// whose result cannot be encoded, an outbox message without a channel or
// with the id of a stored one. Rows with invalid UTF-8 are stored by SQLite
// and refused by PostgreSQL; either is fine, any other error is not.
func testRefusedRows(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	now := clk.Now()
	must(t, s.SaveBatch(ctx, store.Batch{Outbox: []notify.OutboxMessage{message("stored", "ops", "web", now)}}), "SaveBatch")

	var b store.Batch
	b.States = map[string]monitor.State{"web": {Status: monitor.StatusUp, Since: now}, "": {Status: monitor.StatusDown}}
	for i := range 20 {
		b.Results = append(b.Results, result("web", now.Add(time.Duration(i)*time.Second), probe.OK, time.Millisecond))
	}
	b.Results = append(b.Results, result("", now, probe.Critical, 0))
	utf8Result := result("web", now.Add(time.Hour), probe.Critical, 0)
	utf8Result.Reason = textNoDatabaseTakes
	b.Results = append(b.Results, utf8Result)
	good := monitor.Transition{MonitorID: "web", From: monitor.StatusPending, To: monitor.StatusUp, Time: now, Reason: "ok"}
	noMonitor := monitor.Transition{From: monitor.StatusPaused, To: monitor.StatusPending, Time: now, Reason: "resumed"}
	nan := monitor.Transition{MonitorID: "web", From: monitor.StatusUp, To: monitor.StatusDown, Time: now, Reason: "nan",
		Result: probe.Result{MonitorID: "web", Metrics: []probe.Metric{{Name: "load", Value: math.NaN()}}}}
	utf8Transition := monitor.Transition{MonitorID: "web", From: monitor.StatusUp, To: monitor.StatusDown, Time: now, Reason: textNoDatabaseTakes}
	b.Transitions = []monitor.Transition{good, noMonitor, nan, utf8Transition}
	noChannel := message("n-nochannel", "", "web", now)
	utf8Message := message("n-utf8", "ops", textNoDatabaseTakes, now)
	b.Outbox = []notify.OutboxMessage{message("n1", "ops", "web", now), noChannel, message("stored", "ops", "web", now), message("n2", "ops", "web", now), utf8Message}

	if err := s.SaveBatch(ctx, b); !batch.Refused(err) {
		t.Fatalf("SaveBatch with refused rows = %v, want EINVALID or ECONFLICT", err)
	}
	if rs, err := s.Results(ctx, "web", store.Page{}); err != nil || len(rs) != 0 {
		t.Fatalf("a refused batch stored %d results (%v)", len(rs), err)
	}

	o := batch.Write(nil, b.Rows(), func(rows []store.BatchRow) error { return s.SaveBatch(ctx, store.JoinRows(rows)) })
	if o.Err != nil || len(o.Unwritten) != 0 {
		t.Fatalf("batch.Write: %v, %d rows unwritten", o.Err, len(o.Unwritten))
	}
	var rejected []string
	for _, r := range o.Rejected {
		if !batch.Refused(r.Err) {
			t.Errorf("a row was rejected with %v, not a refusal", r.Err)
		}
		rejected = append(rejected, r.Row.String())
	}
	slices.Sort(rejected)
	must2 := []string{
		`notification "n-nochannel" for channel ""`,
		`notification "stored" for channel "ops"`,
		`result of monitor "" at ` + now.Format(time.RFC3339Nano),
		`state of monitor ""`,
		`transition of monitor "" from paused to pending`,
		`transition of monitor "web" from up to down`, // the NaN one, and the invalid UTF-8 one on PostgreSQL
	}
	maybe := []string{
		`notification "n-utf8" for channel "ops"`,
		`result of monitor "web" at ` + utf8Result.Time.Format(time.RFC3339Nano),
	}
	for _, want := range must2 {
		if !slices.Contains(rejected, want) {
			t.Errorf("%s was not rejected; rejected: %q", want, rejected)
		}
	}
	for _, got := range rejected {
		if !slices.Contains(must2, got) && !slices.Contains(maybe, got) {
			t.Errorf("%s was rejected; only the bad rows should be", got)
		}
	}
	utf8Refused := slices.Contains(rejected, maybe[0])

	rs, err := s.Results(ctx, "web", store.Page{})
	must(t, err, "Results")
	if want := 20 + boolInt(!utf8Refused); len(rs) != want {
		t.Errorf("stored %d results of web, want %d", len(rs), want)
	}
	states, err := s.MonitorStates(ctx)
	must(t, err, "MonitorStates")
	if st, ok := states["web"]; !ok || st.Status != monitor.StatusUp {
		t.Errorf("state of web = %+v, %v; want up", st, ok)
	}
	trs, err := s.Transitions(ctx, "web", store.Page{})
	must(t, err, "Transitions")
	if want := 1 + boolInt(!utf8Refused); len(trs) != want {
		t.Errorf("stored %d transitions of web, want %d", len(trs), want)
	}
	msgs, err := s.OutboxMessages(ctx, "", store.Page{})
	must(t, err, "OutboxMessages")
	var ids []string
	for _, m := range msgs {
		ids = append(ids, m.ID)
	}
	slices.Sort(ids)
	want := []string{"n1", "n2", "stored"}
	if !utf8Refused {
		want = []string{"n-utf8", "n1", "n2", "stored"}
	}
	if !slices.Equal(ids, want) {
		t.Errorf("outbox holds %q, want %q", ids, want)
	}
}

// testRefusedPings: the same contract for SavePings.
func testRefusedPings(t *testing.T, s store.Store, _ *Clock) {
	ctx := t.Context()
	at := base.Add(time.Hour)
	ping := func(i int) store.Ping {
		return store.Ping{HeartbeatID: "hb", Time: at.Add(time.Duration(i) * time.Millisecond), Kind: "success", Transport: "http", Method: "GET", Source: "192.0.2.1", UserAgent: "curl/8"}
	}
	var pings []store.Ping
	for i := range 50 {
		pings = append(pings, ping(i))
	}
	noHeartbeat := ping(50)
	noHeartbeat.HeartbeatID = ""
	utf8UA := ping(51)
	utf8UA.UserAgent = textNoDatabaseTakes
	utf8Body := ping(52)
	utf8Body.RunID = textNoDatabaseTakes
	pings = slices.Insert(pings, 10, noHeartbeat)
	pings = slices.Insert(pings, 30, utf8UA, utf8Body)

	if err := s.SavePings(ctx, store.PingBatch{Pings: pings}); !batch.Refused(err) {
		t.Fatalf("SavePings with a refused ping = %v, want EINVALID", err)
	}
	o := batch.Write(nil, pings, func(ps []store.Ping) error { return s.SavePings(ctx, store.PingBatch{Pings: ps}) })
	if o.Err != nil || len(o.Unwritten) != 0 {
		t.Fatalf("batch.Write: %v, %d pings unwritten", o.Err, len(o.Unwritten))
	}
	if len(o.Rejected) == 0 || o.Rejected[0].Row.HeartbeatID != "" {
		t.Fatalf("rejected %v, want the ping without a heartbeat first", o.Rejected)
	}
	for _, r := range o.Rejected[1:] {
		if r.Row.Time != utf8UA.Time && r.Row.Time != utf8Body.Time {
			t.Errorf("a good ping was rejected: %+v (%v)", r.Row, r.Err)
		}
	}
	n, err := s.CountPings(ctx, "hb")
	must(t, err, "CountPings")
	if want := int64(50 + 3 - len(o.Rejected)); n != want {
		t.Errorf("stored %d pings, want %d", n, want)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// testRefusedAttempt: an attempt whose error text the database does not
// take is refused (EINVALID) or stored, never failed otherwise, and leaves
// its message as it was when refused.
func testRefusedAttempt(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	now := clk.Now()
	must(t, s.SaveBatch(ctx, store.Batch{Outbox: []notify.OutboxMessage{message("n1", "ops", "web", now)}}), "SaveBatch")
	a := notify.Attempt{MessageID: "n1", Channel: "ops", Time: now, Error: textNoDatabaseTakes, Outcome: "retry"}
	err := s.RecordAttempt(ctx, a, now.Add(time.Minute))
	if err != nil && !batch.Refused(err) {
		t.Fatalf("RecordAttempt with invalid UTF-8 = %v, want nil or a refusal", err)
	}
	ms, err2 := s.OutboxMessages(ctx, "", store.Page{})
	must(t, err2, "OutboxMessages")
	if want := boolInt(err == nil); len(ms) != 1 || ms[0].Attempts != want {
		t.Errorf("after the attempt (err %v): %+v, want %d attempts", err, ms, want)
	}
	a.Error = "valid"
	must(t, s.RecordAttempt(ctx, a, now.Add(time.Minute)), "RecordAttempt")
}
