package ui_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

// TestIncidentPageFlow: an update posted on the page moves the incident
// to the state it reports and tells the subscribed channels; a state
// moved by hand does too; the page flags the changes made before the
// incident to its service and what it depends on, with links, and not
// the others; the first notice names services by their names.
func TestIncidentPageFlow(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var events []string
	e := webtest.New(t, func(o *web.Options) {
		o.IncidentEvent = func(event string, in store.Incident, message string) {
			mu.Lock()
			defer mu.Unlock()
			events = append(events, event+" "+in.State+" "+message)
		}
	})
	e.RT.Cfg.Services = []config.Service{{ID: "shop", Name: "Web shop", DependsOn: []string{"db"}}, {ID: "db", Name: "Database"}, {ID: "mail", Name: "Mail"}}
	e.RT.Cfg.Incidents = config.Incidents{ResolveAfter: config.Duration(10 * time.Minute), Severities: config.DefaultSeverities(),
		Roles: config.DefaultIncidentRoles(), Severity: "p2", UpdatesBy: config.UpdatesByAnyone, AutoNotice: []string{"p0", "p1"},
		NoticeTemplate: config.DefaultNoticeTemplate}
	ctx := t.Context()
	now := e.Clock.Now()
	for _, ch := range []store.Change{
		{Title: "pg 17 upgrade", Author: "bob", Time: now.Add(-2 * time.Hour), Services: []string{"db"}, Link: "https://ci.example.org/pg17"},
		{Title: "mail relay moved", Author: "bob", Time: now.Add(-time.Hour), Services: []string{"mail"}},
		{Title: "last week's shop deploy", Author: "bob", Time: now.Add(-48 * time.Hour), Services: []string{"shop"}},
	} {
		if _, err := e.Store.AddChange(ctx, ch); err != nil {
			t.Fatal(err)
		}
	}
	c := e.Setup()
	post := func(path string, form url.Values) webtest.Response {
		t.Helper()
		r := e.PostForm(c, path, form)
		if r.Status == http.StatusSeeOther {
			return e.Get(c, r.Header.Get("Location"))
		}
		return r
	}
	r := post("/incidents", url.Values{"title": {"Checkout fails"}, "severity": {"p1"}, "kind": {"staff"}, "service": {"shop"}})
	if r.Status != 200 || !strings.Contains(r.Body, "We are investigating a problem with Web shop.") {
		t.Fatalf("declared: %d, first notice without the service's name", r.Status)
	}
	if !strings.Contains(r.Body, `data-suspects="1"`) || !strings.Contains(r.Body, `href="https://ci.example.org/pg17"`) ||
		!strings.Contains(r.Body, "suspect through <code>db</code>") {
		t.Errorf("the page does not flag the pg upgrade as a suspect:\n%s", r.Body)
	}
	for _, not := range []string{"mail relay moved", "last week&#39;s shop deploy"} {
		if strings.Contains(r.Body, not) {
			t.Errorf("the page lists %q as a suspect", not)
		}
	}
	r = post("/incidents/1/update", url.Values{"message": {"The upgrade broke a query."}, "status": {"identified"}})
	if r.Status != 200 || !strings.Contains(r.Body, `<dd id="state">identified</dd>`) || !strings.Contains(r.Body, "investigating → identified: by an update") {
		t.Errorf("an identified update left the state: %d", r.Status)
	}
	post("/incidents/1/update", url.Values{"message": {"Still on it."}, "status": {"identified"}})
	post("/incidents/1/state", url.Values{"state": {"resolved"}, "text": {"rolled back"}})
	in, err := e.Store.Incident(ctx, 1)
	if err != nil || in.State != store.IncidentResolved || in.ResolvedBy != "admin" {
		t.Fatalf("after resolving by hand: %+v, %v", in, err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"incident.opened investigating ", "incident.updated identified The upgrade broke a query.", "incident.updated identified Still on it.",
		"incident.resolved resolved rolled back"}
	if !slices.Equal(events, want) {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(events, "\n"), strings.Join(want, "\n"))
	}
}
