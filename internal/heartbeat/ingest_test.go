package heartbeat_test

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/heartbeat"
	"github.com/tocsin/tocsin/internal/heartbeat/schedule"
)

func TestReceiveErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := openStore(t, ":memory:")
		defer db.Close()
		var res results
		d := heartbeat.Definition{ID: "job", UUID: uuidA, Slug: "nightly", Schedule: schedule.Schedule{Period: time.Hour, Grace: time.Hour}}
		h := startHub(t, db, &res, []heartbeat.Definition{d}, heartbeat.Options{})
		defer stop(h)
		h.SetLimits(heartbeat.Limits{BodyLimit: 4, PingKey: "0123456789abcdef", HeartbeatRate: 5, ClientRate: 100})
		ctx := t.Context()
		for _, tc := range []struct {
			p    heartbeat.Ping
			code string
		}{
			{heartbeat.Ping{UUID: "1b7a4c2e-1f3d-4a5b-8c6d-7e8f9a0b1c2d", Kind: heartbeat.KindSuccess}, errs.ENOTFOUND},
			{heartbeat.Ping{PingKey: "wrong-key-wrong-key", Slug: "nightly", Kind: heartbeat.KindSuccess}, errs.ENOTFOUND},
			{heartbeat.Ping{PingKey: "0123456789abcdef", Slug: "other", Kind: heartbeat.KindSuccess, Create: true}, errs.ENOTFOUND},
			{heartbeat.Ping{UUID: uuidA, Kind: heartbeat.KindExit, ExitStatus: 256}, errs.EINVALID},
			{heartbeat.Ping{UUID: uuidA, Kind: "bogus"}, errs.EINVALID},
		} {
			if err := h.Receive(ctx, tc.p); errs.Code(err) != tc.code {
				t.Errorf("Receive(%+v) = %v, want %s", tc.p, err, tc.code)
			}
		}
		if err := h.Receive(ctx, heartbeat.Ping{PingKey: "0123456789abcdef", Slug: "nightly", Kind: heartbeat.KindSuccess, Body: []byte("0123456789")}); err != nil {
			t.Fatalf("slug ping: %v", err)
		}
		ps, _ := db.Pings(ctx, "job", storePage())
		if len(ps) != 1 || string(ps[0].Body) != "0123" || !ps[0].Truncated {
			t.Errorf("stored %+v, want the body cut to 4 bytes and marked", ps)
		}
		// Burst of 2×rate passes (one used above), then 429 until time passes.
		var limited int
		for range 12 {
			if err := h.Receive(ctx, heartbeat.Ping{UUID: uuidA, Kind: heartbeat.KindLog, Source: "192.0.2.1"}); errs.Code(err) == errs.ERATELIMIT {
				limited++
			} else if err != nil {
				t.Fatal(err)
			}
		}
		if limited != 3 {
			t.Errorf("%d of 12 pings limited, want 3 (burst 10, one used)", limited)
		}
		time.Sleep(time.Second)
		if err := h.Receive(ctx, heartbeat.Ping{UUID: uuidA, Kind: heartbeat.KindLog}); err != nil {
			t.Errorf("after a second: %v", err)
		}
	})
}

// TestClientRateLimit: one address is limited across heartbeats.
func TestClientRateLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := openStore(t, ":memory:")
		defer db.Close()
		var res results
		defs := []heartbeat.Definition{
			{ID: "a", UUID: uuidA, Schedule: schedule.Schedule{Period: time.Hour, Grace: time.Hour}},
			{ID: "b", UUID: "1b7a4c2e-1f3d-4a5b-8c6d-7e8f9a0b1c2d", Schedule: schedule.Schedule{Period: time.Hour, Grace: time.Hour}},
		}
		h := startHub(t, db, &res, defs, heartbeat.Options{})
		defer stop(h)
		h.SetLimits(heartbeat.Limits{BodyLimit: 10, ClientRate: 2})
		codes := map[string]int{}
		for i := range 6 {
			err := h.Receive(t.Context(), heartbeat.Ping{UUID: defs[i%2].UUID, Kind: heartbeat.KindLog, Source: "192.0.2.9"})
			codes[errs.Code(err)]++
		}
		if codes[""] != 4 || codes[errs.ERATELIMIT] != 2 {
			t.Errorf("answers %v, want 4 stored and 2 limited (burst 4)", codes)
		}
		if err := h.Receive(t.Context(), heartbeat.Ping{UUID: uuidA, Kind: heartbeat.KindLog, Source: "192.0.2.10"}); err != nil {
			t.Errorf("another address is limited too: %v", err)
		}
	})
}

// TestReceiveCleansText: whichever way a ping comes, its text is stored as
// valid UTF-8 without NUL bytes, cut on a character boundary at the
// limits, and a body cut at the body limit never ends in half a character.
func TestReceiveCleansText(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := openStore(t, ":memory:")
		defer db.Close()
		var res results
		d := heartbeat.Definition{ID: "job", UUID: uuidA, Schedule: schedule.Schedule{Period: time.Hour, Grace: time.Hour}}
		h := startHub(t, db, &res, []heartbeat.Definition{d}, heartbeat.Options{})
		defer stop(h)
		h.SetLimits(heartbeat.Limits{BodyLimit: 4})
		ua := strings.Repeat("a", heartbeat.UserAgentLimit-1) + "é"
		p := heartbeat.Ping{UUID: uuidA, Kind: heartbeat.KindFail, Transport: "email", Method: "SMTP",
			Source: "cron\x00@ex\xffample.org", UserAgent: ua, Body: []byte("ab€")}
		if err := h.Receive(t.Context(), p); err != nil {
			t.Fatal(err)
		}
		ps, err := db.Pings(t.Context(), "job", storePage())
		if err != nil || len(ps) != 1 {
			t.Fatalf("Pings = %+v, %v", ps, err)
		}
		got := ps[0]
		if want := strings.Repeat("a", heartbeat.UserAgentLimit-1); got.UserAgent != want {
			t.Errorf("User-Agent %q, want %q (cut before the character that does not fit)", got.UserAgent, want)
		}
		if want := "cron@ex\uFFFDample.org"; got.Source != want {
			t.Errorf("Source %q, want %q", got.Source, want)
		}
		if string(got.Body) != "ab" || !got.Truncated {
			t.Errorf("Body %q (truncated %v), want \"ab\" marked truncated", got.Body, got.Truncated)
		}
	})
}
