package api

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/mute"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// pastMutes is how far back the listings reach for windows and silences
// that have ended.
const pastMutes = 7 * 24 * time.Hour

// MaintenanceWindow is a window as GET /api/v1/maintenance shows it: from
// the configuration file (source "config", id its config id) or created at
// run time (source "stored", a numeric id).
type MaintenanceWindow struct {
	ID     string                  `json:"id"`
	Source string                  `json:"source"`
	Reason string                  `json:"reason"`
	Match  config.MaintenanceMatch `json:"match"`
	// StartsAt and EndsAt bound a one-off window, or the current or next
	// opening of a recurring one (absent when it never opens again).
	StartsAt *time.Time `json:"starts_at,omitempty"`
	EndsAt   *time.Time `json:"ends_at,omitempty"`
	// NextStartsAt is, for a recurring window, the first opening that
	// begins after now (after the one under way, if any).
	NextStartsAt *time.Time `json:"next_starts_at,omitempty"`
	Cron         string     `json:"cron,omitempty"`
	Duration     string     `json:"duration,omitempty"`
	Timezone     string     `json:"timezone,omitempty"`
	// From and Until bound the recurrence of a recurring window created
	// at run time; Until is absent until someone ends it.
	From  *time.Time `json:"from,omitempty"`
	Until *time.Time `json:"until,omitempty"`
	// State is "active", "upcoming" or "past".
	State     string     `json:"state"`
	CreatedBy string     `json:"created_by,omitempty"`
	CreatedAt *time.Time `json:"created_at,omitempty"`
	EndedBy   string     `json:"ended_by,omitempty"`
}

// Silence is a silence as GET /api/v1/silences shows it.
type Silence struct {
	ID        int64     `json:"id"`
	Matchers  []string  `json:"matchers"`
	Reason    string    `json:"reason"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"`
	// State is "active", "upcoming" or "expired".
	State     string `json:"state"`
	ExpiredBy string `json:"expired_by,omitempty"`
}

func ptr(t time.Time) *time.Time { return &t }

func windowState(start, end, now time.Time) string {
	switch {
	case !now.Before(end):
		return "past"
	case now.Before(start):
		return "upcoming"
	}
	return "active"
}

// toAPIWindow shows a stored window.
func toAPIWindow(w store.MaintenanceWindow, now time.Time) MaintenanceWindow {
	aw := MaintenanceWindow{
		ID: fmt.Sprint(w.ID), Source: mute.SourceStored, Reason: w.Reason,
		Match:     config.MaintenanceMatch{Services: w.Services, Monitors: w.Monitors, Hosts: w.Hosts, Components: w.Components, Tags: w.Tags},
		CreatedBy: w.CreatedBy, CreatedAt: ptr(w.CreatedAt), EndedBy: w.EndedBy,
	}
	if w.Cron == "" {
		aw.StartsAt, aw.EndsAt, aw.State = ptr(w.StartsAt), ptr(w.EndsAt), windowState(w.StartsAt, w.EndsAt, now)
		return aw
	}
	aw.Cron, aw.Duration, aw.Timezone, aw.From = w.Cron, config.Duration(w.Duration).String(), w.Timezone, ptr(w.StartsAt)
	if aw.Timezone == "" {
		aw.Timezone = "UTC"
	}
	if !w.EndsAt.IsZero() {
		aw.Until = ptr(w.EndsAt)
	}
	mw, err := webcore.StoredWindow(w)
	if err != nil {
		aw.State = "past" // a timezone this system no longer knows: it mutes nothing
		return aw
	}
	openings(&aw, mw, now)
	return aw
}

// openings sets the state and the current or next opening of a window,
// and the opening after that of a recurring one.
func openings(aw *MaintenanceWindow, w mute.Window, now time.Time) {
	aw.State = "past"
	if s, e, ok := w.ActiveAt(now); ok {
		aw.StartsAt, aw.EndsAt, aw.State = ptr(s), ptr(e), "active"
	} else if s, e, ok := w.Next(now); ok {
		aw.StartsAt, aw.EndsAt, aw.State = ptr(s), ptr(e), "upcoming"
	} else if !w.Recurring() {
		aw.StartsAt, aw.EndsAt = ptr(w.Start), ptr(w.End)
	}
	if !w.Recurring() {
		return
	}
	from := now
	if aw.State == "active" {
		from = *aw.StartsAt
	}
	if aw.State == "upcoming" {
		aw.NextStartsAt = aw.StartsAt
	} else if s, _, ok := w.Next(from); ok {
		aw.NextStartsAt = ptr(s)
	}
}

// configWindows shows the windows of the configuration file: a recurring
// one with its current or next opening.
func configWindows(cfg *config.Config, now time.Time) []MaintenanceWindow {
	var out []MaintenanceWindow
	if cfg == nil {
		return out
	}
	for _, m := range cfg.Maintenance {
		w, err := mute.WindowFromConfig(m)
		if err != nil {
			continue // validated on load
		}
		aw := MaintenanceWindow{ID: m.ID, Source: mute.SourceConfig, Reason: m.Reason, Match: m.Match, Cron: m.Cron, Timezone: m.Timezone}
		if w.Recurring() {
			aw.Duration = m.Duration.String()
		}
		openings(&aw, w, now)
		out = append(out, aw)
	}
	return out
}

// serveMaintenance serves GET /api/v1/maintenance: the windows of the
// configuration file, then those created at run time that ended within a
// week or have not ended, oldest start first.
func (s *API) serveMaintenance(w http.ResponseWriter, r *http.Request, _ store.User) error {
	now := s.d.Now()
	out := List[MaintenanceWindow]{Data: configWindows(s.d.Runtime.Config(), now)}
	ws, err := s.d.Store.MaintenanceWindows(r.Context(), now.Add(-pastMutes))
	if err != nil {
		return fmt.Errorf("listing maintenance windows: %w", err)
	}
	for _, mw := range ws {
		out.Data = append(out.Data, toAPIWindow(mw, now))
	}
	if out.Data == nil {
		out.Data = []MaintenanceWindow{}
	}
	webcore.WriteJSON(w, http.StatusOK, out)
	return nil
}

// maintenanceRequest is the body of POST /api/v1/maintenance: what to
// cover, why, and when. A one-off window: starts_at (default now) and
// ends_at or duration. A recurring one: cron, duration (of each opening)
// and timezone (default UTC), optionally bounded by from (default now) and
// until (default: until ended).
type maintenanceRequest struct {
	Reason     string          `json:"reason"`
	Services   []string        `json:"services"`
	Monitors   []string        `json:"monitors"`
	Hosts      []string        `json:"hosts"`
	Components []string        `json:"components"`
	Tags       []string        `json:"tags"`
	StartsAt   time.Time       `json:"starts_at"`
	EndsAt     time.Time       `json:"ends_at"`
	Duration   config.Duration `json:"duration"`
	Cron       string          `json:"cron"`
	Timezone   string          `json:"timezone"`
	From       time.Time       `json:"from"`
	Until      time.Time       `json:"until"`
}

// when reads the time fields of a maintenance request into w: the one-off
// form or the recurring one, never both.
func (req maintenanceRequest) when(w *store.MaintenanceWindow, now time.Time) error {
	if strings.TrimSpace(req.Cron) == "" {
		if req.Cron != "" {
			return errs.Errorf(errs.EINVALID, "the cron expression is empty")
		}
		if req.Timezone != "" || !req.From.IsZero() || !req.Until.IsZero() {
			return errs.Errorf(errs.EINVALID, "timezone, from and until belong to a recurring window: give cron and duration too, or leave them out for a one-off window")
		}
		var err error
		w.StartsAt, w.EndsAt, err = span(req.StartsAt, req.EndsAt, req.Duration, now)
		return err
	}
	if !req.StartsAt.IsZero() || !req.EndsAt.IsZero() {
		return errs.Errorf(errs.EINVALID, "give starts_at and ends_at (a one-off window) or cron, duration and timezone (a recurring one), not both: from and until bound a recurring window")
	}
	if req.Duration <= 0 {
		return errs.Errorf(errs.EINVALID, "a recurring window needs a duration above zero: how long each opening lasts, such as 2h")
	}
	w.Cron, w.Duration, w.Timezone = strings.TrimSpace(req.Cron), req.Duration.D(), req.Timezone
	w.StartsAt, w.EndsAt = req.From.UTC(), req.Until.UTC()
	if req.From.IsZero() {
		w.StartsAt = now.UTC()
	}
	if req.Until.IsZero() {
		w.EndsAt = time.Time{}
	}
	return nil
}

// span reads starts_at and ends_at or duration: exactly one of the last two.
func span(start, end time.Time, d config.Duration, now time.Time) (time.Time, time.Time, error) {
	if start.IsZero() {
		start = now
	}
	switch {
	case !end.IsZero() && d != 0:
		return start, end, errs.Errorf(errs.EINVALID, "give ends_at or duration, not both")
	case end.IsZero() && d == 0:
		return start, end, errs.Errorf(errs.EINVALID, "ends_at or duration is required: nothing is muted forever")
	case d != 0:
		end = start.Add(d.D())
	}
	return start.UTC(), end.UTC(), nil
}

// serveMaintenanceCreate serves POST /api/v1/maintenance.
func (s *API) serveMaintenanceCreate(w http.ResponseWriter, r *http.Request, u store.User) error {
	var req maintenanceRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	now := s.d.Now()
	in := store.MaintenanceWindow{Reason: req.Reason, Services: req.Services, Monitors: req.Monitors,
		Hosts: req.Hosts, Components: req.Components, Tags: req.Tags}
	if err := req.when(&in, now); err != nil {
		return err
	}
	mw, err := s.d.CreateWindow(r.Context(), u, in)
	if err != nil {
		return err
	}
	webcore.WriteJSON(w, http.StatusCreated, One[MaintenanceWindow]{Data: toAPIWindow(mw, now)})
	return nil
}

// serveMaintenanceEnd serves POST /api/v1/maintenance/{id}/end and
// DELETE /api/v1/maintenance/{id}: the window ends now.
func (s *API) serveMaintenanceEnd(w http.ResponseWriter, r *http.Request, u store.User) error {
	mw, err := s.d.EndWindow(r.Context(), u, r.PathValue("id"))
	if err != nil {
		return err
	}
	webcore.WriteJSON(w, http.StatusOK, One[MaintenanceWindow]{Data: toAPIWindow(mw, s.d.Now())})
	return nil
}

func toAPISilence(si store.Silence, now time.Time) Silence {
	out := Silence{ID: si.ID, Reason: si.Reason, CreatedBy: si.CreatedBy, CreatedAt: si.CreatedAt, StartsAt: si.StartsAt, EndsAt: si.EndsAt,
		ExpiredBy: si.ExpiredBy, Matchers: make([]string, len(si.Matchers)), State: windowState(si.StartsAt, si.EndsAt, now)}
	if out.State == "past" {
		out.State = "expired"
	}
	for i, m := range si.Matchers {
		out.Matchers[i] = m.Name + m.Op + m.Value
	}
	return out
}

// serveSilences serves GET /api/v1/silences: silences in force, upcoming,
// or expired within a week, oldest start first.
func (s *API) serveSilences(w http.ResponseWriter, r *http.Request, _ store.User) error {
	now := s.d.Now()
	ss, err := s.d.Store.Silences(r.Context(), now.Add(-pastMutes))
	if err != nil {
		return fmt.Errorf("listing silences: %w", err)
	}
	out := List[Silence]{Data: make([]Silence, 0, len(ss))}
	for _, si := range ss {
		out.Data = append(out.Data, toAPISilence(si, now))
	}
	webcore.WriteJSON(w, http.StatusOK, out)
	return nil
}

// silenceRequest is the body of POST /api/v1/silences.
type silenceRequest struct {
	// Matchers are "name=value", "name!=value", "name=~regex" or
	// "name!~regex"; all must match.
	Matchers []string        `json:"matchers"`
	Reason   string          `json:"reason"`
	StartsAt time.Time       `json:"starts_at"`
	EndsAt   time.Time       `json:"ends_at"`
	Duration config.Duration `json:"duration"`
}

// ParseMatchers reads matchers written as mute.ParseMatcher reads them.
func ParseMatchers(in []string) ([]store.SilenceMatcher, error) {
	out := make([]store.SilenceMatcher, 0, len(in))
	for _, s := range in {
		m, err := mute.ParseMatcher(s)
		if err != nil {
			return nil, errs.Errorf(errs.EINVALID, "%v", err)
		}
		out = append(out, store.SilenceMatcher{Name: m.Name, Op: m.Op, Value: m.Value})
	}
	return out, nil
}

// serveSilenceCreate serves POST /api/v1/silences.
func (s *API) serveSilenceCreate(w http.ResponseWriter, r *http.Request, u store.User) error {
	var req silenceRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	now := s.d.Now()
	start, end, err := span(req.StartsAt, req.EndsAt, req.Duration, now)
	if err != nil {
		return err
	}
	ms, err := ParseMatchers(req.Matchers)
	if err != nil {
		return err
	}
	si, err := s.d.CreateSilence(r.Context(), u, store.Silence{Matchers: ms, Reason: req.Reason, StartsAt: start, EndsAt: end})
	if err != nil {
		return err
	}
	webcore.WriteJSON(w, http.StatusCreated, One[Silence]{Data: toAPISilence(si, now)})
	return nil
}

// serveSilenceExpire serves POST /api/v1/silences/{id}/expire.
func (s *API) serveSilenceExpire(w http.ResponseWriter, r *http.Request, u store.User) error {
	si, err := s.d.ExpireSilence(r.Context(), u, r.PathValue("id"))
	if err != nil {
		return err
	}
	webcore.WriteJSON(w, http.StatusOK, One[Silence]{Data: toAPISilence(si, s.d.Now())})
	return nil
}
