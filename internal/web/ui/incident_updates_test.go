package ui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

// TestIncidentUpdateForm posts updates from the incident page: a P1
// declared by hand gets its first notice, a bad update is answered on the
// page, and with updates_by comms only the comms role holder may post.
func TestIncidentUpdateForm(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	e.RT.Cfg.Incidents = config.Incidents{ResolveAfter: config.Duration(10 * time.Minute), Severities: config.DefaultSeverities(),
		Roles: config.DefaultIncidentRoles(), Severity: "p2", UpdatesBy: config.UpdatesByAnyone, AutoNotice: []string{"p0", "p1"},
		NoticeTemplate: config.DefaultNoticeTemplate}
	c := e.Setup()
	post := func(path string, form url.Values) webtest.Response {
		t.Helper()
		r := e.PostForm(c, path, form)
		if r.Status == http.StatusSeeOther {
			return e.Get(c, r.Header.Get("Location"))
		}
		return r
	}
	r := post("/incidents", url.Values{"title": {"Export blocked"}, "severity": {"p1"}, "kind": {"staff"}})
	if r.Status != 200 || !strings.Contains(r.Body, `id="update-form"`) || !strings.Contains(r.Body, "public update (investigating): We are investigating a problem with one of our services.") {
		t.Fatalf("declared P1 without its first notice: %d %s", r.Status, r.Body)
	}
	r = post("/incidents/1/update", url.Values{"message": {"Exports resume slowly."}, "status": {"monitoring"}, "public": {"on"}})
	if r.Status != 200 || !strings.Contains(r.Body, "public update (monitoring): Exports resume slowly.") {
		t.Errorf("update: %d", r.Status)
	}
	if r := post("/incidents/1/update", url.Values{"message": {""}, "status": {"monitoring"}}); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "needs a message") {
		t.Errorf("empty message: %d", r.Status)
	}
	e.RT.Cfg.Incidents.UpdatesBy = config.UpdatesByComms
	if r := post("/incidents/1/update", url.Values{"message": {"x"}, "status": {"identified"}}); r.Status != http.StatusForbidden || !strings.Contains(r.Body, "communications lead") {
		t.Errorf("not comms: %d", r.Status)
	}
	post("/incidents/1/role", url.Values{"role": {"comms"}, "holder": {"admin"}})
	if r := post("/incidents/1/update", url.Values{"message": {"Root cause found."}, "status": {"identified"}}); r.Status != 200 || !strings.Contains(r.Body, "internal update (identified): Root cause found.") {
		t.Errorf("comms holder: %d", r.Status)
	}
}
