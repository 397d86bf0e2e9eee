package ui

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// Sizes of the lists on the monitor page.
const (
	monitorResultsPage      = 50
	monitorTransitionsShown = 20
	monitorAttemptsShown    = 20
	monitorChartPoints      = 96
)

type monitorData struct {
	webcore.MonitorView
	// Problem is the opening line: the monitor's state in words.
	Problem     template.HTML
	Target      string
	ServiceInfo webcore.ServiceInfo
	Up24h       float64
	Up7d        float64
	Up30d       float64
	Chart       template.HTML
	ChartInfo   chartSummary
	Results     []store.StoredResult
	Before      int64
	NextURL     string
	Transitions []store.StoredTransition
	Attempts    []notify.Attempt
	Mail        *mailLoopData
}

func (monitorData) refresh() bool { return true }

// handleMonitor renders "/monitors/{id}".
func (s *UI) handleMonitor(w http.ResponseWriter, r *http.Request, u store.User) error {
	id := r.PathValue("id")
	mv, ok := s.d.Runtime.Monitor(id)
	if !ok {
		if _, hb := s.d.Heartbeats.Heartbeat(id); hb {
			// Notifications link every monitor, heartbeats included, here.
			http.Redirect(w, r, heartbeatURL(id), http.StatusSeeOther)
			return nil
		}
		return errs.Errorf(errs.ENOTFOUND, "There is no monitor %q in the running configuration.", id)
	}
	page, err := webcore.PageParams(r)
	if err != nil {
		return err
	}
	page.Limit = monitorResultsPage
	ctx := r.Context()
	now := s.d.Now()
	data := monitorData{MonitorView: mv, Problem: clock{now: now, loc: viewerZone(r)}.monitorProblem(mv), Target: s.target(mv.Config), ServiceInfo: webcore.Service(s.d.Runtime, mv.Config.Service), Before: page.Before}
	for _, sp := range []struct {
		span time.Duration
		dst  *float64
	}{{24 * time.Hour, &data.Up24h}, {7 * 24 * time.Hour, &data.Up7d}, {30 * 24 * time.Hour, &data.Up30d}} {
		up, err := s.d.Store.Uptime(ctx, id, now.Add(-sp.span))
		if err != nil {
			return fmt.Errorf("reading uptime of monitor %q: %w", id, err)
		}
		*sp.dst = up.Ratio()
	}
	pts, err := s.d.Store.Latency(ctx, id, now.Add(-24*time.Hour), monitorChartPoints)
	if err != nil {
		return fmt.Errorf("reading latency of monitor %q: %w", id, err)
	}
	data.Chart = chart(pts, 720, 120, "Average latency per 15 minutes over the last 24 hours; red bars mark failures")
	data.ChartInfo = summarize(pts)
	if data.Mail, err = s.mailLoop(ctx, mv.Config, mv.LastResult, now); err != nil {
		return err
	}
	if data.Results, err = s.d.Store.Results(ctx, id, page); err != nil {
		return fmt.Errorf("reading results of monitor %q: %w", id, err)
	}
	if n := len(data.Results); n > 0 {
		if c := webcore.NextCursor(n, page.Limit, data.Results[n-1].ID); c != nil {
			data.NextURL = monitorURL(id) + "?before=" + *c
		}
	}
	if data.Transitions, err = s.d.Store.Transitions(ctx, id, store.Page{Limit: monitorTransitionsShown}); err != nil {
		return fmt.Errorf("reading transitions of monitor %q: %w", id, err)
	}
	if data.Attempts, err = s.d.Store.Attempts(ctx, id, store.Page{Limit: monitorAttemptsShown}); err != nil {
		return fmt.Errorf("reading notifications of monitor %q: %w", id, err)
	}
	title := mv.Config.Name
	if title == "" {
		title = mv.Config.ID
	}
	s.Render(w, r, http.StatusOK, "monitor.html", &u, title, data)
	return nil
}

// monitorURL is the UI path of a monitor.
func monitorURL(id string) string { return "/monitors/" + url.PathEscape(id) }
