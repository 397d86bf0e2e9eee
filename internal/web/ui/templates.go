package ui

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"time"

	"github.com/tocsin/tocsin/internal/heartbeat/schedule"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

//go:embed templates
var templateFS embed.FS

// pageTemplate is one page parsed together with the layout.
type pageTemplate struct {
	t *template.Template
}

// page is what every template receives.
type page struct {
	Title   string
	User    *store.User
	Version string
	Data    any
	// Refresh asks the page script to reload the main region periodically.
	Refresh bool
	// Script loads the page script without the refresh, for the time zone
	// cookie it sets.
	Script bool
}

func (s *UI) templateFuncs() template.FuncMap {
	return template.FuncMap{
		"asset":  s.assets.url,
		"ago":    s.ago,
		"utc":    formatUTC,
		"iso":    formatISO,
		"pct":    formatPercent,
		"ms":     formatMillis,
		"target": s.target,
		"status": webcore.StatusOf,
		"nagios": nagiosClass,
		"inc":    func(i int) int { return i + 1 },
		"int64":  func(i int64) string { return strconv.FormatInt(i, 10) },
		"metric": s.formatMetric,
		"dur":    schedule.FormatDuration,
		"list":   func(s ...string) []string { return s },
		"muted":  s.mutedText,
	}
}

// parseTemplates parses every page with the layout.
func (s *UI) parseTemplates() (map[string]*pageTemplate, error) {
	layout, err := template.New("layout.html").Funcs(s.templateFuncs()).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*pageTemplate{}
	for _, n := range names {
		base := n[len("templates/"):]
		if base == "layout.html" {
			continue
		}
		t, err := layout.Clone()
		if err != nil {
			return nil, err
		}
		if _, err := t.ParseFS(templateFS, n); err != nil {
			return nil, fmt.Errorf("%s: %w", base, err)
		}
		pages[base] = &pageTemplate{t: t}
	}
	return pages, nil
}

// render executes a page into a buffer first, so a template failure becomes
// a clean 500 instead of half a page.
func (s *UI) Render(w http.ResponseWriter, r *http.Request, status int, name string, u *store.User, title string, data any) {
	pt, ok := s.pages[name]
	if !ok {
		s.d.Logger.Error("rendering page", "page", name, "err", "no such template")
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	p := page{Title: title, User: u, Version: s.d.Version, Data: data}
	if rp, ok := data.(interface{ refresh() bool }); ok {
		p.Refresh = rp.refresh()
	}
	if sp, ok := data.(interface{ script() bool }); ok {
		p.Script = sp.script()
	}
	s.execute(w, r, status, pt, name, "layout.html", p)
}

// execute runs the template entry of a page (the layout, or a page of its
// own such as a printable one) and writes it.
func (s *UI) execute(w http.ResponseWriter, r *http.Request, status int, pt *pageTemplate, name, entry string, p page) {
	var buf bytes.Buffer
	if err := pt.t.ExecuteTemplate(&buf, entry, p); err != nil {
		s.d.Logger.Error("rendering page", "page", name, "path", r.URL.Path, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// ago formats t relative to now: "12s ago", "3m ago", "in 40s", "never".
func (s *UI) ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := s.d.Now().Sub(t)
	if d < 0 {
		return "in " + shortDuration(-d)
	}
	if d < time.Second {
		return "just now"
	}
	return shortDuration(d) + " ago"
}

// shortDuration formats d with its largest unit only: 12s, 3m, 5h, 2d.
func shortDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	default:
		return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
	}
}

func formatUTC(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func formatISO(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// formatPercent formats an uptime ratio; negative means no data.
func formatPercent(r float64) string {
	if r < 0 {
		return "—"
	}
	if r >= 1 {
		return "100%"
	}
	// Never round 99.996% up to a misleading 100%.
	return strconv.FormatFloat(float64(int64(r*10000))/100, 'f', 2, 64) + "%"
}

// formatMillis formats a duration for people: "38ms", "1.24s", "850µs".
func formatMillis(d time.Duration) string {
	switch {
	case d <= 0:
		return "0ms"
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d/time.Microsecond)
	case d < time.Second:
		return fmt.Sprintf("%dms", d/time.Millisecond)
	default:
		return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + "s"
	}
}

// nagiosClass maps a probe status name to a badge class.
func nagiosClass(status fmt.Stringer) string {
	switch status.String() {
	case "OK":
		return "up"
	case "WARNING":
		return "warning"
	case "CRITICAL":
		return "down"
	default:
		return "pending"
	}
}
