package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/heartbeat"
	"github.com/tocsin/tocsin/internal/heartbeat/schedule"
	"github.com/tocsin/tocsin/internal/store"
)

// HeartbeatView is one heartbeat as the UI and API show it.
type HeartbeatView struct {
	heartbeat.View
	Config config.Heartbeat
	// Paused is the monitor state's pause (by a person or the config).
	Paused bool
}

// DisplayStatus is the status to show: paused wins over the pings' verdict.
func (v HeartbeatView) DisplayStatus() string {
	if v.Paused {
		return string(heartbeat.StatusPaused)
	}
	return string(v.Status)
}

// Heartbeats is the live side of heartbeats (the app implements it).
type Heartbeats interface {
	// Heartbeats lists every heartbeat, config ones first.
	Heartbeats() []HeartbeatView
	// Heartbeat returns one; ok is false for an unknown id.
	Heartbeat(id string) (HeartbeatView, bool)
	// CreateHeartbeat stores a new heartbeat (an empty uuid is
	// generated): EINVALID for a bad definition, ECONFLICT for a taken
	// id, uuid or slug.
	CreateHeartbeat(ctx context.Context, h config.Heartbeat) (HeartbeatView, error)
	// DeleteHeartbeat removes a stored heartbeat: ENOTFOUND, or ECONFLICT
	// for one defined in the config file.
	DeleteHeartbeat(ctx context.Context, id string) error
	// SetHeartbeatPaused pauses or resumes one: ENOTFOUND, ECONFLICT.
	SetHeartbeatPaused(ctx context.Context, id string, paused bool) error
}

func (s *Server) heartbeats() Heartbeats {
	if s.opts.Heartbeats == nil {
		return noHeartbeats{}
	}
	return s.opts.Heartbeats
}

type noHeartbeats struct{}

func (noHeartbeats) Heartbeats() []HeartbeatView            { return nil }
func (noHeartbeats) Heartbeat(string) (HeartbeatView, bool) { return HeartbeatView{}, false }
func (noHeartbeats) DeleteHeartbeat(context.Context, string) error {
	return errs.Errorf(errs.ENOTFOUND, "heartbeats are not enabled")
}
func (noHeartbeats) SetHeartbeatPaused(context.Context, string, bool) error {
	return errs.Errorf(errs.ENOTFOUND, "heartbeats are not enabled")
}
func (noHeartbeats) CreateHeartbeat(context.Context, config.Heartbeat) (HeartbeatView, error) {
	return HeartbeatView{}, errs.Errorf(errs.EUNAVAILABLE, "heartbeats are not enabled")
}

// Length limits of a heartbeat's text fields, in characters (docs/api.md);
// the id, uuid and slug have patterns of their own.
const (
	maxHeartbeatName     = 200
	maxHeartbeatCron     = 100
	maxHeartbeatTimezone = 64
)

// heartbeatTextLimits refuses a heartbeat whose name, cron expression or
// timezone is longer than a page, a log line or the IANA database has room
// for.
func heartbeatTextLimits(h config.Heartbeat) error {
	for _, f := range []struct {
		name, value string
		limit       int
	}{{"name", h.Name, maxHeartbeatName}, {"cron", h.Cron, maxHeartbeatCron}, {"timezone", h.Timezone, maxHeartbeatTimezone}} {
		if n := utf8.RuneCountInString(f.value); n > f.limit {
			return errs.Errorf(errs.EINVALID, "field %q is %d characters long; the limit is %d", f.name, n, f.limit)
		}
	}
	return nil
}

// heartbeatURL is the UI path of a heartbeat.
func heartbeatURL(id string) string { return "/heartbeats/" + url.PathEscape(id) }

// --- JSON API ---

type apiHeartbeat struct {
	ID             string     `json:"id"`
	Name           string     `json:"name"`
	UUID           string     `json:"uuid"`
	Slug           string     `json:"slug,omitempty"`
	Service        string     `json:"service"`
	Channels       []string   `json:"channels"`
	Schedule       string     `json:"schedule"`
	PeriodMS       float64    `json:"period_ms,omitempty"`
	Cron           string     `json:"cron,omitempty"`
	Timezone       string     `json:"timezone,omitempty"`
	GraceMS        float64    `json:"grace_ms"`
	MaxRuntimeMS   float64    `json:"max_runtime_ms,omitempty"`
	Status         string     `json:"status"`
	LastPing       *time.Time `json:"last_ping"`
	LastFailed     bool       `json:"last_failed"`
	LastDuration   float64    `json:"last_duration_ms"`
	NextExpected   *time.Time `json:"next_expected"`
	Deadline       *time.Time `json:"deadline"`
	RunningSince   *time.Time `json:"running_since"`
	Stored         bool       `json:"stored"`
	PingURL        string     `json:"ping_url"`
	SlugPingURL    string     `json:"slug_ping_url,omitempty"`
	LastActivity   *time.Time `json:"last_activity"`
	RunsInFlight   int        `json:"runs_in_flight"`
	PausedInConfig bool       `json:"paused_in_config"`
	// The service's name, description and owners.
	apiServiceInfo
}

type apiPing struct {
	ID         int64     `json:"id"`
	Time       time.Time `json:"time"`
	Kind       string    `json:"kind"`
	ExitStatus *int      `json:"exit_status"`
	RunID      string    `json:"rid,omitempty"`
	DurationMS float64   `json:"duration_ms,omitempty"`
	// Body is the text of a UTF-8 body; BodyBase64 holds any other.
	Body       string `json:"body,omitempty"`
	BodyBase64 []byte `json:"body_base64,omitempty"`
	Truncated  bool   `json:"truncated"`
	Transport  string `json:"transport"`
	Method     string `json:"method"`
	Source     string `json:"source"`
	UserAgent  string `json:"user_agent,omitempty"`
}

func (s *Server) toAPIHeartbeat(v HeartbeatView) apiHeartbeat {
	a := apiHeartbeat{
		ID: v.ID, Name: v.Config.Name, UUID: v.UUID, Slug: v.Slug, Service: v.Service, Channels: v.Config.Channels,
		Schedule: v.Schedule.String(), Cron: v.Schedule.Cron, Timezone: v.Config.Timezone,
		PeriodMS: millis(v.Schedule.Period), GraceMS: millis(v.Schedule.Grace), MaxRuntimeMS: millis(v.MaxRuntime),
		Status: v.DisplayStatus(), LastPing: timePtr(v.State.LastPing), LastFailed: v.State.LastFailed,
		LastDuration: millis(v.State.LastDuration), NextExpected: timePtr(v.NextExpected), Deadline: timePtr(v.View.Deadline),
		Stored: v.Stored, LastActivity: timePtr(v.State.LastActivity), RunsInFlight: len(v.State.Runs),
		PausedInConfig: v.Config.Paused, apiServiceInfo: s.apiService(v.Service),
	}
	if a.Channels == nil {
		a.Channels = []string{}
	}
	if len(v.State.Runs) > 0 {
		a.RunningSince = timePtr(v.State.Runs[len(v.State.Runs)-1].Start)
	}
	base := s.baseURL()
	a.PingURL = base + "/ping/" + v.UUID
	if v.Slug != "" {
		a.SlugPingURL = base + "/ping/{ping_key}/" + v.Slug
	}
	return a
}

func toAPIPing(p store.Ping) apiPing {
	a := apiPing{ID: p.ID, Time: p.Time.UTC(), Kind: p.Kind, RunID: p.RunID, DurationMS: millis(p.Duration),
		Truncated: p.Truncated, Transport: p.Transport, Method: p.Method, Source: p.Source, UserAgent: p.UserAgent}
	if p.Kind == string(heartbeat.KindExit) {
		e := p.ExitStatus
		a.ExitStatus = &e
	}
	if utf8.Valid(p.Body) {
		a.Body = string(p.Body)
	} else {
		a.BodyBase64 = p.Body
	}
	return a
}

// baseURL is the server's public URL from the config, "" when unknown.
func (s *Server) baseURL() string {
	if cfg := s.rt.Config(); cfg != nil {
		return strings.TrimRight(cfg.Server.BaseURL, "/")
	}
	return ""
}

// apiHeartbeats serves GET /api/v1/heartbeats, in definition order, paged
// like the monitors: the cursor is the id of the last heartbeat of the
// previous page.
func (s *Server) apiHeartbeats(w http.ResponseWriter, r *http.Request, _ store.User) error {
	limit, err := limitParam(r)
	if err != nil {
		return err
	}
	all := s.heartbeats().Heartbeats()
	start, err := afterCursor(all, r.URL.Query().Get("before"))
	if err != nil {
		return err
	}
	end := min(start+limit, len(all))
	out := list[apiHeartbeat]{Data: make([]apiHeartbeat, 0, end-start)}
	for _, v := range all[start:end] {
		out.Data = append(out.Data, s.toAPIHeartbeat(v))
	}
	if end < len(all) && end > start {
		next := all[end-1].ID
		out.Next = &next
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// afterCursor is the index after the heartbeat named by cursor ("" is 0).
func afterCursor(all []HeartbeatView, cursor string) (int, error) {
	if cursor == "" {
		return 0, nil
	}
	for i, v := range all {
		if v.ID == cursor {
			return i + 1, nil
		}
	}
	return 0, errs.Errorf(errs.EINVALID, "before must be a cursor from a previous page's \"next\"; no heartbeat %q exists", cursor)
}

func (s *Server) heartbeatByID(r *http.Request) (HeartbeatView, error) {
	id := r.PathValue("id")
	v, ok := s.heartbeats().Heartbeat(id)
	if !ok {
		return HeartbeatView{}, errs.Errorf(errs.ENOTFOUND, "no heartbeat %q", id)
	}
	return v, nil
}

// apiHeartbeat serves GET /api/v1/heartbeats/{id}.
func (s *Server) apiHeartbeat(w http.ResponseWriter, r *http.Request, _ store.User) error {
	v, err := s.heartbeatByID(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, one[apiHeartbeat]{Data: s.toAPIHeartbeat(v)})
	return nil
}

// apiHeartbeatCreate serves POST /api/v1/heartbeats with a heartbeat in
// the config file's shape (durations as "24h").
func (s *Server) apiHeartbeatCreate(w http.ResponseWriter, r *http.Request, _ store.User) error {
	var h config.Heartbeat
	if err := decodeJSON(w, r, &h); err != nil {
		return err
	}
	if err := heartbeatTextLimits(h); err != nil {
		return err
	}
	v, err := s.heartbeats().CreateHeartbeat(r.Context(), h)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/heartbeats/"+url.PathEscape(v.ID))
	writeJSON(w, http.StatusCreated, one[apiHeartbeat]{Data: s.toAPIHeartbeat(v)})
	return nil
}

// apiHeartbeatDelete serves DELETE /api/v1/heartbeats/{id}.
func (s *Server) apiHeartbeatDelete(w http.ResponseWriter, r *http.Request, _ store.User) error {
	if err := s.heartbeats().DeleteHeartbeat(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// apiHeartbeatPause serves POST /api/v1/heartbeats/{id}/pause and /resume.
func (s *Server) apiHeartbeatPause(paused bool) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, _ store.User) error {
		id := r.PathValue("id")
		if err := s.heartbeats().SetHeartbeatPaused(r.Context(), id, paused); err != nil {
			return err
		}
		v, err := s.heartbeatByID(r)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, one[apiHeartbeat]{Data: s.toAPIHeartbeat(v)})
		return nil
	}
}

// apiHeartbeatPings serves GET /api/v1/heartbeats/{id}/pings, newest first.
func (s *Server) apiHeartbeatPings(w http.ResponseWriter, r *http.Request, _ store.User) error {
	v, err := s.heartbeatByID(r)
	if err != nil {
		return err
	}
	p, err := pageParams(r)
	if err != nil {
		return err
	}
	ps, err := s.store.Pings(r.Context(), v.ID, p)
	if err != nil {
		return fmt.Errorf("reading pings of heartbeat %q: %w", v.ID, err)
	}
	writeJSON(w, http.StatusOK, pageList(ps, p.Limit, toAPIPing, func(x store.Ping) int64 { return x.ID }))
	return nil
}

// --- UI ---

type heartbeatsData struct {
	Heartbeats []HeartbeatView
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
func (s *Server) handleHeartbeats(w http.ResponseWriter, r *http.Request, u store.User) error {
	s.renderHeartbeats(w, r, u, http.StatusOK, config.Heartbeat{Period: config.Duration(24 * time.Hour), Grace: config.Duration(time.Hour)}, "")
	return nil
}

func (s *Server) renderHeartbeats(w http.ResponseWriter, r *http.Request, u store.User, status int, form config.Heartbeat, formErr string) {
	all := s.heartbeats().Heartbeats()
	data := heartbeatsData{Total: len(all), Counts: map[string]int{}, Form: form, FormError: formErr, BaseURL: s.baseURL()}
	for _, v := range all {
		data.Counts[v.DisplayStatus()]++
	}
	after := r.URL.Query().Get("after")
	start, err := afterCursor(all, after)
	if err != nil {
		start = 0
	}
	end := min(start+heartbeatsPage, len(all))
	data.Heartbeats, data.Paged = all[start:end], after != ""
	if end < len(all) {
		data.NextURL = "/heartbeats?after=" + url.QueryEscape(all[end-1].ID)
	}
	s.render(w, r, status, "heartbeats.html", &u, "Heartbeats", data)
}

// handleHeartbeatCreate serves POST /heartbeats from the form on the list.
func (s *Server) handleHeartbeatCreate(w http.ResponseWriter, r *http.Request, u store.User) error {
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
	if err := heartbeatTextLimits(h); err != nil {
		bad = append(bad, errs.Message(err))
	}
	if len(bad) > 0 {
		s.renderHeartbeats(w, r, u, http.StatusBadRequest, h, strings.Join(bad, "; "))
		return nil
	}
	v, err := s.heartbeats().CreateHeartbeat(r.Context(), h)
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
func (s *Server) handleHeartbeatPause(paused bool) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, _ store.User) error {
		id := r.PathValue("id")
		if err := s.heartbeats().SetHeartbeatPaused(r.Context(), id, paused); err != nil {
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
	HeartbeatView
	ServiceInfo serviceInfo
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
func (s *Server) handleHeartbeat(w http.ResponseWriter, r *http.Request, u store.User) error {
	v, err := s.heartbeatByID(r)
	if err != nil {
		return errs.Errorf(errs.ENOTFOUND, "There is no heartbeat %q.", r.PathValue("id"))
	}
	page, err := pageParams(r)
	if err != nil {
		return err
	}
	page.Limit = heartbeatPingsPage
	ps, err := s.store.Pings(r.Context(), v.ID, page)
	if err != nil {
		return fmt.Errorf("reading pings of heartbeat %q: %w", v.ID, err)
	}
	base := s.baseURL()
	data := heartbeatData{HeartbeatView: v, ServiceInfo: s.service(v.Service), Before: page.Before,
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
		if c := nextCursor(n, page.Limit, ps[n-1].ID); c != nil {
			data.NextURL = heartbeatURL(v.ID) + "?before=" + *c
		}
	}
	if data.Transitions, err = s.store.Transitions(r.Context(), v.ID, store.Page{Limit: 20}); err != nil {
		return fmt.Errorf("reading transitions of heartbeat %q: %w", v.ID, err)
	}
	s.render(w, r, http.StatusOK, "heartbeat.html", &u, v.Config.Name, data)
	return nil
}

// cronLine is a crontab line that runs a job under `tocsin run` at the
// heartbeat's cron time (or daily for a simple schedule).
func cronLine(v HeartbeatView, server string) string {
	when := "0 3 * * *"
	if c := v.Schedule.Cron; c != "" && len(strings.Fields(c)) == 5 {
		when = c
	}
	return when + " tocsin run --server " + server + " --heartbeat " + v.UUID + " -- /usr/local/bin/your-job"
}
