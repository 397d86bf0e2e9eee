package ui

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/heartbeat"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

const (
	// overviewPageSize bounds the rows rendered at once; counts always
	// cover every monitor.
	overviewPageSize = 100
	// sparkPoints is the number of buckets in an overview sparkline.
	sparkPoints = 48
	// latencyWorkers bounds concurrent latency queries of one page.
	latencyWorkers = 8
)

// overviewStates are the values ?state= accepts.
var overviewStates = []string{"up", "warning", "down", "pending", "paused", "flapping"}

type overviewRow struct {
	webcore.MonitorView
	Target             string
	Up24h, Up7d, Up30d float64
	Spark              template.HTML
}

type serviceGroup struct {
	ID, Name   string
	Rows       []overviewRow
	Heartbeats []webcore.HeartbeatView
	// Description and Owners of the service; empty for "Other".
	Description string
	Owners      []catalog.Owner
}

type stateCounts struct {
	Total, Up, Warning, Down, Pending, Paused, Flapping int
}

type demoCard struct {
	Failing bool
}

type overviewData struct {
	Counts stateCounts
	// Heartbeats counts every heartbeat; HeartbeatsFailing those down or late.
	Heartbeats, HeartbeatsFailing int
	// MatchingHeartbeats counts the heartbeats the filter lets through.
	MatchingHeartbeats int
	Groups             []serviceGroup
	Query              string
	State              string
	States             []string
	Matching           int
	From, To           int
	PrevURL            string
	NextURL            string
	Config             webcore.ConfigStatus
	Demo               *demoCard
}

func (overviewData) refresh() bool { return true }

// handleOverview renders "/": every monitor grouped by service.
func (s *UI) handleOverview(w http.ResponseWriter, r *http.Request, u store.User) error {
	q := r.URL.Query()
	data := overviewData{Query: strings.TrimSpace(q.Get("q")), State: q.Get("state"), States: overviewStates, Config: s.d.Runtime.ConfigStatus()}
	if data.State != "" && !contains(overviewStates, data.State) {
		return errs.Errorf(errs.EINVALID, "unknown state %q; use one of %s", data.State, strings.Join(overviewStates, ", "))
	}
	pageNo := 1
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return errs.Errorf(errs.EINVALID, "page must be a positive number, not %q", v)
		}
		pageNo = n
	}
	if s.d.DemoState != nil {
		data.Demo = &demoCard{Failing: s.d.DemoState()}
	}

	all := s.d.Runtime.Monitors()
	data.Counts = countStates(all)
	groups, order := s.groupByService(all)
	needle := strings.ToLower(data.Query)
	var matched []webcore.MonitorView
	for _, key := range order {
		for _, m := range groups[key].views {
			if data.State != "" && !stateMatches(m.State, data.State) {
				continue
			}
			if needle != "" && !monitorMatches(m, s.target(m.Config), groups[key].name, needle) {
				continue
			}
			matched = append(matched, m)
		}
	}
	data.Matching = len(matched)
	start := (pageNo - 1) * overviewPageSize
	if start > len(matched) {
		start = len(matched)
	}
	end := min(start+overviewPageSize, len(matched))
	visible := matched[start:end]
	data.From, data.To = start+1, end
	if pageNo > 1 {
		data.PrevURL = overviewURL(data.Query, data.State, pageNo-1)
	}
	if end < len(matched) {
		data.NextURL = overviewURL(data.Query, data.State, pageNo+1)
	}

	rows, err := s.overviewRows(r.Context(), visible)
	if err != nil {
		return err
	}
	// Regroup the visible rows, keeping service order. Heartbeats join
	// their service's group on the first page: a job that stopped is as
	// much the service's problem as a probe that fails.
	byService := map[string]*serviceGroup{}
	for _, key := range order {
		byService[key] = &serviceGroup{ID: key, Name: groups[key].name}
	}
	for _, row := range rows {
		g, ok := byService[row.Config.Service]
		if !ok {
			g = byService[""]
		}
		g.Rows = append(g.Rows, row)
	}
	for _, v := range s.d.Heartbeats.Heartbeats() {
		data.Heartbeats++
		if st := v.DisplayStatus(); st == string(heartbeat.StatusDown) || st == string(heartbeat.StatusLate) {
			data.HeartbeatsFailing++
		}
		g, ok := byService[v.Service]
		if !ok {
			g = byService[""]
		}
		if pageNo == 1 && heartbeatMatches(v, data.State, g.Name, needle) {
			g.Heartbeats = append(g.Heartbeats, v)
			data.MatchingHeartbeats++
		}
	}
	for _, key := range order {
		if g := byService[key]; len(g.Rows) > 0 || len(g.Heartbeats) > 0 {
			// Only the groups on the page: owners are resolved per
			// group, and a page holds few of them.
			info := webcore.Service(s.d.Runtime, key)
			g.Description, g.Owners = info.Description, info.Owners
			data.Groups = append(data.Groups, *g)
		}
	}
	s.Render(w, r, http.StatusOK, "overview.html", &u, "Overview", data)
	return nil
}

type groupInfo struct {
	name  string
	views []webcore.MonitorView
}

// groupByService buckets monitors by service in config order; monitors
// without a known service go under "Other", last.
func (s *UI) groupByService(all []webcore.MonitorView) (map[string]*groupInfo, []string) {
	groups := map[string]*groupInfo{}
	var order []string
	if cfg := s.d.Runtime.Config(); cfg != nil {
		for _, svc := range cfg.Services {
			name := svc.Name
			if name == "" {
				name = svc.ID
			}
			if _, dup := groups[svc.ID]; dup || svc.ID == "" {
				continue
			}
			groups[svc.ID] = &groupInfo{name: name}
			order = append(order, svc.ID)
		}
	}
	groups[""] = &groupInfo{name: "Other"}
	order = append(order, "")
	for _, m := range all {
		g, ok := groups[m.Config.Service]
		if !ok {
			g = groups[""]
		}
		g.views = append(g.views, m)
	}
	return groups, order
}

// overviewRows adds uptime (one store call per span, for all monitors) and
// a sparkline (one call per visible monitor) to the visible monitors.
func (s *UI) overviewRows(ctx context.Context, visible []webcore.MonitorView) ([]overviewRow, error) {
	rows := make([]overviewRow, len(visible))
	if len(visible) == 0 {
		return rows, nil
	}
	now := s.d.Now()
	spans := []time.Duration{24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour}
	// The three spans are independent queries; asking at once keeps the
	// page's latency near that of the slowest one.
	ups := make([]map[string]store.Uptime, len(spans))
	upErrs := make([]error, len(spans))
	var upWG sync.WaitGroup
	for i, span := range spans {
		upWG.Go(func() { ups[i], upErrs[i] = s.d.Store.UptimeAll(ctx, now.Add(-span)) })
	}
	upWG.Wait()
	for _, err := range upErrs {
		if err != nil {
			return nil, fmt.Errorf("reading uptime: %w", err)
		}
	}
	for i, m := range visible {
		id := m.Config.ID
		rows[i] = overviewRow{
			MonitorView: m,
			Target:      s.target(m.Config),
			Up24h:       ups[0][id].Ratio(),
			Up7d:        ups[1][id].Ratio(),
			Up30d:       ups[2][id].Ratio(),
		}
	}
	// Latency queries are independent; a few at once keep a page of
	// sparklines quick without crowding the database.
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		next     = make(chan int)
	)
	for range min(latencyWorkers, len(rows)) {
		wg.Go(func() {
			for i := range next {
				pts, err := s.d.Store.Latency(ctx, rows[i].Config.ID, now.Add(-24*time.Hour), sparkPoints)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("reading latency of monitor %q: %w", rows[i].Config.ID, err)
					}
					mu.Unlock()
					continue
				}
				rows[i].Spark = chart(pts, 120, 24, "Latency over the last 24 hours")
			}
		})
	}
	for i := range rows {
		next <- i
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return rows, nil
}

func countStates(all []webcore.MonitorView) stateCounts {
	var c stateCounts
	c.Total = len(all)
	for _, m := range all {
		switch webcore.StatusOf(m.State) {
		case string(monitor.StatusUp):
			c.Up++
		case string(monitor.StatusWarning):
			c.Warning++
		case string(monitor.StatusDown):
			c.Down++
		case string(monitor.StatusPaused):
			c.Paused++
		default:
			c.Pending++
		}
		if m.State.Flapping {
			c.Flapping++
		}
	}
	return c
}

func stateMatches(st monitor.State, want string) bool {
	if want == "flapping" {
		return st.Flapping
	}
	return webcore.StatusOf(st) == want
}

// heartbeatMatches applies the overview's filters to a heartbeat: its
// states map onto the monitor states the filter offers (late is a warning,
// new is pending, running counts as up).
func heartbeatMatches(v webcore.HeartbeatView, state, service, needle string) bool {
	if state != "" {
		as := map[string]string{"up": "up", "running": "up", "late": "warning", "down": "down", "new": "pending", "paused": "paused"}
		if as[v.DisplayStatus()] != state {
			return false
		}
	}
	if needle == "" {
		return true
	}
	for _, hay := range []string{v.ID, v.Config.Name, v.UUID, v.Slug, "heartbeat", service} {
		if strings.Contains(strings.ToLower(hay), needle) {
			return true
		}
	}
	return false
}

func monitorMatches(m webcore.MonitorView, target, service, needle string) bool {
	for _, hay := range []string{m.Config.ID, m.Config.Name, m.Config.Type, target, service} {
		if strings.Contains(strings.ToLower(hay), needle) {
			return true
		}
	}
	return false
}

func overviewURL(query, state string, page int) string {
	v := url.Values{}
	if query != "" {
		v.Set("q", query)
	}
	if state != "" {
		v.Set("state", state)
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	if len(v) == 0 {
		return "/"
	}
	return "/?" + v.Encode()
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
