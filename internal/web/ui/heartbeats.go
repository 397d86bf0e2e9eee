package ui

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/heartbeat/schedule"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// heartbeatURL is the UI path of a heartbeat.
func heartbeatURL(id string) string { return "/heartbeats/" + url.PathEscape(id) }

type heartbeatsData struct {
	Heartbeats []heartbeatRow
	Total      int
	NextURL    string
	Paged      bool
	Counts     map[string]int
	Form       config.Heartbeat
	FormError  string
	BaseURL    string
}

func (heartbeatsData) refresh() bool { return true }

// handleHeartbeats renders "/heartbeats".
func (s *UI) handleHeartbeats(w http.ResponseWriter, r *http.Request, u store.User) error {
	s.renderHeartbeats(w, r, u, http.StatusOK, config.Heartbeat{Period: config.Duration(24 * time.Hour), Grace: config.Duration(time.Hour)}, "")
	return nil
}

func (s *UI) renderHeartbeats(w http.ResponseWriter, r *http.Request, u store.User, status int, form config.Heartbeat, formErr string) {
	all := s.d.Heartbeats.Heartbeats()
	data := heartbeatsData{Total: len(all), Counts: map[string]int{}, Form: form, FormError: formErr, BaseURL: webcore.BaseURL(s.d.Runtime)}
	for _, v := range all {
		data.Counts[v.DisplayStatus()]++
	}
	after := r.URL.Query().Get("after")
	start, err := webcore.AfterCursor(all, after)
	if err != nil {
		start = 0
	}
	end := min(start+heartbeatsPage, len(all))
	clk := clock{now: s.d.Now(), loc: viewerZone(r)}
	for _, v := range all[start:end] {
		data.Heartbeats = append(data.Heartbeats, clk.heartbeatRow(v))
	}
	data.Paged = after != ""
	if end < len(all) {
		data.NextURL = "/heartbeats?after=" + url.QueryEscape(all[end-1].ID)
	}
	s.Render(w, r, status, "heartbeats.html", &u, "Heartbeats", data)
}

// handleHeartbeatCreate serves POST /heartbeats from the form on the list.
func (s *UI) handleHeartbeatCreate(w http.ResponseWriter, r *http.Request, u store.User) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return errs.Errorf(errs.EINVALID, "The form could not be read.")
	}
	f := r.PostForm
	h := config.Heartbeat{
		ID: strings.TrimSpace(f.Get("id")), Name: strings.TrimSpace(f.Get("name")), Slug: strings.TrimSpace(f.Get("slug")),
		Service: strings.TrimSpace(f.Get("service")), Cron: strings.TrimSpace(f.Get("cron")), Timezone: strings.TrimSpace(f.Get("timezone")),
	}
	var bad []string
	for _, fd := range []struct {
		key string
		dst *config.Duration
	}{{"period", &h.Period}, {"grace", &h.Grace}, {"max_runtime", &h.MaxRuntime}} {
		v := strings.TrimSpace(f.Get(fd.key))
		if v == "" || fd.key == "period" && h.Cron != "" {
			continue
		}
		d, err := config.ParseDuration(v)
		if err != nil || d <= 0 {
			bad = append(bad, fmt.Sprintf("%s: %q is not a duration longer than zero, such as 30s, 5m, 1h or 2d", fd.key, v))
			continue
		}
		*fd.dst = config.Duration(d)
	}
	if err := webcore.HeartbeatTextLimits(h); err != nil {
		bad = append(bad, errs.Message(err))
	}
	if len(bad) > 0 {
		s.renderHeartbeats(w, r, u, http.StatusBadRequest, h, strings.Join(bad, "; "))
		return nil
	}
	v, err := s.d.Heartbeats.CreateHeartbeat(r.Context(), h)
	if err != nil {
		if c := errs.Code(err); c == errs.EINVALID || c == errs.ECONFLICT {
			s.renderHeartbeats(w, r, u, http.StatusBadRequest, h, errs.Message(err))
			return nil
		}
		return err
	}
	http.Redirect(w, r, heartbeatURL(v.ID), http.StatusSeeOther)
	return nil
}

// handleHeartbeatPause serves POST /heartbeats/{id}/pause and /resume.
func (s *UI) handleHeartbeatPause(paused bool) Handler {
	return func(w http.ResponseWriter, r *http.Request, _ store.User) error {
		id := r.PathValue("id")
		if err := s.d.Heartbeats.SetHeartbeatPaused(r.Context(), id, paused); err != nil {
			return err
		}
		http.Redirect(w, r, heartbeatURL(id), http.StatusSeeOther)
		return nil
	}
}

type heartbeatPing struct {
	store.Ping
	Text   string // the body as text, when it is UTF-8
	Binary bool
}

type heartbeatData struct {
	webcore.HeartbeatView
	// Problem is the opening line: the heartbeat's state in words.
	Problem     template.HTML
	ServiceInfo webcore.ServiceInfo
	Pings       []heartbeatPing
	NextURL     string
	Before      int64
	Server      string // base URL, for tocsin run --server
	PingURL     string
	SlugURL     string
	Cron        string
	Transitions []store.StoredTransition
	MaxRuntime  string
	Grace       string
}

func (heartbeatData) refresh() bool { return true }

const (
	heartbeatPingsPage = 50
	heartbeatsPage     = 200
)

// handleHeartbeat renders "/heartbeats/{id}": state, snippets and the
// timeline of pings with their bodies.
func (s *UI) handleHeartbeat(w http.ResponseWriter, r *http.Request, u store.User) error {
	v, err := webcore.HeartbeatByID(s.d.Heartbeats, r)
	if err != nil {
		return errs.Errorf(errs.ENOTFOUND, "There is no heartbeat %q.", r.PathValue("id"))
	}
	page, err := webcore.PageParams(r)
	if err != nil {
		return err
	}
	page.Limit = heartbeatPingsPage
	ps, err := s.d.Store.Pings(r.Context(), v.ID, page)
	if err != nil {
		return fmt.Errorf("reading pings of heartbeat %q: %w", v.ID, err)
	}
	base := webcore.BaseURL(s.d.Runtime)
	data := heartbeatData{HeartbeatView: v, Problem: clock{now: s.d.Now(), loc: viewerZone(r)}.heartbeatProblem(v), ServiceInfo: webcore.Service(s.d.Runtime, v.Service), Before: page.Before,
		Server: base, PingURL: base + "/ping/" + v.UUID, MaxRuntime: schedule.FormatDuration(v.View.Definition.Schedule.Grace),
		Grace: schedule.FormatDuration(v.Schedule.Grace)}
	if v.MaxRuntime > 0 {
		data.MaxRuntime = schedule.FormatDuration(v.MaxRuntime)
	}
	if v.Slug != "" {
		data.SlugURL = base + "/ping/PING_KEY/" + v.Slug
	}
	data.Cron = cronLine(v, base)
	for _, p := range ps {
		hp := heartbeatPing{Ping: p}
		if utf8.Valid(p.Body) {
			hp.Text = string(p.Body)
		} else {
			hp.Binary = true
		}
		data.Pings = append(data.Pings, hp)
	}
	if n := len(ps); n > 0 {
		if c := webcore.NextCursor(n, page.Limit, ps[n-1].ID); c != nil {
			data.NextURL = heartbeatURL(v.ID) + "?before=" + *c
		}
	}
	if data.Transitions, err = s.d.Store.Transitions(r.Context(), v.ID, store.Page{Limit: 20}); err != nil {
		return fmt.Errorf("reading transitions of heartbeat %q: %w", v.ID, err)
	}
	s.Render(w, r, http.StatusOK, "heartbeat.html", &u, v.Config.Name, data)
	return nil
}

// cronLine is a crontab line that runs a job under `tocsin run` at the
// heartbeat's cron time (or daily for a simple schedule).
func cronLine(v webcore.HeartbeatView, server string) string {
	when := "0 3 * * *"
	if c := v.Schedule.Cron; c != "" && len(strings.Fields(c)) == 5 {
		when = c
	}
	return when + " tocsin run --server " + server + " --heartbeat " + v.UUID + " -- /usr/local/bin/your-job"
}
