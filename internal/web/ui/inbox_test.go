package ui_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

// TestInboxPage checks the Inbox page: the empty states with and without
// an inbox channel, the nav link, and the notifications of inbox channels
// only, newest first, with event, monitor, service, owners, reason and
// time, paged with "Older".
func TestInboxPage(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	c := e.Setup()
	r := e.Get(c, "/inbox")
	if r.Status != 200 || !strings.Contains(r.Body, "No inbox channel is configured") {
		t.Fatalf("inbox without a channel: %d\n%s", r.Status, r.Body)
	}
	if !strings.Contains(r.Body, `<a href="/inbox">Inbox</a>`) {
		t.Error("the nav does not link the inbox")
	}

	e.RT.Mu.Lock()
	e.RT.Cfg.Channels = []config.Channel{{ID: "box", Type: "inbox"}, {ID: "hook", Type: "webhook"}}
	e.RT.Mu.Unlock()
	if r := e.Get(c, "/inbox"); !strings.Contains(r.Body, "No notifications yet") || !strings.Contains(r.Body, "<code>box</code>") {
		t.Fatalf("empty inbox: %d\n%s", r.Status, r.Body)
	}

	now := e.Clock.Now()
	var msgs []notify.OutboxMessage
	for i := range 55 {
		at := now.Add(time.Duration(i-60) * time.Minute)
		ev := notify.Event{ID: fmt.Sprint("n", i), Event: notify.EventMonitorDown, MonitorID: "api", MonitorName: "API",
			ServiceID: "shop", ServiceName: "Web shop", Status: "down", Reason: fmt.Sprintf("reason %d;", i), Time: at,
			Owners: []catalog.Owner{{ID: "alice", Name: "Alice Example", Kind: "person", Email: "alice@example.com"}}}
		msgs = append(msgs, notify.Messages(ev, []string{"box"}, func() string { return ev.ID })...)
	}
	hook := notify.Messages(notify.Event{Event: notify.EventMonitorUp, MonitorID: "web", Reason: "for the webhook only", Time: now}, []string{"hook"}, func() string { return "h1" })
	if err := e.Store.SaveBatch(t.Context(), store.Batch{Outbox: append(msgs, hook...)}); err != nil {
		t.Fatal(err)
	}
	r = e.Get(c, "/inbox")
	for _, want := range []string{"reason 54;", "reason 5;", `href="/monitors/api"`, ">API<", "Web shop", "Alice Example", "monitor.down", "2026-03-01 11:54"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("/inbox lacks %q", want)
		}
	}
	if strings.Contains(r.Body, "reason 4;") || strings.Contains(r.Body, "for the webhook only") {
		t.Error("/inbox shows more than a page, or another channel's notification")
	}
	if strings.Index(r.Body, "reason 54;") > strings.Index(r.Body, "reason 53;") {
		t.Error("/inbox is not newest first")
	}
	i := strings.Index(r.Body, `<nav class="pager"><a href="`)
	if i < 0 {
		t.Fatal("/inbox has no link to older notifications")
	}
	next := r.Body[i+len(`<nav class="pager"><a href="`):]
	next = next[:strings.Index(next, `"`)]
	r = e.Get(c, strings.ReplaceAll(next, "&amp;", "&"))
	if !strings.Contains(r.Body, "reason 4;") || !strings.Contains(r.Body, "reason 0;") || strings.Contains(r.Body, "reason 5;") {
		t.Errorf("second page of the inbox (%s) is not the five oldest", next)
	}
}
