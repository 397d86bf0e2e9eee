package storetest

import (
	"encoding/json"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
)

// bad returns s followed by what PostgreSQL refuses in text: an invalid
// byte, a NUL and a character cut short (the first two bytes of "€").
func bad(s string) string { return s + "\xff|\x00|" + "€"[:2] }

// fixed is what the store keeps of bad(s): each invalid sequence becomes
// U+FFFD and the NUL goes.
func fixed(s string) string { return s + "\uFFFD||\uFFFD" }

// viaJSON is what the store keeps of bad(s) inside a value it stores as
// JSON: what encoding/json makes of it (each invalid byte becomes U+FFFD,
// a NUL stays, escaped).
func viaJSON(s string) string { return s + "\uFFFD|\x00|\uFFFD\uFFFD" }

// testHostileText is the text contract: every text value the store writes
// is stored as valid UTF-8 without NUL bytes (invalid sequences become
// U+FFFD, NULs are dropped) instead of being refused, on every database;
// a lookup by the same hostile value finds what was stored; bytes (ping
// bodies) are kept exactly; values stored as JSON keep what encoding/json
// makes of them. A valid row written beside a hostile one is stored too.
func testHostileText(t *testing.T, s store.Store, clk *Clock) {
	t.Run("pings", func(t *testing.T) { hostilePings(t, s) })
	t.Run("results", func(t *testing.T) { hostileResults(t, s, clk) })
	t.Run("accounts", func(t *testing.T) { hostileAccounts(t, s) })
	t.Run("mail probes", func(t *testing.T) { hostileMailProbes(t, s, clk) })
}

func hostilePings(t *testing.T, s store.Store) {
	ctx := t.Context()
	at := base.Add(time.Hour)
	body := []byte("out\xff\x00put\xe2\x82")
	hostile := store.Ping{HeartbeatID: bad("job"), Time: at, Kind: "exit", ExitStatus: 2, RunID: bad("rid"), Body: body, Truncated: true,
		Transport: bad("http"), Method: bad("POST"), Source: bad("192.0.2.1"), UserAgent: bad("curl")}
	neighbour := store.Ping{HeartbeatID: "job", Time: at, Kind: "success", Transport: "http", Method: "GET", Source: "192.0.2.2", UserAgent: "ok/1"}
	state := json.RawMessage(`{"last_reason":"` + bad("r") + `"}`)
	must(t, s.SavePings(ctx, store.PingBatch{
		Pings:  []store.Ping{neighbour, hostile},
		States: map[string]json.RawMessage{bad("job"): state, "job": json.RawMessage(`{}`)},
	}), "SavePings with invalid UTF-8 and NUL bytes")

	want := hostile
	want.HeartbeatID, want.RunID, want.Transport, want.Method, want.Source, want.UserAgent =
		fixed("job"), fixed("rid"), fixed("http"), fixed("POST"), fixed("192.0.2.1"), fixed("curl")
	for _, id := range []string{bad("job"), fixed("job")} {
		got, err := s.Pings(ctx, id, store.Page{})
		must(t, err, "Pings")
		if len(got) != 1 {
			t.Fatalf("Pings(%q) = %d pings, want 1", id, len(got))
		}
		want.ID = got[0].ID
		if diff := cmp.Diff(want, got[0]); diff != "" {
			t.Errorf("Pings(%q) (-want +got):\n%s", id, diff)
		}
	}
	if n, err := s.CountPings(ctx, "job"); err != nil || n != 1 {
		t.Errorf("CountPings(job) = %d, %v; want the valid neighbour stored", n, err)
	}
	after, err := s.PingsAfter(ctx, 0, 10)
	must(t, err, "PingsAfter")
	for _, p := range after {
		checkText(t, "PingsAfter", p.HeartbeatID, p.RunID, p.Transport, p.Method, p.Source, p.UserAgent)
	}
	states, _, err := s.HeartbeatStates(ctx)
	must(t, err, "HeartbeatStates")
	if got, want := string(states[fixed("job")]), `{"last_reason":"`+fixed("r")+`"}`; got != want {
		t.Errorf("heartbeat state = %q, want %q", got, want)
	}

	h := store.StoredHeartbeat{ID: bad("hb"), UUID: bad("uuid"), Slug: bad("slug"), Spec: json.RawMessage(`{"name":"` + bad("n") + `"}`), CreatedAt: at}
	must(t, s.CreateHeartbeat(ctx, h), "CreateHeartbeat")
	hbs, err := s.StoredHeartbeats(ctx)
	must(t, err, "StoredHeartbeats")
	wantHB := []store.StoredHeartbeat{{ID: fixed("hb"), UUID: fixed("uuid"), Slug: fixed("slug"), Spec: json.RawMessage(`{"name":"` + fixed("n") + `"}`), CreatedAt: at}}
	if diff := cmp.Diff(wantHB, hbs); diff != "" {
		t.Errorf("StoredHeartbeats (-want +got):\n%s", diff)
	}
	must(t, s.DeleteHeartbeat(ctx, bad("hb")), "DeleteHeartbeat by the hostile id")
}

func hostileResults(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	now := clk.Now()
	at := now.Add(-time.Minute)
	mon := bad("mon")
	r := probe.Result{MonitorID: mon, Time: at, Duration: time.Millisecond, Status: probe.Critical, Reason: bad("refused"),
		Metrics: []probe.Metric{{Name: bad("label"), Value: 1, Unit: bad("u"), Warn: bad("1:")}}}
	neighbour := probe.Result{MonitorID: "mon", Time: at, Duration: time.Millisecond, Status: probe.Critical, Reason: "valid"}
	tr := monitor.Transition{MonitorID: mon, From: monitor.StatusUp, To: monitor.StatusDown, Time: at, Reason: bad("went down"), Result: r}
	ev := notify.Event{ID: bad("ev"), Event: "monitor.down", MonitorID: mon, ServiceID: bad("svc"), Status: "down", Reason: bad("went down"), Time: at}
	msg := notify.OutboxMessage{ID: bad("ev"), Channel: bad("ops"), Event: ev, LastError: bad("earlier"), CreatedAt: at, NextAttempt: at}
	must(t, s.SaveBatch(ctx, store.Batch{
		Results:     []probe.Result{neighbour, r},
		States:      map[string]monitor.State{mon: {Status: monitor.StatusDown, Since: at, LastReason: bad("state")}},
		Transitions: []monitor.Transition{tr},
		Outbox:      []notify.OutboxMessage{msg},
	}), "SaveBatch with invalid UTF-8 and NUL bytes")

	for _, id := range []string{mon, fixed("mon")} {
		got, err := s.Results(ctx, id, store.Page{})
		must(t, err, "Results")
		if len(got) != 1 {
			t.Fatalf("Results(%q) = %d, want 1", id, len(got))
		}
		g := got[0].Result
		if g.MonitorID != fixed("mon") || g.Reason != fixed("refused") {
			t.Errorf("Results(%q) = monitor %q, reason %q; want %q, %q", id, g.MonitorID, g.Reason, fixed("mon"), fixed("refused"))
		}
		wantM := []probe.Metric{{Name: fixed("label"), Value: 1, Unit: fixed("u"), Warn: fixed("1:")}}
		if diff := cmp.Diff(wantM, g.Metrics); diff != "" {
			t.Errorf("metrics (-want +got):\n%s", diff)
		}
	}
	if got, err := s.Results(ctx, "mon", store.Page{}); err != nil || len(got) != 1 || got[0].Reason != "valid" {
		t.Errorf("the valid neighbour: %+v, %v", got, err)
	}
	trs, err := s.Transitions(ctx, mon, store.Page{})
	must(t, err, "Transitions")
	if len(trs) != 1 || trs[0].Reason != fixed("went down") || trs[0].Result.Reason != viaJSON("refused") {
		t.Errorf("Transitions = %+v; want reason %q", trs, fixed("went down"))
	}
	states, err := s.MonitorStates(ctx)
	must(t, err, "MonitorStates")
	if st, ok := states[fixed("mon")]; !ok || st.LastReason != viaJSON("state") {
		t.Errorf("MonitorStates = %+v; want %q with reason %q", states, fixed("mon"), viaJSON("state"))
	}

	claimed, err := s.ClaimDue(ctx, "r1", now, time.Minute, 10)
	must(t, err, "ClaimDue")
	if len(claimed) != 1 {
		t.Fatalf("ClaimDue = %d messages, want 1", len(claimed))
	}
	c := claimed[0]
	if c.ID != fixed("ev") || c.Channel != fixed("ops") || c.LastError != fixed("earlier") ||
		c.Event.ID != viaJSON("ev") || c.Event.MonitorID != viaJSON("mon") || c.Event.ServiceID != viaJSON("svc") || c.Event.Reason != viaJSON("went down") {
		t.Errorf("claimed message = %+v", c)
	}
	// The dispatcher records the attempt with the ids it was handed; a
	// sender's error text may be anything.
	must(t, s.RecordAttempt(ctx, notify.Attempt{MessageID: c.ID, Channel: c.Channel, Time: now, Error: bad("502"), Outcome: "retry"}, now.Add(time.Minute)), "RecordAttempt")
	must(t, s.RecordAttempt(ctx, notify.Attempt{MessageID: bad("ev"), Channel: bad("ops"), Time: now, Error: "x", Outcome: "retry"}, now.Add(time.Minute)), "RecordAttempt by the hostile ids")
	atts, err := s.Attempts(ctx, mon, store.Page{})
	must(t, err, "Attempts")
	if len(atts) != 2 || atts[1].Error != fixed("502") || atts[1].MessageID != fixed("ev") || atts[1].MonitorID != fixed("mon") {
		t.Errorf("Attempts = %+v", atts)
	}
	msgs, err := s.OutboxMessages(ctx, mon, store.Page{})
	must(t, err, "OutboxMessages")
	if len(msgs) != 1 || msgs[0].LastError != "x" || msgs[0].Attempts != 2 {
		t.Errorf("OutboxMessages = %+v", msgs)
	}
}

func hostileAccounts(t *testing.T, s store.Store) {
	ctx := t.Context()
	u, err := s.CreateUser(ctx, store.User{Name: bad("ada"), PasswordHash: bad("$argon2id$")})
	must(t, err, "CreateUser")
	if u.Name != fixed("ada") {
		t.Errorf("CreateUser returned name %q, want what was stored, %q", u.Name, fixed("ada"))
	}
	for _, name := range []string{bad("ada"), fixed("ada")} {
		got, err := s.UserByName(ctx, name)
		must(t, err, "UserByName")
		if got.ID != u.ID || got.Name != fixed("ada") || got.PasswordHash != fixed("$argon2id$") {
			t.Errorf("UserByName(%q) = %+v", name, got)
		}
	}
	must(t, s.SetPassword(ctx, u.ID, bad("h2")), "SetPassword")
	tok, err := s.CreateAPIToken(ctx, store.APIToken{UserID: u.ID, Name: bad("ci"), TokenHash: []byte("t\xff\x00"), Prefix: bad("tcs_")})
	must(t, err, "CreateAPIToken")
	if tok.Name != fixed("ci") || tok.Prefix != fixed("tcs_") {
		t.Errorf("CreateAPIToken returned %+v, want what was stored", tok)
	}
	list, err := s.APITokens(ctx, u.ID)
	must(t, err, "APITokens")
	if len(list) != 1 || list[0].Name != fixed("ci") || list[0].Prefix != fixed("tcs_") || string(list[0].TokenHash) != "t\xff\x00" {
		t.Errorf("APITokens = %+v", list)
	}
}

func hostileMailProbes(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	at := clk.Now().Add(-time.Minute)
	m := store.MailProbe{MonitorID: bad("loop"), Token: bad("tok"), SentAt: at, Via: bad("smtp"), State: "pending", Folder: bad("INBOX")}
	must(t, s.AddMailProbe(ctx, m), "AddMailProbe")
	m.State, m.ReceivedAt, m.Folder = "received", at.Add(time.Second), bad("Junk")
	must(t, s.UpdateMailProbe(ctx, m), "UpdateMailProbe by the hostile ids")
	got, err := s.MailProbes(ctx, bad("loop"), time.Time{})
	must(t, err, "MailProbes")
	want := []store.MailProbe{{MonitorID: fixed("loop"), Token: fixed("tok"), SentAt: at, Via: fixed("smtp"), State: "received", ReceivedAt: at.Add(time.Second), Folder: fixed("Junk")}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("MailProbes (-want +got):\n%s", diff)
	}
	if n, err := s.PruneMailProbes(ctx, bad("loop"), clk.Now()); err != nil || n != 1 {
		t.Errorf("PruneMailProbes = %d, %v; want 1", n, err)
	}
}

// checkText fails the test for a value that is not valid UTF-8 or holds a NUL.
func checkText(t *testing.T, what string, values ...string) {
	t.Helper()
	for _, v := range values {
		if !utf8.ValidString(v) {
			t.Errorf("%s returned invalid UTF-8 %q", what, v)
		}
		for i := 0; i < len(v); i++ {
			if v[i] == 0 {
				t.Errorf("%s returned a NUL byte in %q", what, v)
				break
			}
		}
	}
}
