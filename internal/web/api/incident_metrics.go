package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/incident/stats"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// IncidentMetrics is how incidents were answered over a window, overall,
// per service and per week.
type IncidentMetrics struct {
	Window   string                   `json:"window"`
	From     time.Time                `json:"from"`
	To       time.Time                `json:"to"`
	Service  string                   `json:"service,omitempty"`
	Overall  IncidentSummary          `json:"overall"`
	Services []ServiceIncidentSummary `json:"services"`
	// Weeks are the last 12 weeks, oldest first, whatever the window.
	Weeks []WeekIncidentSummary `json:"weeks"`
}

// IncidentSummary describes a set of incidents.
type IncidentSummary struct {
	Count             int                `json:"count"`
	ReportedBy        map[string]int     `json:"reported_by"`
	Share             map[string]float64 `json:"share"`
	TimeToDetect      Quantiles          `json:"time_to_detect"`
	TimeToAcknowledge Quantiles          `json:"time_to_acknowledge"`
	TimeToResolve     Quantiles          `json:"time_to_resolve"`
}

// Quantiles are the median and 90th percentile of one measure, in
// seconds, over the N incidents it applies to.
type Quantiles struct {
	N             int     `json:"n"`
	MedianSeconds float64 `json:"median_seconds"`
	P90Seconds    float64 `json:"p90_seconds"`
}

// ServiceIncidentSummary is one service's IncidentSummary.
type ServiceIncidentSummary struct {
	Service string `json:"service"`
	IncidentSummary
}

// WeekIncidentSummary is the IncidentSummary of the incidents opened in
// the week from Start (a Monday, 00:00 UTC).
type WeekIncidentSummary struct {
	Start time.Time `json:"start"`
	IncidentSummary
}

func toAPIQuantiles(q stats.Quantiles) Quantiles {
	return Quantiles{N: q.N, MedianSeconds: q.Median.Seconds(), P90Seconds: q.P90.Seconds()}
}

func toAPISummary(s stats.Summary) IncidentSummary {
	out := IncidentSummary{Count: s.Count, ReportedBy: map[string]int{}, Share: map[string]float64{},
		TimeToDetect: toAPIQuantiles(s.Detect), TimeToAcknowledge: toAPIQuantiles(s.Acknowledge), TimeToResolve: toAPIQuantiles(s.Resolve)}
	for _, k := range stats.Kinds {
		out.ReportedBy[k] = s.ByKind[k]
		out.Share[k] = s.Share(k)
	}
	return out
}

// serveIncidentMetrics serves GET /api/v1/incidents/metrics: ?window= a
// number of days (default 90d), ?service= one service's incidents only.
func (s *API) serveIncidentMetrics(w http.ResponseWriter, r *http.Request, _ store.User) error {
	q := r.URL.Query()
	window, err := stats.ParseWindow(q.Get("window"))
	if err != nil {
		return err
	}
	now, service := s.d.Now(), q.Get("service")
	ins, err := s.d.Store.IncidentsOpened(r.Context(), stats.Since(now, window), now)
	if err != nil {
		return storeErr(err, "reading incidents")
	}
	v, seen := stats.Measure(ins, now, window, service)
	if !seen && !knownService(s.d.Runtime.Config())(service) {
		return errs.Errorf(errs.ENOTFOUND, "there is no service %q", service)
	}
	out := IncidentMetrics{Window: fmt.Sprintf("%dd", int(window/(24*time.Hour))), From: v.From.UTC(), To: v.To.UTC(), Service: service,
		Overall: toAPISummary(v.Report.Overall), Services: []ServiceIncidentSummary{}, Weeks: []WeekIncidentSummary{}}
	for _, ss := range v.Report.Services {
		out.Services = append(out.Services, ServiceIncidentSummary{Service: ss.Service, IncidentSummary: toAPISummary(ss.Summary)})
	}
	for _, wk := range v.Weeks {
		out.Weeks = append(out.Weeks, WeekIncidentSummary{Start: wk.Start, IncidentSummary: toAPISummary(wk.Summary)})
	}
	webcore.WriteJSON(w, http.StatusOK, One[IncidentMetrics]{Data: out})
	return nil
}
