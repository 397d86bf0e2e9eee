package web

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tocsin/tocsin/internal/web/webcore"
)

// scheduleCollector serves the on-call schedules on /metrics: the uncovered
// seconds of the next two weeks and who is on call now. It reads the
// summaries the pages share, recomputed at most once a minute, so a scrape
// costs no rotation arithmetic between recomputations.
type scheduleCollector struct {
	schedules *webcore.Schedules
	now       func() time.Time
	gap       *prometheus.Desc
	onCall    *prometheus.Desc
}

func newScheduleCollector(s *webcore.Schedules, now func() time.Time) *scheduleCollector {
	return &scheduleCollector{
		schedules: s, now: now,
		gap: prometheus.NewDesc("tocsin_schedule_gap_seconds",
			"Seconds of the next 14 days in which nobody is on call, per schedule.", []string{"schedule"}, nil),
		onCall: prometheus.NewDesc("tocsin_schedule_oncall",
			"1 for each person on call now, per schedule; a schedule with nobody on call has no series.", []string{"schedule", "person"}, nil),
	}
}

func (c *scheduleCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.gap
	ch <- c.onCall
}

func (c *scheduleCollector) Collect(ch chan<- prometheus.Metric) {
	for _, sum := range c.schedules.Summaries(c.now()) {
		ch <- prometheus.MustNewConstMetric(c.gap, prometheus.GaugeValue, sum.GapSeconds, sum.Config.ID)
		for _, p := range sum.OnCall {
			ch <- prometheus.MustNewConstMetric(c.onCall, prometheus.GaugeValue, 1, sum.Config.ID, p)
		}
	}
}

// gatherer is what /metrics serves: the app's registry and the web
// server's own schedule series.
func (s *Server) gatherer() prometheus.Gatherer {
	reg := prometheus.NewRegistry()
	reg.MustRegister(newScheduleCollector(s.schedules, s.now))
	return prometheus.Gatherers{s.opts.Gatherer, reg}
}
