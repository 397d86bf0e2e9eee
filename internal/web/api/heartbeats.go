package api

import (
	"fmt"
	"net/http"
	"net/url"
	"time"
	"unicode/utf8"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/heartbeat"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// Heartbeat is a heartbeat as GET /api/v1/heartbeats shows it.
type Heartbeat struct {
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
	ServiceInfo
}

// Ping is one stored ping of a heartbeat.
type Ping struct {
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

func (s *API) toAPIHeartbeat(v webcore.HeartbeatView) Heartbeat {
	a := Heartbeat{
		ID: v.ID, Name: v.Config.Name, UUID: v.UUID, Slug: v.Slug, Service: v.Service, Channels: v.Config.Channels,
		Schedule: v.Schedule.String(), Cron: v.Schedule.Cron, Timezone: v.Config.Timezone,
		PeriodMS: millis(v.Schedule.Period), GraceMS: millis(v.Schedule.Grace), MaxRuntimeMS: millis(v.MaxRuntime),
		Status: v.DisplayStatus(), LastPing: timePtr(v.State.LastPing), LastFailed: v.State.LastFailed,
		LastDuration: millis(v.State.LastDuration), NextExpected: timePtr(v.NextExpected), Deadline: timePtr(v.View.Deadline),
		Stored: v.Stored, LastActivity: timePtr(v.State.LastActivity), RunsInFlight: len(v.State.Runs),
		PausedInConfig: v.Config.Paused, ServiceInfo: s.service(v.Service),
	}
	if a.Channels == nil {
		a.Channels = []string{}
	}
	if len(v.State.Runs) > 0 {
		a.RunningSince = timePtr(v.State.Runs[len(v.State.Runs)-1].Start)
	}
	base := webcore.BaseURL(s.d.Runtime)
	a.PingURL = base + "/ping/" + v.UUID
	if v.Slug != "" {
		a.SlugPingURL = base + "/ping/{ping_key}/" + v.Slug
	}
	return a
}

func toAPIPing(p store.Ping) Ping {
	a := Ping{ID: p.ID, Time: p.Time.UTC(), Kind: p.Kind, RunID: p.RunID, DurationMS: millis(p.Duration),
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

// serveHeartbeats serves GET /api/v1/heartbeats, in definition order, paged
// like the monitors: the cursor is the id of the last heartbeat of the
// previous page.
func (s *API) serveHeartbeats(w http.ResponseWriter, r *http.Request, _ store.User) error {
	limit, err := webcore.LimitParam(r)
	if err != nil {
		return err
	}
	all := s.d.Heartbeats.Heartbeats()
	start, err := webcore.AfterCursor(all, r.URL.Query().Get("before"))
	if err != nil {
		return err
	}
	end := min(start+limit, len(all))
	out := List[Heartbeat]{Data: make([]Heartbeat, 0, end-start)}
	for _, v := range all[start:end] {
		out.Data = append(out.Data, s.toAPIHeartbeat(v))
	}
	if end < len(all) && end > start {
		next := all[end-1].ID
		out.Next = &next
	}
	webcore.WriteJSON(w, http.StatusOK, out)
	return nil
}

// serveHeartbeat serves GET /api/v1/heartbeats/{id}.
func (s *API) serveHeartbeat(w http.ResponseWriter, r *http.Request, _ store.User) error {
	v, err := webcore.HeartbeatByID(s.d.Heartbeats, r)
	if err != nil {
		return err
	}
	webcore.WriteJSON(w, http.StatusOK, One[Heartbeat]{Data: s.toAPIHeartbeat(v)})
	return nil
}

// serveHeartbeatCreate serves POST /api/v1/heartbeats with a heartbeat in
// the config file's shape (durations as "24h").
func (s *API) serveHeartbeatCreate(w http.ResponseWriter, r *http.Request, _ store.User) error {
	var h config.Heartbeat
	if err := decodeJSON(w, r, &h); err != nil {
		return err
	}
	if err := webcore.HeartbeatTextLimits(h); err != nil {
		return err
	}
	v, err := s.d.Heartbeats.CreateHeartbeat(r.Context(), h)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/heartbeats/"+url.PathEscape(v.ID))
	webcore.WriteJSON(w, http.StatusCreated, One[Heartbeat]{Data: s.toAPIHeartbeat(v)})
	return nil
}

// serveHeartbeatDelete serves DELETE /api/v1/heartbeats/{id}.
func (s *API) serveHeartbeatDelete(w http.ResponseWriter, r *http.Request, _ store.User) error {
	if err := s.d.Heartbeats.DeleteHeartbeat(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// serveHeartbeatPause serves POST /api/v1/heartbeats/{id}/pause and /resume.
func (s *API) serveHeartbeatPause(paused bool) Handler {
	return func(w http.ResponseWriter, r *http.Request, _ store.User) error {
		id := r.PathValue("id")
		if err := s.d.Heartbeats.SetHeartbeatPaused(r.Context(), id, paused); err != nil {
			return err
		}
		v, err := webcore.HeartbeatByID(s.d.Heartbeats, r)
		if err != nil {
			return err
		}
		webcore.WriteJSON(w, http.StatusOK, One[Heartbeat]{Data: s.toAPIHeartbeat(v)})
		return nil
	}
}

// serveHeartbeatPings serves GET /api/v1/heartbeats/{id}/pings, newest first.
func (s *API) serveHeartbeatPings(w http.ResponseWriter, r *http.Request, _ store.User) error {
	v, err := webcore.HeartbeatByID(s.d.Heartbeats, r)
	if err != nil {
		return err
	}
	p, err := webcore.PageParams(r)
	if err != nil {
		return err
	}
	ps, err := s.d.Store.Pings(r.Context(), v.ID, p)
	if err != nil {
		return fmt.Errorf("reading pings of heartbeat %q: %w", v.ID, err)
	}
	webcore.WriteJSON(w, http.StatusOK, pageList(ps, p.Limit, toAPIPing, func(x store.Ping) int64 { return x.ID }))
	return nil
}
