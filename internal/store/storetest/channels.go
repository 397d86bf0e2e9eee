package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/store"
)

// testChannelTests: test notifications are listed per channel, newest
// first, paged, and only the newest MaxChannelTests of a channel are kept.
func testChannelTests(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	now := clk.Now()
	for i := range store.MaxChannelTests + 3 {
		e := ""
		if i%2 == 1 {
			e = fmt.Sprintf("HTTP 500 (%d)", i)
		}
		if _, err := s.RecordChannelTest(ctx, store.ChannelTest{Channel: "ops", Time: now.Add(time.Duration(i) * time.Second),
			Duration: 1500 * time.Microsecond, Error: e, By: "kim"}); err != nil {
			t.Fatal(err)
		}
	}
	id, err := s.RecordChannelTest(ctx, store.ChannelTest{Channel: "pager", Time: now, By: "lee \x00\xff"})
	must(t, err, "RecordChannelTest")
	if id == 0 {
		t.Error("RecordChannelTest returned id 0")
	}
	all, err := s.ChannelTests(ctx, "ops", store.Page{Limit: 1000})
	must(t, err, "ChannelTests")
	if len(all) != store.MaxChannelTests {
		t.Fatalf("kept %d tests, want %d", len(all), store.MaxChannelTests)
	}
	newest := all[0]
	want := store.ChannelTest{ID: newest.ID, Channel: "ops", Time: now.Add(time.Duration(store.MaxChannelTests+2) * time.Second),
		Duration: 1500 * time.Microsecond, By: "kim"}
	if diff := cmp.Diff(want, newest); diff != "" {
		t.Errorf("newest test (-want +got):\n%s", diff)
	}
	if all[1].Error != fmt.Sprintf("HTTP 500 (%d)", store.MaxChannelTests+1) {
		t.Errorf("second newest error = %q", all[1].Error)
	}
	page, err := s.ChannelTests(ctx, "ops", store.Page{Limit: 2, Before: all[1].ID})
	must(t, err, "ChannelTests page")
	if len(page) != 2 || page[0].ID != all[2].ID || page[1].ID != all[3].ID {
		t.Errorf("page after %d = %+v", all[1].ID, page)
	}
	other, err := s.ChannelTests(ctx, "pager", store.Page{})
	must(t, err, "ChannelTests pager")
	if len(other) != 1 || other[0].By == "" {
		t.Errorf("pager tests = %+v", other)
	}
	none, err := s.ChannelTests(ctx, "nobody", store.Page{})
	must(t, err, "ChannelTests nobody")
	if none == nil || len(none) != 0 {
		t.Errorf("ChannelTests of an unknown channel = %#v, want an empty list", none)
	}
}

// testChannelAttempts: a channel's attempts, all or only the failed ones,
// newest first; other channels' attempts are not listed.
func testChannelAttempts(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	now := clk.Now()
	must(t, s.SaveBatch(ctx, store.Batch{Outbox: []notify.OutboxMessage{
		message("a", "ops", "m", now), message("b", "ops", "m", now), message("c", "pager", "m", now),
	}}), "SaveBatch")
	record := func(id, ch, outcome, e string, at time.Duration) {
		must(t, s.RecordAttempt(ctx, notify.Attempt{MessageID: id, Channel: ch, Time: now.Add(at), Error: e, Outcome: outcome}, now.Add(time.Hour)), "RecordAttempt")
	}
	record("a", "ops", notify.OutcomeRetry, "HTTP 503", 1*time.Second)
	record("a", "ops", notify.OutcomeSent, "", 2*time.Second)
	record("b", "ops", notify.OutcomeFailed, "HTTP 404", 3*time.Second)
	record("c", "pager", notify.OutcomeFailed, "refused", 4*time.Second)

	all, err := s.ChannelAttempts(ctx, "ops", false, store.Page{})
	must(t, err, "ChannelAttempts")
	var got []string
	for _, a := range all {
		got = append(got, a.MessageID+":"+a.Outcome)
	}
	if diff := cmp.Diff([]string{"b:failed", "a:sent", "a:retry"}, got); diff != "" {
		t.Errorf("ChannelAttempts (-want +got):\n%s", diff)
	}
	failed, err := s.ChannelAttempts(ctx, "ops", true, store.Page{})
	must(t, err, "ChannelAttempts failed")
	got = nil
	for _, a := range failed {
		got = append(got, a.MessageID+":"+a.Error)
	}
	if diff := cmp.Diff([]string{"b:HTTP 404", "a:HTTP 503"}, got); diff != "" {
		t.Errorf("ChannelAttempts failed only (-want +got):\n%s", diff)
	}
	if all[0].MonitorID != "m" || all[0].Event == "" || !all[0].Time.Equal(now.Add(3*time.Second)) {
		t.Errorf("attempt = %+v", all[0])
	}
	page, err := s.ChannelAttempts(ctx, "ops", false, store.Page{Limit: 1, Before: all[0].ID})
	must(t, err, "ChannelAttempts page")
	if len(page) != 1 || page[0].ID != all[1].ID {
		t.Errorf("page = %+v", page)
	}
}
