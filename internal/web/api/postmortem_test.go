package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/web/api"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

// TestAPIPostmortemDraft drafts the postmortem of a declared incident:
// its measured detection, its timeline with a misleading path, and the
// change made to a dependency the day before; then with a team's own
// template, and a broken one.
func TestAPIPostmortemDraft(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	webtest.OncallShop(e)
	e.RT.Cfg.Incidents = config.Incidents{ResolveAfter: config.Duration(10 * time.Minute), Severities: config.DefaultSeverities(),
		Roles: config.DefaultIncidentRoles(), Severity: "p2"}
	c := e.Setup()
	now := e.Clock.Now()
	post := func(path, body string) webtest.Response {
		t.Helper()
		r := e.Do(c, "POST", path, strings.NewReader(body), jsonHdr)
		if r.Status != http.StatusCreated {
			t.Fatalf("POST %s = %d %s", path, r.Status, r.Body)
		}
		return r
	}
	post("/api/v1/changes", fmt.Sprintf(`{"title":"resize db1 disk","author":"ann","time":%q,"components":["host:db1"]}`,
		now.Add(-5*time.Hour).Format(time.RFC3339)))
	post("/api/v1/changes", fmt.Sprintf(`{"title":"too old","services":["shop"],"time":%q}`, now.Add(-40*time.Hour).Format(time.RFC3339)))
	r := post("/api/v1/incidents", fmt.Sprintf(`{"title":"Checkout fails","services":["shop"],"severity":"p1",
		"reported_by":{"name":"ACME support","kind":"customer"},"reported_at":%q}`, now.Add(-90*time.Minute).Format(time.RFC3339)))
	var in api.One[api.Incident]
	if err := json.Unmarshal([]byte(r.Body), &in); err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("/api/v1/incidents/%d", in.Data.ID)
	r = post(base+"/timeline", fmt.Sprintf(`{"text":"blamed the payment provider","time":%q,"misleading":true}`,
		now.Add(-30*time.Minute).Format(time.RFC3339)))
	post(base+"/timeline", `{"text":"db1 disk full","key":true}`)

	r = e.Get(c, base+"/postmortem.md")
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/markdown") {
		t.Fatalf("draft = %d %s %s", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	at := func(d time.Duration) string { return now.Add(d).UTC().Format("2006-01-02 15:04:05Z") }
	for _, want := range []string{
		"# Postmortem: Checkout fails (incident " + fmt.Sprint(in.Data.ID) + ")",
		"P1: Major", "- shop\n",
		"How: customer (ACME support)",
		"Detected: " + at(0) + " (1h30m0s after the first failure)",
		"Acknowledged: never",
		"| " + at(-30*time.Minute) + " |  misleading | blamed the payment provider | admin |",
		"| " + at(0) + " | **key** | db1 disk full | admin |",
		"## Misleading paths\n\n- " + at(-30*time.Minute) + ": blamed the payment provider (admin)",
		"- " + at(-5*time.Hour) + ": resize db1 disk by ann (touches host:db1)",
	} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("draft lacks %q:\n%s", want, r.Body)
		}
	}
	if strings.Contains(r.Body, "too old") {
		t.Errorf("a change from before the window is a suspect:\n%s", r.Body)
	}

	own := filepath.Join(t.TempDir(), "pm.md.tmpl")
	if err := os.WriteFile(own, []byte("# Review {{.Title}}\n{{range .Suspects}}* {{.Title}}\n{{end}}"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.RT.Cfg.Incidents.PostmortemTemplate = own
	if r := e.Get(c, base+"/postmortem.md"); r.Status != 200 || r.Body != "# Review Checkout fails\n* resize db1 disk\n" {
		t.Errorf("own template = %d %q", r.Status, r.Body)
	}
	if err := os.WriteFile(own, []byte("{{.Nope}}"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := e.Get(c, base+"/postmortem.md"); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "postmortem_template") {
		t.Errorf("broken template = %d %s", r.Status, r.Body)
	}
	if r := e.Get(c, "/api/v1/incidents/9999/postmortem.md"); r.Status != http.StatusNotFound {
		t.Errorf("no incident = %d %s", r.Status, r.Body)
	}
}

// TestAPIPostmortemReview saves a postmortem from its draft, edits it,
// moves it through review to published, and finds it by search.
func TestAPIPostmortemReview(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	webtest.OncallShop(e)
	e.RT.Cfg.Incidents = config.Incidents{ResolveAfter: config.Duration(10 * time.Minute), Severities: config.DefaultSeverities(),
		Roles: config.DefaultIncidentRoles(), Severity: "p2"}
	c := e.Setup()
	do := func(method, path, body string) (webtest.Response, api.Postmortem) {
		t.Helper()
		r := e.Do(c, method, path, strings.NewReader(body), jsonHdr)
		var one api.One[api.Postmortem]
		if r.Status == http.StatusOK && method != "GET" || strings.HasSuffix(path, "/postmortem") && r.Status == http.StatusOK {
			if err := json.Unmarshal([]byte(r.Body), &one); err != nil {
				t.Fatalf("%v in %s", err, r.Body)
			}
		}
		return r, one.Data
	}
	r := e.Do(c, "POST", "/api/v1/incidents", strings.NewReader(`{"title":"Mail queue stuck","services":["shop"]}`), jsonHdr)
	var in api.One[api.Incident]
	if err := json.Unmarshal([]byte(r.Body), &in); err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("/api/v1/incidents/%d/postmortem", in.Data.ID)
	r, p := do("GET", base, "")
	if r.Status != 200 || p.Stored || p.State != "draft" || !strings.Contains(p.Body, "## Timeline (UTC)") {
		t.Fatalf("unsaved draft = %d %+v", r.Status, p)
	}
	r, p = do("PUT", base, `{"title":"Mail queue stuck","body":"# Mail queue\n\nThe relay refused TLS 1.0.\n<script>alert(1)</script>"}`)
	if r.Status != 200 || !p.Stored || p.State != "draft" || p.CreatedBy != "admin" {
		t.Fatalf("save = %d %s", r.Status, r.Body)
	}
	if r := e.Get(c, base+".md"); r.Status != 200 || !strings.HasPrefix(r.Body, "# Mail queue\n") {
		t.Errorf("markdown of the saved one = %d %q", r.Status, r.Body)
	}
	if r, _ := do("POST", base+"/state", `{"state":"published"}`); r.Status != http.StatusConflict {
		t.Errorf("publish a draft = %d %s", r.Status, r.Body)
	}
	if r, _ := do("POST", base+"/state", `{"state":"gone"}`); r.Status != http.StatusBadRequest {
		t.Errorf("unknown state = %d %s", r.Status, r.Body)
	}
	do("POST", base+"/state", `{"state":"in_review"}`)
	r, p = do("POST", base+"/state", `{"state":"published"}`)
	if r.Status != 200 || p.State != "published" || p.ApprovedBy != "admin" || p.ApprovedAt == nil {
		t.Fatalf("publish = %d %s", r.Status, r.Body)
	}
	if r, _ := do("PUT", base, `{"body":"changed"}`); r.Status != http.StatusConflict {
		t.Errorf("edit a published one = %d %s", r.Status, r.Body)
	}
	if r, _ := do("PUT", "/api/v1/incidents/9999/postmortem", `{"body":"x"}`); r.Status != http.StatusNotFound {
		t.Errorf("save for no incident = %d %s", r.Status, r.Body)
	}
	for q, n := range map[string]int{"tls 1.0": 1, "nothing": 0} {
		r := e.Get(c, "/api/v1/postmortems?q="+strings.ReplaceAll(q, " ", "+"))
		var l api.List[api.Postmortem]
		if err := json.Unmarshal([]byte(r.Body), &l); err != nil || len(l.Data) != n {
			t.Errorf("search %q = %d %s", q, r.Status, r.Body)
		}
	}
}
