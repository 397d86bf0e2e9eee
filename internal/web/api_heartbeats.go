package web

import (
	"fmt"
	"net/http"
	"net/url"
	"time"
	"unicode/utf8"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/heartbeat"
	"github.com/tocsin/tocsin/internal/store"
)

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
