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

// cardOf returns the part of page from the element with id to the end of
// its section.
func cardOf(page, id string) string {
	i := strings.Index(page, `id="`+id+`"`)
	if i < 0 {
		return ""
	}
	rest := page[i:]
	if j := strings.Index(rest, "</section>"); j >= 0 {
		return rest[:j]
	}
	return rest
}

// TestChangesPage records a change from the Changes page, refuses bad
// ones on the page with a 400, lists them, and shows a change to a
// dependency as a recent change on the service's page.
func TestChangesPage(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	webtest.OncallShop(e)
	c := e.Setup()
	if r := e.Get(c, "/changes"); r.Status != 200 || !strings.Contains(r.Body, "No change recorded.") || !strings.Contains(r.Body, `href="/changes"`) {
		t.Fatalf("empty page: %d", r.Status)
	}
	for _, tc := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"services": {"shop"}}, "a change needs a title"},
		{url.Values{"title": {"x"}, "services": {"shop, shp"}}, `unknown service "shp"`},
		{url.Values{"title": {"x"}, "components": {"host:db9"}}, `unknown host "db9"`},
		{url.Values{"title": {"x"}, "time": {"noon"}}, `invalid change time "noon"`},
		{url.Values{"title": {"x"}, "link": {"ftp://x"}}, "must be an http or https URL"},
	} {
		r := e.PostForm(c, "/changes", tc.form)
		body := html.UnescapeString(r.Body)
		if r.Status != http.StatusBadRequest || !strings.Contains(body, tc.want) || !strings.Contains(body, `value="`+tc.form.Get("title")+`"`) {
			t.Errorf("%v: %d, want 400 saying %q and keeping the form", tc.form, r.Status, tc.want)
		}
	}
	before := e.Clock.Now().Add(-3 * time.Hour).Format("2006-01-02T15:04")
	r := e.PostForm(c, "/changes", url.Values{"title": {"firewall rule <4711>"}, "components": {"host:db1, core switch"},
		"time": {before}, "link": {"https://tickets.example.com/4711"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	if r := e.PostForm(c, "/changes", url.Values{"title": {"stray deploy"}, "services": {"stray"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("create: %d", r.Status)
	}
	page := cardOf(e.Get(c, "/changes").Body, "changes")
	if !strings.Contains(page, "firewall rule &lt;4711&gt;") || !strings.Contains(page, `href="https://tickets.example.com/4711"`) ||
		!strings.Contains(page, "<code>host:db1</code>, <code>core switch</code>") || !strings.Contains(page, "stray deploy") {
		t.Errorf("the list lacks the changes:\n%s", page)
	}
	if page := cardOf(e.Get(c, "/changes?service=stray").Body, "changes"); strings.Contains(page, "firewall") || !strings.Contains(page, "stray deploy") {
		t.Errorf("the list of stray's changes:\n%s", page)
	}

	recent := cardOf(e.Get(c, "/services/shop").Body, "recent-changes")
	if !strings.Contains(recent, "firewall rule &lt;4711&gt;") || !strings.Contains(recent, "suspect through <code>host:db1</code>") || strings.Contains(recent, "stray deploy") {
		t.Errorf("shop's recent changes:\n%s", recent)
	}
	e.Clock.Add(22 * time.Hour)
	if recent := cardOf(e.Get(c, "/services/shop").Body, "recent-changes"); !strings.Contains(recent, "No change recorded in the last 24 hours.") {
		t.Errorf("a change of over a day ago is still recent:\n%s", recent)
	}
}

// TestImpactAndCoveragePages previews what depends on a host, says what
// is wrong with an unknown one, and shows the coverage report.
func TestImpactAndCoveragePages(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	webtest.OncallShop(e)
	c := e.Setup()

	r := e.Get(c, "/impact")
	if r.Status != 200 || !strings.Contains(r.Body, `<option value="host:db1">`) || strings.Contains(r.Body, `id="impact"`) {
		t.Fatalf("the empty impact page: %d", r.Status)
	}
	imp := cardOf(e.Get(c, "/impact?component=host:db1").Body, "impact")
	if !strings.Contains(imp, "db1.example.com") || !strings.Contains(imp, `data-affected="shop"`) || !strings.Contains(imp, "directly") ||
		!strings.Contains(imp, "<strong data-oncall>Ann Berg</strong>") || !strings.Contains(imp, "Application support") {
		t.Errorf("the impact of db1:\n%s", imp)
	}
	if imp := cardOf(e.Get(c, "/impact?component=db").Body, "impact"); !strings.Contains(imp, `data-affected="shop"`) {
		t.Errorf("the impact of the db service:\n%s", imp)
	}
	r = e.Get(c, "/impact?component=host:nope")
	if r.Status != http.StatusBadRequest || !strings.Contains(html.UnescapeString(r.Body), `unknown host "nope"`) {
		t.Errorf("an unknown host: %d", r.Status)
	}

	page := e.Get(c, "/coverage").Body
	findings := cardOf(page, "findings")
	for _, want := range []string{`data-finding="liveness_only" data-subject="service:shop"`, `data-finding="no_check" data-subject="service:db"`,
		`data-finding="service_without_owner" data-subject="service:stray"`} {
		if !strings.Contains(findings, want) {
			t.Errorf("the findings lack %s:\n%s", want, findings)
		}
	}
	if cov := cardOf(page, "coverage"); !strings.Contains(cov, `data-check="web" data-class="liveness"`) {
		t.Errorf("the coverage table:\n%s", cov)
	}
}
