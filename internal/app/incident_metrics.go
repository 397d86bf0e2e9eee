package app

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tocsin/tocsin/internal/incident/stats"
	"github.com/tocsin/tocsin/internal/store"
)

// incidentMetricsWindow is the window the incident series of /metrics
// measure: the incidents opened in the last 90 days.
const incidentMetricsWindow = stats.DefaultWindow

// incidentMetricsRefresh is how often those series are computed again.
// A scrape reads the last computation and never the store, so scraping
// every few seconds costs the database nothing.
const incidentMetricsRefresh = time.Minute

// incidentCollector exports how incidents were answered: counts by
// service and reporter kind, and the median and 90th percentile of the
// times to detect, acknowledge and resolve. Service "" is every incident,
// counted once; an incident of several services counts in each of them.
type incidentCollector struct {
	last atomic.Pointer[incidentSnapshot]

	count, detect, ack, resolve, window, updated *prometheus.Desc
}

type incidentSnapshot struct {
	report stats.Report
	at     time.Time
}

func newIncidentCollector() *incidentCollector {
	quantile := func(name, what string) *prometheus.Desc {
		return prometheus.NewDesc(name, what+" of the incidents opened in the window, from detection; service \"\" is all incidents. Absent until one applies.",
			[]string{"service", "quantile"}, nil)
	}
	return &incidentCollector{
		count: prometheus.NewDesc("tocsin_incidents_in_window",
			"Incidents opened in the window (tocsin_incident_metrics_window_seconds) by service and who reported them; service \"\" counts every incident once.",
			[]string{"service", "reported_by"}, nil),
		detect:  quantile("tocsin_incident_time_to_detect_seconds", "Time from detection to opening"),
		ack:     quantile("tocsin_incident_time_to_acknowledge_seconds", "Time to the first acknowledgement"),
		resolve: quantile("tocsin_incident_time_to_resolve_seconds", "Time to resolution"),
		window:  prometheus.NewDesc("tocsin_incident_metrics_window_seconds", "The window the incident series measure.", nil, nil),
		updated: prometheus.NewDesc("tocsin_incident_metrics_updated_timestamp_seconds", "When the incident series were last computed, as a Unix time.", nil, nil),
	}
}

// Describe sends the descriptions of every series.
func (c *incidentCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.count, c.detect, c.ack, c.resolve, c.window, c.updated} {
		ch <- d
	}
}

// Collect sends the last computed figures; nothing before the first.
func (c *incidentCollector) Collect(ch chan<- prometheus.Metric) {
	snap := c.last.Load()
	if snap == nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(c.window, prometheus.GaugeValue, incidentMetricsWindow.Seconds())
	ch <- prometheus.MustNewConstMetric(c.updated, prometheus.GaugeValue, float64(snap.at.UnixMilli())/1000)
	emit := func(service string, s stats.Summary) {
		for _, k := range stats.Kinds {
			ch <- prometheus.MustNewConstMetric(c.count, prometheus.GaugeValue, float64(s.ByKind[k]), service, k)
		}
		for _, m := range []struct {
			d *prometheus.Desc
			q stats.Quantiles
		}{{c.detect, s.Detect}, {c.ack, s.Acknowledge}, {c.resolve, s.Resolve}} {
			if m.q.N == 0 {
				continue
			}
			ch <- prometheus.MustNewConstMetric(m.d, prometheus.GaugeValue, m.q.Median.Seconds(), service, "0.5")
			ch <- prometheus.MustNewConstMetric(m.d, prometheus.GaugeValue, m.q.P90.Seconds(), service, "0.9")
		}
	}
	emit("", snap.report.Overall)
	for _, s := range snap.report.Services {
		emit(s.Service, s.Summary)
	}
}

// refresh computes the figures of the incidents opened in the window
// before now.
func (c *incidentCollector) refresh(ctx context.Context, st store.IncidentHistory, now time.Time) error {
	ins, err := st.IncidentsOpened(ctx, now.Add(-incidentMetricsWindow), now)
	if err != nil {
		return err
	}
	c.last.Store(&incidentSnapshot{report: stats.Compute(ins), at: now})
	return nil
}

// incidentMetrics computes the incident series at start and then every
// incidentMetricsRefresh until ctx ends.
func (a *App) incidentMetrics(ctx context.Context) {
	t := time.NewTicker(incidentMetricsRefresh)
	defer t.Stop()
	for {
		if err := a.incidents.refresh(ctx, a.store, a.now()); err != nil && ctx.Err() == nil {
			a.log.Error("computing incident metrics", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

var _ prometheus.Collector = (*incidentCollector)(nil)
