package ui_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

// TestOverviewPages: 250 monitors show 100 a page, the failing first on
// the first page, with links to the first, previous, next and last pages
// that keep the filters; the counts cover every monitor on every page.
func TestOverviewPages(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	c := e.Setup()
	now := e.Clock.Now()
	e.RT.Mu.Lock()
	e.RT.Cfg = &config.Config{Services: []config.Service{{ID: "a", Name: "Alpha"}, {ID: "b", Name: "Beta"}}}
	e.RT.Views = nil
	for i := range 250 {
		status := monitor.StatusUp
		if i%50 == 49 {
			status = monitor.StatusDown
		}
		id := fmt.Sprintf("m%03d", i)
		v := webtest.HTTPMonitor(id, "Check "+id, []string{"a", "b"}[i%2], "https://"+id+".example/", status)
		v.State.Since = now.Add(-time.Duration(i) * time.Minute)
		e.RT.Views = append(e.RT.Views, v)
	}
	e.RT.Mu.Unlock()
	rows := func(body string) int { return strings.Count(body, `<a href="/monitors/`) }

	r := e.Get(c, "/")
	if n := rows(r.Body); n != 100 {
		t.Errorf("first page: %d rows, want 100", n)
	}
	// m249 has failed longest: it leads, the other four failing follow.
	if i, j := strings.Index(r.Body, ">Check m249<"), strings.Index(r.Body, ">Check m049<"); i < 0 || j < i {
		t.Errorf("the failing monitors do not lead the first page, longest failing first")
	}
	for _, want := range []string{"Showing 1–100 of 250 monitors", "Page 1 of 3", `href="/?page=2" rel="next"`, `href="/?page=3" rel="last"`} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("first page lacks %q", want)
		}
	}
	if strings.Contains(r.Body, `rel="prev"`) || strings.Contains(r.Body, `rel="first"`) {
		t.Errorf("first page links to a previous one")
	}
	r = e.Get(c, "/?page=3")
	if n := rows(r.Body); n != 50 {
		t.Errorf("last page: %d rows, want 50", n)
	}
	for _, want := range []string{"Showing 201–250 of 250 monitors", "Page 3 of 3", `href="/?page=2" rel="prev"`, `href="/" rel="first"`, `<span class="badge down">down</span> 5<`} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("last page lacks %q", want)
		}
	}
	if strings.Contains(r.Body, `rel="next"`) {
		t.Errorf("last page links to a next one")
	}
	// Every monitor shows once across the pages.
	seen := map[string]int{}
	for p := 1; p <= 3; p++ {
		body := e.Get(c, fmt.Sprintf("/?page=%d", p)).Body
		for _, part := range strings.Split(body, `<a href="/monitors/`)[1:] {
			seen[part[:strings.Index(part, `"`)]]++
		}
	}
	if len(seen) != 250 {
		t.Errorf("the pages show %d monitors, want 250", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s shows %d times", id, n)
		}
	}
	// Filters stay in the links.
	r = e.Get(c, "/?service=b&state=up&page=2")
	for _, want := range []string{"Showing 101–120 of 120 monitors", `href="/?service=b&amp;state=up" rel="prev"`} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("filtered page 2 lacks %q", want)
		}
	}
	if n := rows(r.Body); n != 20 {
		t.Errorf("filtered page 2: %d rows, want 20", n)
	}
	// A page past the last leads back to the last.
	r = e.Get(c, "/?page=9")
	if r.Status != 200 || rows(r.Body) != 0 || !strings.Contains(r.Body, `href="/?page=3" rel="prev"`) {
		t.Errorf("page past the last: %d, %d rows", r.Status, rows(r.Body))
	}
}
