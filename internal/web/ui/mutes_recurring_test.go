package ui_test

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/web/webtest"
)

// TestRecurringMaintenancePage plans a recurring window from the
// Maintenance page, finds it upcoming with its next opening, then active
// during an opening with the opening after it, muting the service's
// monitors; bad input is answered on the page with a 400; ending it ends
// the recurrence.
func TestRecurringMaintenancePage(t *testing.T) {
	t.Parallel()
	m := &webtest.Mutes{}
	e := webtest.New(t, webtest.WithMutes(m))
	c := e.Setup() // Sunday 2026-03-01 12:00 UTC

	for _, tc := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"kind": {"service"}, "id": {"shop"}, "reason": {"x"}, "recurring": {"1"}, "duration": {"1h"}}, "needs a cron expression"},
		{url.Values{"kind": {"service"}, "id": {"shop"}, "reason": {"x"}, "recurring": {"1"}, "cron": {"0 2 * *"}, "duration": {"1h"}}, "invalid cron expression"},
		{url.Values{"kind": {"service"}, "id": {"shop"}, "reason": {"x"}, "recurring": {"1"}, "cron": {"0 2 * * *"}}, "how long each opening lasts"},
		{url.Values{"kind": {"service"}, "id": {"shop"}, "reason": {"x"}, "recurring": {"1"}, "cron": {"0 2 * * *"}, "duration": {"1h"}, "timezone": {"Oslo"}}, `unknown timezone "Oslo"`},
		{url.Values{"kind": {"service"}, "id": {"shop"}, "reason": {"x"}, "cron": {"0 2 * * *"}, "duration": {"1h"}}, `tick "recurring"`},
		{url.Values{"kind": {"service"}, "id": {"shop"}, "reason": {"x"}, "timezone": {"Europe/Oslo"}, "duration": {"1h"}}, `tick "recurring"`},
	} {
		r := e.PostForm(c, "/maintenance", tc.form)
		if r.Status != http.StatusBadRequest || !strings.Contains(html.UnescapeString(r.Body), tc.want) {
			t.Errorf("%v: %d, want 400 saying %q", tc.form, r.Status, tc.want)
		}
	}
	r := e.PostForm(c, "/maintenance", url.Values{"kind": {"service"}, "id": {"shop"}, "reason": {"x"}, "recurring": {"1"}, "cron": {"0 2 * *"}, "duration": {"1h"}, "timezone": {"Europe/Oslo"}})
	if !strings.Contains(r.Body, `value="0 2 * *"`) || !strings.Contains(r.Body, `value="Europe/Oslo"`) || !strings.Contains(r.Body, `name="recurring" value="1" checked`) {
		t.Error("the refused form is not shown again as typed")
	}

	r = e.PostForm(c, "/maintenance", url.Values{"kind": {"service"}, "id": {"shop"}, "reason": {"weekly patching"}, "recurring": {"1"},
		"cron": {"0 2 * * SUN"}, "duration": {"2h"}, "timezone": {"Europe/Oslo"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	page := e.Get(c, "/maintenance").Body
	up := page[strings.Index(page, `id="upcoming"`):strings.Index(page, `id="past"`)]
	// 02:00 in Oslo on 8 March is 01:00 UTC.
	if !strings.Contains(up, "weekly patching") || !strings.Contains(up, "every 0 2 * * SUN for 2h0m0s (Europe/Oslo)") ||
		!strings.Contains(up, "2026-03-08 01:00") || !strings.Contains(up, `action="/maintenance/1/end"`) {
		t.Errorf("the upcoming section lacks the recurring window:\n%s", up)
	}

	e.Clock.Set(time.Date(2026, 3, 8, 1, 30, 0, 0, time.UTC))
	page = e.Get(c, "/maintenance").Body
	active := page[strings.Index(page, `id="active"`):strings.Index(page, `id="upcoming"`)]
	if !strings.Contains(active, "weekly patching") || !strings.Contains(active, "2026-03-08 03:00") || !strings.Contains(active, "next opening") ||
		!strings.Contains(active, "2026-03-15 01:00") {
		t.Errorf("the active section lacks the opening under way and the next one:\n%s", active)
	}
	if r := e.Get(c, "/monitors/api"); !strings.Contains(r.Body, "in maintenance until 2026-03-08 03:00") {
		t.Error("the monitor page does not say it is in maintenance")
	}

	if r := e.PostForm(c, "/maintenance/1/end", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("end: %d", r.Status)
	}
	page = e.Get(c, "/maintenance").Body
	past := page[strings.Index(page, `id="past"`):]
	if !strings.Contains(past, "weekly patching") || !strings.Contains(past, "ended early by admin") || strings.Contains(past, "next opening") {
		t.Errorf("the past section lacks the ended recurring window:\n%s", past)
	}
	if r := e.Get(c, "/monitors/api"); strings.Contains(r.Body, "data-muted") {
		t.Error("api still muted after the recurrence ended")
	}
}
