package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/web"
	"github.com/tocsin/tocsin/internal/web/api"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

// TestAPIActions adds follow-up actions to an incident, refuses bad
// ones, changes their status, lists them per incident and across
// incidents by status and owner with paging, and finds them in the
// postmortem draft.
func TestAPIActions(t *testing.T) {
	t.Parallel()
	var touched atomic.Int32
	e := webtest.New(t, func(o *web.Options) { o.FollowUpsChanged = func() { touched.Add(1) } })
	webtest.OncallShop(e)
	e.RT.Cfg.Incidents = config.Incidents{Severities: config.DefaultSeverities(), Roles: config.DefaultIncidentRoles(), Severity: "p2"}
	c := e.Setup()
	do := func(method, path, body string, want int) webtest.Response {
		t.Helper()
		r := e.Do(c, method, path, strings.NewReader(body), jsonHdr)
		if r.Status != want {
			t.Fatalf("%s %s = %d %s, want %d", method, path, r.Status, r.Body, want)
		}
		return r
	}
	var in api.One[api.Incident]
	if err := json.Unmarshal([]byte(do("POST", "/api/v1/incidents", `{"title":"Checkout fails","services":["shop"],"severity":"p1"}`, 201).Body), &in); err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("/api/v1/incidents/%d/actions", in.Data.ID)
	add := func(body string) api.Action {
		t.Helper()
		var a api.One[api.Action]
		if err := json.Unmarshal([]byte(do("POST", base, body, 201).Body), &a); err != nil {
			t.Fatal(err)
		}
		return a.Data
	}
	// The clock reads 2026-03-01 12:00 UTC. Bob is in New York.
	a1 := add(`{"title":"Alert on payment latency","owner":"bob","due":"2026-02-27","priority":"high","type":"detective","link":"https://tickets.example/OPS-1"}`)
	if a1.Timezone != "America/New_York" || a1.Status != "open" || !a1.Overdue || a1.CreatedBy != "admin" ||
		a1.DueAt == nil || !a1.DueAt.Equal(time.Date(2026, 2, 28, 5, 0, 0, 0, time.UTC)) {
		t.Errorf("created: %+v", a1)
	}
	a2 := add(`{"title":"Load test checkout","owner":"Payments team","due":"2026-03-20"}`)
	if a2.Timezone != "UTC" || a2.Priority != "medium" || a2.Type != "corrective" || a2.Overdue {
		t.Errorf("defaults: %+v", a2)
	}
	a3 := add(`{"title":"Retire the old gateway","owner":"ann","type":"preventive"}`)
	if n := touched.Load(); n != 3 {
		t.Errorf("reminders told of %d changes, want 3", n)
	}
	for body, msg := range map[string]string{
		`{"owner":"bob"}`:                         "needs a title",
		`{"title":"x","priority":"urgent"}`:       "not one of high, medium, low",
		`{"title":"x","due":"next week"}`:         "not a date like",
		`{"title":"x","link":"ftp://files/x"}`:    "not an http or https URL",
		`{"title":"x","timezone":"Nowhere/Land"}`: "not an IANA timezone",
		`{"title":"x","colour":"red"}`:            "unknown field",
	} {
		r := e.Do(c, "POST", base, strings.NewReader(body), jsonHdr)
		if got := webtest.APIError(t, r); r.Status != http.StatusBadRequest || got.Code != "invalid" || !strings.Contains(got.Message, msg) {
			t.Errorf("POST %s = %d %+v, want 400 %q", body, r.Status, got, msg)
		}
	}
	if r := e.Do(c, "POST", "/api/v1/incidents/999/actions", strings.NewReader(`{"title":"x"}`), jsonHdr); r.Status != http.StatusNotFound {
		t.Errorf("action for no incident = %d %s", r.Status, r.Body)
	}
	if r := e.Do(c, "PATCH", "/api/v1/actions/999", strings.NewReader(`{"status":"done"}`), jsonHdr); r.Status != http.StatusNotFound {
		t.Errorf("patch no action = %d %s", r.Status, r.Body)
	}
	if r := e.Do(c, "PATCH", fmt.Sprintf("/api/v1/actions/%d", a1.ID), strings.NewReader(`{"status":"closed"}`), jsonHdr); r.Status != http.StatusBadRequest {
		t.Errorf("patch to a bad status = %d %s", r.Status, r.Body)
	}
	var p api.One[api.Action]
	if err := json.Unmarshal([]byte(do("PATCH", fmt.Sprintf("/api/v1/actions/%d", a3.ID), `{"status":"done"}`, 200).Body), &p); err != nil {
		t.Fatal(err)
	}
	if p.Data.Status != "done" || p.Data.DoneAt == nil || p.Data.Title != a3.Title || p.Data.Timezone != "Europe/Oslo" {
		t.Errorf("patched: %+v", p.Data)
	}
	ids := func(path string) (out []int64, next *string) {
		t.Helper()
		var l api.List[api.Action]
		if err := json.Unmarshal([]byte(do("GET", path, "", 200).Body), &l); err != nil {
			t.Fatal(err)
		}
		for _, a := range l.Data {
			out = append(out, a.ID)
		}
		return out, l.Next
	}
	for path, want := range map[string][]int64{
		base:                                   {a3.ID, a2.ID, a1.ID},
		base + "?status=done":                  {a3.ID},
		"/api/v1/actions":                      {a2.ID, a1.ID},
		"/api/v1/actions?status=overdue":       {a1.ID},
		"/api/v1/actions?status=all":           {a3.ID, a2.ID, a1.ID},
		"/api/v1/actions?owner=bob":            {a1.ID},
		"/api/v1/actions?status=all&owner=ann": {a3.ID},
	} {
		if got, _ := ids(path); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("GET %s = %v, want %v", path, got, want)
		}
	}
	got, next := ids("/api/v1/actions?status=all&limit=2")
	if fmt.Sprint(got) != fmt.Sprint([]int64{a3.ID, a2.ID}) || next == nil {
		t.Fatalf("first page = %v next %v", got, next)
	}
	if got, next := ids("/api/v1/actions?status=all&limit=2&before=" + *next); fmt.Sprint(got) != fmt.Sprint([]int64{a1.ID}) || next != nil {
		t.Errorf("second page = %v next %v", got, next)
	}
	if r := e.Get(c, "/api/v1/actions?status=late"); r.Status != http.StatusBadRequest {
		t.Errorf("bad status filter = %d %s", r.Status, r.Body)
	}
	md := e.Get(c, fmt.Sprintf("/api/v1/incidents/%d/postmortem.md", in.Data.ID)).Body
	for _, want := range []string{
		"| Alert on payment latency | bob | 2026-02-27 | high | detective | open | https://tickets.example/OPS-1 |",
		"| Retire the old gateway | ann |  | medium | preventive | done |  |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("postmortem draft lacks %q:\n%s", want, md)
		}
	}
}
