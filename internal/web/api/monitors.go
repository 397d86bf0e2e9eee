package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// MonitorStates are the values the monitor list's ?status= takes.
var MonitorStates = []string{"up", "warning", "down", "pending", "paused", "flapping"}

// MonitorList is a page of monitors with the number of those matching.
type MonitorList struct {
	List[Monitor]
	// Total counts the monitors the filters let through, on every page.
	Total int `json:"total"`
}

// serveMonitors serves GET /api/v1/monitors: monitors in config order with
// state, last result and 24-hour uptime, filtered by ?status=, ?service=
// and ?q=. The cursor is the id of the last monitor of the previous page.
// The runtime answers a page without listing every monitor.
func (s *API) serveMonitors(w http.ResponseWriter, r *http.Request, _ store.User) error {
	limit, err := webcore.LimitParam(r)
	if err != nil {
		return err
	}
	params := r.URL.Query()
	q := webcore.MonitorQuery{Limit: limit, After: params.Get("before"), Status: params.Get("status")}
	if q.Status != "" && !slices.Contains(MonitorStates, q.Status) {
		return errs.Errorf(errs.EINVALID, "status must be one of %s, not %q", strings.Join(MonitorStates, ", "), q.Status)
	}
	cfg := s.d.Runtime.Config()
	if svc := params.Get("service"); svc != "" {
		if cfg == nil || !slices.ContainsFunc(cfg.Services, func(x config.Service) bool { return x.ID == svc }) {
			return errs.Errorf(errs.EINVALID, "no service %q is configured", svc)
		}
		q.Services = []string{svc}
	}
	if needle := params.Get("q"); needle != "" {
		if len(needle) > webcore.MaxQuery {
			return errs.Errorf(errs.EINVALID, "q is longer than %d characters", webcore.MaxQuery)
		}
		q.Search, q.ServiceName = needle, serviceNames(cfg)
	}
	page, err := s.d.Runtime.MonitorPage(q)
	if err != nil {
		if errs.Code(err) == errs.EINVALID && q.After != "" {
			return errs.Errorf(errs.EINVALID, "before must be a cursor from a previous page's \"next\"; no monitor %q is configured", q.After)
		}
		return err
	}
	// The page's monitors only: with many monitors, every monitor's
	// uptime would be most of the answer's cost.
	ids := make([]string, 0, len(page.Monitors))
	for _, m := range page.Monitors {
		ids = append(ids, m.Config.ID)
	}
	ups, err := s.d.Store.UptimeOf(r.Context(), ids, s.d.Now().Add(-24*time.Hour))
	if err != nil {
		return fmt.Errorf("reading uptime: %w", err)
	}
	out := MonitorList{List: List[Monitor]{Data: make([]Monitor, 0, len(page.Monitors))}, Total: page.Total}
	for _, m := range page.Monitors {
		am := s.toAPIMonitor(m)
		am.Uptime24h = ratioPtr(ups[m.Config.ID])
		out.Data = append(out.Data, am)
	}
	if page.More && len(ids) > 0 {
		next := ids[len(ids)-1]
		out.Next = &next
	}
	webcore.WriteJSON(w, http.StatusOK, out)
	return nil
}

// serviceNames returns the name the search matches of each service id of
// cfg: its name, or its id when it has none.
func serviceNames(cfg *config.Config) func(string) string {
	names := map[string]string{}
	if cfg != nil {
		for _, svc := range cfg.Services {
			if svc.Name != "" {
				names[svc.ID] = svc.Name
			}
		}
	}
	return func(id string) string {
		if n, ok := names[id]; ok {
			return n
		}
		return id
	}
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
	am.Target = webcore.Target(s.d.Kinds, &m.Config)
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
