package status

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/feeds"
)

// style is the pages' stylesheet. A bar's colour repeats what its text
// says; the text is there for screen readers and as a tooltip.
const style = `body{font:16px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
header p{color:#444}.banner{padding:.75rem 1rem;border-radius:.4rem;font-weight:600;margin:1rem 0}
.s-operational{background:#e3f4e5;color:#14521d}.s-degraded{background:#fff4d6;color:#6b4c00}
.s-partial_outage{background:#ffe4cc;color:#7a3300}.s-major_outage{background:#fde2e1;color:#8a1111}
.s-maintenance{background:#e2ecfb;color:#163f7a}section{margin:1.5rem 0}
.comp{border:1px solid #ddd;border-radius:.4rem;padding:.75rem 1rem;margin:.5rem 0}
.comp h3{display:flex;justify-content:space-between;margin:0;font-size:1rem}.state{font-weight:600}
.reason{margin:.25rem 0;color:#444}ol.bars{display:flex;gap:1px;list-style:none;padding:0;margin:.5rem 0 0;height:2rem}
ol.bars li{flex:1;border-radius:1px;background:#ccc}ol.bars li.ok{background:#2e9e44}ol.bars li.minor{background:#e3a008}
ol.bars li.major{background:#d93025}.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
.scale{display:flex;justify-content:space-between;color:#555;font-size:.85rem}time{white-space:nowrap}
ul.events{padding-left:1.2rem}.incident{border-color:#d93025;border-width:2px}form{margin:.5rem 0}footer{color:#555;font-size:.85rem;margin-top:2rem}`

var styleTag = func() string {
	sum := sha256.Sum256([]byte(style))
	return hex.EncodeToString(sum[:8])
}()

func serveStyle(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	_, _ = w.Write([]byte(style))
}

var funcs = template.FuncMap{
	"label": label,
	"utc":   func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"iso":   func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"day":   func(t time.Time) string { return t.Format("2006-01-02") },
	"pct":   pct,
	"bar": func(d dayView) string {
		switch r := d.Ratio(); {
		case r < 0:
			return "none"
		case r >= 0.999:
			return "ok"
		case r >= 0.99:
			return "minor"
		default:
			return "major"
		}
	},
	"join":  joinNames,
	"title": upperFirst,
}

// pct writes a share of good results for people: "99.95%", or "no data".
func pct(r float64) string {
	if r < 0 {
		return "no data"
	}
	s := fmt.Sprintf("%.2f", r*100)
	if r < 1 && strings.HasPrefix(s, "100") {
		s = "99.99"
	}
	return s + "%"
}

var pageTmpl = template.Must(template.New("status").Funcs(funcs).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.V.Title}}</title>
<link rel="stylesheet" href="/status/style.css?v={{.Style}}">
<link rel="alternate" type="application/atom+xml" title="{{.V.Title}} (Atom)" href="/status/{{.V.Slug}}/feed.atom">
<link rel="alternate" type="application/rss+xml" title="{{.V.Title}} (RSS)" href="/status/{{.V.Slug}}/feed.rss">
<link rel="alternate" type="application/json" href="/status/{{.V.Slug}}.json">
</head><body>
<header><h1>{{.V.Title}}</h1>{{with .V.Description}}<p>{{.}}</p>{{end}}</header>
<main>
<p class="banner s-{{.V.State}}" role="status">{{if eq .V.State "operational"}}All systems operational{{else}}{{label .V.State}}{{end}}</p>
{{with .V.Active}}<section aria-labelledby="ah"><h2 id="ah">Active incidents</h2>
{{range .}}<div class="comp incident"><h3><span>{{join .Components}}</span> <span class="state">{{title .Status}}</span></h3>
<p class="reason">{{.Message}}</p><p class="scale"><span>Updated <time datetime="{{iso .Updated}}">{{utc .Updated}}</time></span><span>Since <time datetime="{{iso .Started}}">{{utc .Started}}</time></span></p></div>
{{end}}</section>{{end}}
{{with .V.Maintenance}}<section aria-labelledby="mh"><h2 id="mh">Maintenance</h2><ul>
{{range .}}<li>{{if .Active}}<strong>In progress</strong>{{else}}Scheduled{{end}}: {{join .Components}}, from <time datetime="{{iso .Start}}">{{utc .Start}}</time> to <time datetime="{{iso .End}}">{{utc .End}}</time></li>
{{end}}</ul></section>{{end}}
<section aria-labelledby="ch"><h2 id="ch">Components</h2>
{{range .V.Components}}<div class="comp"><h3><span>{{.Name}}</span> <span class="state s-{{.State}}">{{label .State}}</span></h3>
{{with .Reason}}<p class="reason">{{.}}</p>{{end}}
<ol class="bars" aria-label="Daily uptime of {{.Name}}, the last 90 days, oldest first">{{range .Days}}<li class="{{bar .}}" title="{{day .Date}}: {{pct .Ratio}}"><span class="sr">{{day .Date}}: {{pct .Ratio}}</span></li>{{end}}</ol>
<p class="scale"><span>90 days ago</span><span>{{pct .Uptime}} uptime</span><span>Today</span></p></div>
{{end}}</section>
<section aria-labelledby="eh"><h2 id="eh">Recent events</h2>
{{with .V.Entries}}<ul class="events">{{range .}}<li><time datetime="{{iso .Time}}">{{utc .Time}}</time> — <strong>{{.Title}}</strong>. {{.Text}}</li>
{{end}}</ul>{{else}}<p>No events in the last 30 days.</p>{{end}}</section>
{{with .V.Subscribe}}<section aria-labelledby="sh"><h2 id="sh">Get updates</h2>
{{if .EmailChannel}}<form method="post" action="/status/{{$.V.Slug}}/subscribe"><label>Get updates by email <input type="email" name="email" required maxlength="512" autocomplete="email"></label> <button type="submit">Subscribe</button></form>{{end}}
{{if .Webhooks}}<form method="post" action="/status/{{$.V.Slug}}/subscribe"><label>Get updates by webhook <input type="url" name="webhook" required maxlength="512" placeholder="https://"></label> <button type="submit">Subscribe</button></form>{{end}}
</section>{{end}}
</main>
<footer>Updated <time datetime="{{iso .V.Updated}}">{{utc .V.Updated}}</time>. Subscribe: <a href="/status/{{.V.Slug}}/feed.atom">Atom</a>, <a href="/status/{{.V.Slug}}/feed.rss">RSS</a>, <a href="/status/{{.V.Slug}}.json">JSON</a>.</footer>
</body></html>
`))

// servePage answers /status/{slug} with the page and /status/{slug}.json
// with its JSON: a wildcard is a whole path segment, so the suffix is
// told apart here. A slug never holds a dot.
func (h *Handler) servePage(w http.ResponseWriter, r *http.Request) {
	slug, asJSON := strings.CutSuffix(r.PathValue("slug"), ".json")
	p, ok := pageBySlug(h.d.Runtime.Config(), slug)
	if !ok {
		http.Error(w, "No such status page.", http.StatusNotFound)
		return
	}
	v, err := h.view(r.Context(), p)
	if err != nil {
		h.d.Logger.Error("computing a status page", "page", p.ID, "err", err)
		http.Error(w, "The status page cannot be shown right now. Please try again in a minute.", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=30")
	if asJSON {
		v.jsonOnce.Do(func() { v.json, _ = json.Marshal(toJSON(v)) }) // plain values: it cannot fail
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Access-Control-Allow-Origin", "*")
		_, _ = w.Write(v.json)
		return
	}
	v.htmlOnce.Do(func() {
		var buf bytes.Buffer
		v.htmlErr = pageTmpl.Execute(&buf, struct {
			V     *pageView
			Style string
		}{v, styleTag})
		v.html = buf.Bytes()
		var z bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&z, gzip.BestSpeed) // a valid level: no error
		_, _ = zw.Write(v.html)                          // into memory: no error
		_ = zw.Close()
		v.htmlGzip = z.Bytes()
	})
	if v.htmlErr != nil {
		h.d.Logger.Error("rendering a status page", "page", p.ID, "err", v.htmlErr)
		http.Error(w, "The status page cannot be shown right now.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Add("Vary", "Accept-Encoding")
	if acceptsGzip(r) {
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = w.Write(v.htmlGzip)
		return
	}
	_, _ = w.Write(v.html)
}

// acceptsGzip reports whether the client takes a gzip-encoded answer.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// JSON is the public JSON of a page, /status/{slug}.json.
type JSON struct {
	Title       string          `json:"title"`
	Description string          `json:"description,omitempty"`
	State       string          `json:"state"`
	Updated     time.Time       `json:"updated"`
	Components  []JSONComponent `json:"components"`
	Maintenance []JSONMaint     `json:"maintenance"`
	Events      []JSONEvent     `json:"events"`
	// Incidents are the active incidents with their latest public update.
	Incidents []JSONIncident `json:"incidents"`
}

// JSONIncident is an active incident: its latest public update and the
// components it touches.
type JSONIncident struct {
	Status     string    `json:"status"`
	Message    string    `json:"message"`
	Updated    time.Time `json:"updated"`
	Started    time.Time `json:"started"`
	Components []string  `json:"components"`
}

// JSONComponent is one row; Uptime is null without data.
type JSONComponent struct {
	Key    string    `json:"key"`
	Name   string    `json:"name"`
	State  string    `json:"state"`
	Reason string    `json:"reason,omitempty"`
	Uptime *float64  `json:"uptime_90d"`
	Days   []JSONDay `json:"days"`
}

// JSONDay is one daily bar; Uptime is null without data.
type JSONDay struct {
	Date   string   `json:"date"`
	Uptime *float64 `json:"uptime"`
}

// JSONMaint is a maintenance window under way or scheduled.
type JSONMaint struct {
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	Active     bool      `json:"active"`
	Components []string  `json:"components"`
}

// JSONEvent is one recent event.
type JSONEvent struct {
	ID    string    `json:"id"`
	Time  time.Time `json:"time"`
	Title string    `json:"title"`
	Text  string    `json:"text"`
}

func ratio(r float64) *float64 {
	if r < 0 {
		return nil
	}
	return &r
}

func toJSON(v *pageView) JSON {
	out := JSON{Title: v.Title, Description: v.Description, State: v.State, Updated: v.Updated,
		Components: []JSONComponent{}, Maintenance: []JSONMaint{}, Events: []JSONEvent{}, Incidents: []JSONIncident{}}
	for _, a := range v.Active {
		out.Incidents = append(out.Incidents, JSONIncident(a))
	}
	for _, c := range v.Components {
		jc := JSONComponent{Key: c.Key, Name: c.Name, State: c.State, Reason: c.Reason, Uptime: ratio(c.Uptime)}
		for _, d := range c.Days {
			jc.Days = append(jc.Days, JSONDay{Date: d.Date.Format("2006-01-02"), Uptime: ratio(d.Ratio())})
		}
		out.Components = append(out.Components, jc)
	}
	for _, m := range v.Maintenance {
		out.Maintenance = append(out.Maintenance, JSONMaint(m))
	}
	for _, e := range v.Entries {
		out.Events = append(out.Events, JSONEvent(e))
	}
	return out
}

// feed builds the page's feed; links are made from server.base_url, not
// from the request's Host header, which the client chooses.
func (h *Handler) feed(w http.ResponseWriter, r *http.Request) (*feeds.Feed, bool) {
	p, ok := pageBySlug(h.d.Runtime.Config(), r.PathValue("slug"))
	if !ok {
		http.Error(w, "No such status page.", http.StatusNotFound)
		return nil, false
	}
	v, err := h.view(r.Context(), p)
	if err != nil {
		h.d.Logger.Error("computing a status page", "page", p.ID, "err", err)
		http.Error(w, "The feed cannot be shown right now. Please try again in a minute.", http.StatusServiceUnavailable)
		return nil, false
	}
	base := strings.TrimRight(h.d.Runtime.Config().Server.BaseURL, "/") + "/status/" + p.Slug
	f := &feeds.Feed{Title: v.Title, Link: &feeds.Link{Href: base}, Description: v.Description, Id: base, Updated: v.Updated}
	if f.Description == "" {
		f.Description = "Status of " + v.Title
	}
	for _, e := range v.Entries {
		f.Items = append(f.Items, &feeds.Item{Id: base + "#" + e.ID, Title: e.Title, Description: e.Text,
			Link: &feeds.Link{Href: base}, Created: e.Time, Updated: e.Time})
	}
	w.Header().Set("Cache-Control", "public, max-age=30")
	return f, true
}

func (h *Handler) serveAtom(w http.ResponseWriter, r *http.Request) {
	f, ok := h.feed(w, r)
	if !ok {
		return
	}
	s, err := f.ToAtom()
	if err != nil {
		h.d.Logger.Error("writing a status feed", "err", err)
		http.Error(w, "The feed cannot be shown right now.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	_, _ = w.Write([]byte(s))
}

func (h *Handler) serveRSS(w http.ResponseWriter, r *http.Request) {
	f, ok := h.feed(w, r)
	if !ok {
		return
	}
	s, err := f.ToRss()
	if err != nil {
		h.d.Logger.Error("writing a status feed", "err", err)
		http.Error(w, "The feed cannot be shown right now.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	_, _ = w.Write([]byte(s))
}
