package ui

import (
	"context"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/heartbeat"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

const (
	// overviewPageSize bounds the rows rendered at once; counts always
	// cover every monitor.
	overviewPageSize = 100
	// maxOverviewPage bounds ?page= so that its offset cannot overflow;
	// a page past the last is empty.
	maxOverviewPage = 1 << 30
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
	// Since is "down since 14:02 UTC (37 min)" for a failing monitor.
	Since template.HTML
	since time.Time
}

// heartbeatRow is a heartbeat in a table, with since when it fails or was
// paused.
type heartbeatRow struct {
	webcore.HeartbeatView
	Since template.HTML
	since time.Time
}

type serviceGroup struct {
	ID, Name   string
	Rows       []overviewRow
	Heartbeats []heartbeatRow
	// Description and Owners of the service; empty for "Other".
	Description string
	Owners      []catalog.Owner
	// failingSince is the oldest failure in the group, zero for none.
	failingSince time.Time
}

type demoCard struct {
	Failing bool
}

// overviewFilter is what the overview's query parameters ask for; the
// empty string of each means any.
type overviewFilter struct {
	Query, State, Service, Owner, Kind string
}

// URL is the overview with this filter, on page page.
func (f overviewFilter) URL(page int) string {
	v := url.Values{}
	for _, kv := range [][2]string{{"q", f.Query}, {"state", f.State}, {"service", f.Service}, {"owner", f.Owner}, {"kind", f.Kind}} {
		if kv[1] != "" {
			v.Set(kv[0], kv[1])
		}
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	if len(v) == 0 {
		return "/"
	}
	return "/?" + v.Encode()
}

// WithState is the overview with this filter but state st.
func (f overviewFilter) WithState(st string) string {
	f.State = st
	return f.URL(1)
}

// Any tells whether anything is filtered.
func (f overviewFilter) Any() bool { return f != overviewFilter{} }

// choice is one option of a filter's list.
type choice struct{ ID, Name string }

type overviewData struct {
	// Counts covers every monitor, whatever the filter.
	Counts webcore.StatusCounts
	// Heartbeats counts every heartbeat; HeartbeatsFailing those down or late.
	Heartbeats, HeartbeatsFailing int
	// MatchingHeartbeats counts the heartbeats the filter lets through.
	MatchingHeartbeats int
	Groups             []serviceGroup
	Filter             overviewFilter
	States             []string
	Services, Owners   []choice
	Kinds              []string
	Matching           int
	From, To           int
	// Page is the page shown, of Pages; the URLs lead to the pages
	// around it, "" where there is none to lead to.
	Page, Pages                         int
	FirstURL, PrevURL, NextURL, LastURL string
	Config                              webcore.ConfigStatus
	Demo                                *demoCard
	// Alerts are the paged alerts not yet resolved, shown as a banner.
	Alerts activeAlerts
}

func (overviewData) refresh() bool { return true }

// handleOverview renders "/": every monitor grouped by service, the
// failing ones first, longest failing first.
func (s *UI) handleOverview(w http.ResponseWriter, r *http.Request, u store.User) error {
	q := r.URL.Query()
	f := overviewFilter{Query: strings.TrimSpace(q.Get("q")), State: q.Get("state"), Service: q.Get("service"), Owner: q.Get("owner"), Kind: q.Get("kind")}
	data := overviewData{Filter: f, States: overviewStates, Config: s.d.Runtime.ConfigStatus()}
	pageNo := 1
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return errs.Errorf(errs.EINVALID, "page must be a positive number, not %q", v)
		}
		pageNo = min(n, maxOverviewPage)
	}
	if s.d.DemoState != nil {
		data.Demo = &demoCard{Failing: s.d.DemoState()}
	}
	clk := clock{now: s.d.Now(), loc: viewerZone(r)}

	hbs := s.d.Heartbeats.Heartbeats()
	match, err := s.overviewChoices(&data, hbs)
	if err != nil {
		return err
	}
	names, order := s.serviceGroups()
	// Failing first, the longest failing first; the rest by service.
	// The runtime keeps the monitors in that order as their states
	// change and copies only the page's views: with 100,000 monitors a
	// list of them all would cost more than the rest of the page.
	mq := webcore.MonitorQuery{FailingFirst: true, Status: f.State, Kind: f.Kind, Services: match.services(),
		Offset: (pageNo - 1) * overviewPageSize, Limit: overviewPageSize}
	mq.Search, mq.ServiceName = f.Query, func(id string) string {
		if n, ok := names[id]; ok {
			return n
		}
		return names[""]
	}
	page, err := s.d.Runtime.MonitorPage(mq)
	if err != nil {
		return err
	}
	if err := data.checkKind(page.Kinds, len(hbs) > 0); err != nil {
		return err
	}
	data.Counts = page.Counts
	visible := page.Monitors
	data.Matching = page.Total
	start := min(mq.Offset, page.Total)
	data.From, data.To = start+1, start+len(visible)
	data.Page, data.Pages = pageNo, max(1, (page.Total+overviewPageSize-1)/overviewPageSize)
	if pageNo > 1 {
		data.PrevURL = f.URL(min(pageNo-1, data.Pages))
	}
	if pageNo > 2 {
		data.FirstURL = f.URL(1)
	}
	if page.More {
		data.NextURL = f.URL(pageNo + 1)
	}
	if pageNo < data.Pages-1 {
		data.LastURL = f.URL(data.Pages)
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
		byService[key] = &serviceGroup{ID: key, Name: names[key]}
	}
	group := func(service string) *serviceGroup {
		if g, ok := byService[service]; ok {
			return g
		}
		return byService[""]
	}
	for _, row := range rows {
		if failing(row.State) {
			row.Since, row.since = clk.monitorSince(row.State), row.State.Since
		} else {
			row.Since = clk.pausedSince(row.State)
		}
		g := group(row.Config.Service)
		g.Rows = append(g.Rows, row)
		g.noteFailing(row.since)
	}
	var hbRows []heartbeatRow
	for _, v := range hbs {
		data.Heartbeats++
		if st := v.DisplayStatus(); st == string(heartbeat.StatusDown) || st == string(heartbeat.StatusLate) {
			data.HeartbeatsFailing++
		}
		if pageNo == 1 && match.heartbeat(v, group(v.Service).Name) {
			hbRows = append(hbRows, clk.heartbeatRow(v))
		}
	}
	slices.SortStableFunc(hbRows, func(a, b heartbeatRow) int {
		return compareFailing(!a.since.IsZero(), a.since, !b.since.IsZero(), b.since)
	})
	for _, h := range hbRows {
		g := group(h.Service)
		g.Heartbeats = append(g.Heartbeats, h)
		g.noteFailing(h.since)
		data.MatchingHeartbeats++
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
	slices.SortStableFunc(data.Groups, func(a, b serviceGroup) int {
		return compareFailing(!a.failingSince.IsZero(), a.failingSince, !b.failingSince.IsZero(), b.failingSince)
	})
	if data.Alerts, err = s.activeAlerts(r.Context(), "", clk); err != nil {
		return err
	}
	s.Render(w, r, http.StatusOK, "overview.html", &u, "Overview", data)
	return nil
}

// noteFailing keeps the oldest failure of the group; zero is none.
func (g *serviceGroup) noteFailing(since time.Time) {
	if !since.IsZero() && (g.failingSince.IsZero() || since.Before(g.failingSince)) {
		g.failingSince = since
	}
}

// compareFailing orders failing before the rest, and among the failing
// the older failure first; a failure without a time comes after those
// with one.
func compareFailing(aFail bool, aSince time.Time, bFail bool, bSince time.Time) int {
	switch {
	case aFail != bFail:
		if aFail {
			return -1
		}
		return 1
	case !aFail:
		return 0
	case aSince.IsZero() != bSince.IsZero():
		if bSince.IsZero() {
			return -1
		}
		return 1
	}
	return aSince.Compare(bSince)
}

// heartbeatRow is v with since when it fails (since, the sort key) or
// since when it is paused (Since only: a pause is not a failure).
func (c clock) heartbeatRow(v webcore.HeartbeatView) heartbeatRow {
	return heartbeatRow{HeartbeatView: v, Since: c.heartbeatSinceText(v), since: c.heartbeatSince(v)}
}

// overviewMatch applies the overview's filters.
type overviewMatch struct {
	f      overviewFilter
	needle string
	// owned holds the services the owner filter lets through.
	owned map[string]bool
}

func (m overviewMatch) service(id string) bool {
	if m.f.Service != "" && id != m.f.Service {
		return false
	}
	return m.owned == nil || m.owned[id]
}

// services is the services whose monitors the filters let through, nil
// for any.
func (m overviewMatch) services() []string {
	switch {
	case m.f.Service != "":
		if !m.service(m.f.Service) {
			return []string{}
		}
		return []string{m.f.Service}
	case m.owned != nil:
		return slices.Sorted(maps.Keys(m.owned))
	}
	return nil
}

func (m overviewMatch) heartbeat(v webcore.HeartbeatView, serviceName string) bool {
	if !m.service(v.Service) || m.f.Kind != "" && m.f.Kind != heartbeatKind {
		return false
	}
	return heartbeatMatches(v, m.f.State, serviceName, m.needle)
}

// heartbeatKind is what the kind filter calls heartbeats.
const heartbeatKind = "heartbeat"

// overviewChoices fills the filter lists of data from the running
// configuration and checks the filter against them: a value no list
// holds is a bad request, not an empty page.
func (s *UI) overviewChoices(data *overviewData, hbs []webcore.HeartbeatView) (overviewMatch, error) {
	f := data.Filter
	m := overviewMatch{f: f, needle: strings.ToLower(f.Query)}
	if f.State != "" && !slices.Contains(overviewStates, f.State) {
		return m, errs.Errorf(errs.EINVALID, "unknown state %q; use one of %s", f.State, strings.Join(overviewStates, ", "))
	}
	if cat := s.d.Runtime.Catalog(); cat != nil {
		for _, svc := range cat.Services() {
			data.Services = append(data.Services, choice{svc.ID, svc.Name})
			for _, o := range svc.Owners {
				if !slices.ContainsFunc(data.Owners, func(c choice) bool { return c.ID == o.ID }) {
					data.Owners = append(data.Owners, choice{o.ID, o.Name})
				}
				for _, p := range o.Members {
					if !slices.ContainsFunc(data.Owners, func(c choice) bool { return c.ID == p.ID }) {
						data.Owners = append(data.Owners, choice{p.ID, p.Name})
					}
				}
			}
		}
		if f.Owner != "" {
			m.owned = map[string]bool{}
			for _, svc := range cat.OwnedBy(f.Owner) {
				m.owned[svc.ID] = true
			}
		}
	}
	if f.Service != "" && !slices.ContainsFunc(data.Services, func(c choice) bool { return c.ID == f.Service }) {
		return m, errs.Errorf(errs.EINVALID, "unknown service %q", f.Service)
	}
	if f.Owner != "" && !slices.ContainsFunc(data.Owners, func(c choice) bool { return c.ID == f.Owner }) {
		return m, errs.Errorf(errs.EINVALID, "no service is owned by %q", f.Owner)
	}
	return m, nil
}

// checkKind fills the kind filter's list with the kinds of the monitors,
// and heartbeat when there are heartbeats, and checks the filter against
// it.
func (data *overviewData) checkKind(monitorKinds []string, heartbeats bool) error {
	data.Kinds = monitorKinds
	if heartbeats && !slices.Contains(data.Kinds, heartbeatKind) {
		data.Kinds = append(slices.Clone(data.Kinds), heartbeatKind)
		slices.Sort(data.Kinds)
	}
	if f := data.Filter.Kind; f != "" && !slices.Contains(data.Kinds, f) {
		return errs.Errorf(errs.EINVALID, "nothing here is of kind %q; kinds here: %s", f, strings.Join(data.Kinds, ", "))
	}
	return nil
}

// serviceGroups returns the name of each service group, by service id,
// and their order: the configuration's, then "Other" (id ""), where the
// monitors of no known service go.
func (s *UI) serviceGroups() (map[string]string, []string) {
	names := map[string]string{}
	var order []string
	if cfg := s.d.Runtime.Config(); cfg != nil {
		for _, svc := range cfg.Services {
			name := svc.Name
			if name == "" {
				name = svc.ID
			}
			if _, dup := names[svc.ID]; dup || svc.ID == "" {
				continue
			}
			names[svc.ID] = name
			order = append(order, svc.ID)
		}
	}
	names[""] = "Other"
	return names, append(order, "")
}

// overviewRows adds uptime (one store call per span, for the visible
// monitors only) and a sparkline (one call per visible monitor) to the
// visible monitors.
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
	ids := make([]string, len(visible))
	for i, m := range visible {
		ids[i] = m.Config.ID
	}
	for i, span := range spans {
		upWG.Go(func() { ups[i], upErrs[i] = s.d.Store.UptimeOf(ctx, ids, now.Add(-span)) })
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
