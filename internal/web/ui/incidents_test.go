package ui_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

// TestIncidentPages declares a customer-reported incident from the form,
// shows it, adds a note with its own time in the viewer's zone, marks it
// misleading, changes severity, hands over the lead and moves the state;
// bad input is answered on the page with nothing changed, and hostile
// text is shown as text.
func TestIncidentPages(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	e.RT.Cfg.Incidents = config.Incidents{ResolveAfter: config.Duration(10 * time.Minute), Severities: config.DefaultSeverities(),
		Roles: config.DefaultIncidentRoles(), Severity: "p2"}
	c := e.Setup()
	// post follows the redirect to the page a form shows after it.
	post := func(path string, form url.Values) webtest.Response {
		t.Helper()
		r := e.PostForm(c, path, form)
		if r.Status == http.StatusSeeOther {
			return e.Get(c, r.Header.Get("Location"))
		}
		return r
	}
	if r := e.Get(c, "/incidents"); r.Status != 200 || !strings.Contains(r.Body, "No incidents.") || !strings.Contains(r.Body, `<a href="/incidents">Incidents</a>`) ||
		!strings.Contains(r.Body, "Major: a core service is degraded") {
		t.Fatalf("empty list: %d", r.Status)
	}
	r := post("/incidents", url.Values{"title": {"Export <script>x</script> blocked"}, "service": {"shop"}, "severity": {"p1"},
		"reported_by": {"ACME support"}, "kind": {"customer"}, "reported_at": {"2026-03-01 10:30"}})
	if r.Status != 200 || !strings.Contains(r.Body, "Incident #1: Export &lt;script&gt;x&lt;/script&gt; blocked") || strings.Contains(r.Body, "<script>x") {
		t.Fatalf("declare: %d %s", r.Status, r.Body)
	}
	for _, want := range []string{"ACME support (customer), declared by admin", `id="severity">p1`, `id="state">investigating`, "reported by ACME support (customer)", "10:30 UTC"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("the incident page lacks %q", want)
		}
	}
	if r := post("/incidents", url.Values{"title": {"x"}, "severity": {"p9"}, "kind": {"staff"}}); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "not one of p0, p1, p2") {
		t.Errorf("bad severity: %d", r.Status)
	}
	if r := post("/incidents", url.Values{"title": {"x"}, "kind": {"staff"}, "reported_at": {"yesterday"}}); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "is not one such as") {
		t.Errorf("bad time: %d", r.Status)
	}

	r = post("/incidents/1/note", url.Values{"text": {"Firewall team says rule 4711 is new"}, "time": {"2026-03-01 11:00"}, "key": {"on"}})
	if r.Status != 200 || !strings.Contains(r.Body, "Firewall team says rule 4711 is new") {
		t.Fatalf("note: %d", r.Status)
	}
	i := strings.Index(r.Body, "Firewall team says")
	row := r.Body[strings.LastIndex(r.Body[:i], "<tr"):]
	row = row[:strings.Index(row, "</tr>")]
	if !strings.Contains(row, `class="key"`) || !strings.Contains(row, "11:00 UTC") {
		t.Errorf("the note's row: %s", row)
	}
	j := strings.Index(row, `name="entry_id" value="`)
	entry := row[j+len(`name="entry_id" value="`):]
	entry = entry[:strings.Index(entry, `"`)]
	r = post("/incidents/1/mark", url.Values{"entry_id": {entry}, "mark": {"misleading"}, "value": {"on"}})
	if !strings.Contains(r.Body, "<s>Firewall team says rule 4711 is new</s> <em>misleading</em>") {
		t.Errorf("marked misleading: %d", r.Status)
	}
	r = post("/incidents/1/severity", url.Values{"severity": {"p0"}})
	if !strings.Contains(r.Body, `id="severity">p0`) || !strings.Contains(r.Body, "severity p1 → p0") {
		t.Errorf("severity change not shown")
	}
	post("/incidents/1/role", url.Values{"role": {"lead"}, "holder": {"ann"}})
	r = post("/incidents/1/role", url.Values{"role": {"lead"}, "holder": {"bob"}})
	if !strings.Contains(r.Body, "lead: handed over from ann to bob") || !strings.Contains(r.Body, "<dt>Incident lead</dt><dd>bob</dd>") {
		t.Errorf("handover not shown")
	}
	if r := post("/incidents/1/role", url.Values{"role": {"scribe"}, "holder": {"x"}}); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "there is no role") {
		t.Errorf("unknown role: %d", r.Status)
	}
	r = post("/incidents/1/state", url.Values{"state": {"identified"}, "text": {"rule 4711"}})
	if !strings.Contains(r.Body, `id="state">identified`) || !strings.Contains(r.Body, "investigating → identified: rule 4711") {
		t.Errorf("state change not shown")
	}
	if r := post("/incidents/1/state", url.Values{"state": {"identified"}}); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "identified already") {
		t.Errorf("same state: %d", r.Status)
	}
	if r := e.Get(c, "/incidents/99"); r.Status != http.StatusNotFound {
		t.Errorf("unknown incident: %d", r.Status)
	}
	if r := e.Get(c, "/incidents?state=identified"); !strings.Contains(r.Body, fmt.Sprintf(`href="/incidents/%d"`, 1)) {
		t.Errorf("filtered list lacks the incident")
	}
	if r := e.Get(c, "/incidents?state=sleeping"); r.Status != http.StatusBadRequest {
		t.Errorf("bad filter: %d", r.Status)
	}
}
