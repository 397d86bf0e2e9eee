package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// serveMonitors serves GET /api/v1/monitors: monitors in config order with
// state, last result and 24-hour uptime. The cursor is the id of the last
// monitor of the previous page.
func (s *API) serveMonitors(w http.ResponseWriter, r *http.Request, _ store.User) error {
	limit, err := webcore.LimitParam(r)
	if err != nil {
		return err
	}
	all := s.d.Runtime.Monitors()
	start := 0
	if after := r.URL.Query().Get("before"); after != "" {
		start = -1
		for i, m := range all {
			if m.Config.ID == after {
				start = i + 1
				break
			}
		}
		if start < 0 {
			return errs.Errorf(errs.EINVALID, "before must be a cursor from a previous page's \"next\"; no monitor %q is configured", after)
		}
	}
	end := min(start+limit, len(all))
	// The page's monitors only: with many monitors, every monitor's
	// uptime would be most of the answer's cost.
	ids := make([]string, 0, end-start)
	for _, m := range all[start:end] {
		ids = append(ids, m.Config.ID)
	}
	ups, err := s.d.Store.UptimeOf(r.Context(), ids, s.d.Now().Add(-24*time.Hour))
	if err != nil {
		return fmt.Errorf("reading uptime: %w", err)
	}
	out := List[Monitor]{Data: make([]Monitor, 0, end-start)}
	for _, m := range all[start:end] {
		am := s.toAPIMonitor(m)
		am.Uptime24h = ratioPtr(ups[m.Config.ID])
		out.Data = append(out.Data, am)
	}
	if end < len(all) && end > start {
		next := all[end-1].Config.ID
		out.Next = &next
	}
	webcore.WriteJSON(w, http.StatusOK, out)
	return nil
}

// serveMonitor serves GET /api/v1/monitors/{id} with uptime over 24h, 7d and 30d.
func (s *API) serveMonitor(w http.ResponseWriter, r *http.Request, _ store.User) error {
	m, err := s.monitorByID(r)
	if err != nil {
		return err
	}
	am := s.toAPIMonitor(m)
	now := s.d.Now()
	for _, sp := range []struct {
		span time.Duration
		dst  **float64
	}{{24 * time.Hour, &am.Uptime24h}, {7 * 24 * time.Hour, &am.Uptime7d}, {30 * 24 * time.Hour, &am.Uptime30d}} {
		up, err := s.d.Store.Uptime(r.Context(), m.Config.ID, now.Add(-sp.span))
		if err != nil {
			return fmt.Errorf("reading uptime of monitor %q: %w", m.Config.ID, err)
		}
		*sp.dst = ratioPtr(up)
	}
	webcore.WriteJSON(w, http.StatusOK, One[Monitor]{Data: am})
	return nil
}

// toAPIMonitor converts m for the API with its service described: name,
// description and owners.
func (s *API) toAPIMonitor(m webcore.MonitorView) Monitor {
	am := toAPIMonitor(m)
	am.Target = webcore.Target(s.d.Kinds, m.Config)
	am.ServiceInfo = s.service(m.Config.Service)
	return am
}

// monitorByID returns the monitor named by the {id} path value.
func (s *API) monitorByID(r *http.Request) (webcore.MonitorView, error) {
	id := r.PathValue("id")
	m, ok := s.d.Runtime.Monitor(id)
	if !ok {
		return webcore.MonitorView{}, errs.Errorf(errs.ENOTFOUND, "no monitor %q is configured", id)
	}
	return m, nil
}

// serveMonitorResults serves GET /api/v1/monitors/{id}/results, newest first.
func (s *API) serveMonitorResults(w http.ResponseWriter, r *http.Request, _ store.User) error {
	return monitorPage(s, w, r, "results", s.d.Store.Results,
		func(x store.StoredResult) Result { return toAPIResult(x.ID, x.Result) },
		func(x store.StoredResult) int64 { return x.ID })
}

// serveMonitorTransitions serves GET /api/v1/monitors/{id}/transitions.
func (s *API) serveMonitorTransitions(w http.ResponseWriter, r *http.Request, _ store.User) error {
	return monitorPage(s, w, r, "transitions", s.d.Store.Transitions, toAPITransition,
		func(x store.StoredTransition) int64 { return x.ID })
}

// serveMonitorAttempts serves GET /api/v1/monitors/{id}/notifications: the
// attempts to deliver the monitor's notifications.
func (s *API) serveMonitorAttempts(w http.ResponseWriter, r *http.Request, _ store.User) error {
	return monitorPage(s, w, r, "notifications", s.d.Store.Attempts, toAPIAttempt,
		func(x notify.Attempt) int64 { return x.ID })
}

// monitorPage answers with one page of a monitor's history, read by read
// and converted by conv; id gives the cursor of an item.
func monitorPage[T, U any](s *API, w http.ResponseWriter, r *http.Request, what string,
	read func(ctx context.Context, monitorID string, p store.Page) ([]T, error), conv func(T) U, id func(T) int64) error {
	m, err := s.monitorByID(r)
	if err != nil {
		return err
	}
	p, err := webcore.PageParams(r)
	if err != nil {
		return err
	}
	items, err := read(r.Context(), m.Config.ID, p)
	if err != nil {
		return fmt.Errorf("reading %s of monitor %q: %w", what, m.Config.ID, err)
	}
	webcore.WriteJSON(w, http.StatusOK, pageList(items, p.Limit, conv, id))
	return nil
}

// servePause returns the handler of POST /api/v1/monitors/{id}/pause and
// /resume; both answer with the monitor as it is afterwards.
func (s *API) servePause(paused bool) Handler {
	return func(w http.ResponseWriter, r *http.Request, _ store.User) error {
		id := r.PathValue("id")
		if err := s.d.Runtime.SetPaused(r.Context(), id, paused); err != nil {
			if errs.Code(err) == errs.ENOTFOUND {
				return errs.Errorf(errs.ENOTFOUND, "no monitor %q is configured", id)
			}
			return fmt.Errorf("pausing monitor %q: %w", id, err)
		}
		m, ok := s.d.Runtime.Monitor(id)
		if !ok {
			return errs.Errorf(errs.ENOTFOUND, "no monitor %q is configured", id)
		}
		webcore.WriteJSON(w, http.StatusOK, One[Monitor]{Data: s.toAPIMonitor(m)})
		return nil
	}
}

// BaselineAccepted is the answer of POST
// /api/v1/monitors/{id}/baseline/accept.
type BaselineAccepted struct {
	MonitorID  string    `json:"monitor_id"`
	Subjects   []string  `json:"subjects"`
	AcceptedBy string    `json:"accepted_by"`
	AcceptedAt time.Time `json:"accepted_at"`
}

// serveAcceptBaseline serves POST /api/v1/monitors/{id}/baseline/accept:
// what the monitor's integrity check observed becomes its baseline,
// accepted by the token's user.
func (s *API) serveAcceptBaseline(w http.ResponseWriter, r *http.Request, u store.User) error {
	id := r.PathValue("id")
	if s.d.AcceptBaseline == nil {
		return errs.Errorf(errs.ENOTFOUND, "this server keeps no baselines")
	}
	subjects, err := s.d.AcceptBaseline(r.Context(), id, u.Name)
	if err != nil {
		return err
	}
	webcore.WriteJSON(w, http.StatusOK, One[BaselineAccepted]{Data: BaselineAccepted{MonitorID: id, Subjects: subjects, AcceptedBy: u.Name, AcceptedAt: s.d.Now().UTC()}})
	return nil
}
