package heartbeat

import "github.com/prometheus/client_golang/prometheus"

// hubMetrics are the ingest's counters and, at scrape time, each
// heartbeat's last ping age and run duration.
type hubMetrics struct {
	h             *Hub
	pings         *prometheus.CounterVec
	limited       *prometheus.CounterVec
	commitSeconds prometheus.Histogram
	batchSize     prometheus.Histogram
	commitErrors  prometheus.Counter
	age           *prometheus.Desc
	duration      *prometheus.Desc
	status        *prometheus.Desc
}

func newHubMetrics(h *Hub) *hubMetrics {
	return &hubMetrics{
		h: h,
		pings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tocsin_pings_total", Help: "Heartbeat pings stored, by kind.",
		}, []string{"kind"}),
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tocsin_pings_rate_limited_total", Help: "Pings refused with 429, by limit (heartbeat, client; for ?create=1 also max_heartbeats_per_key, create_rate, client_create_rate).",
		}, []string{"limit"}),
		commitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "tocsin_ping_commit_seconds", Help: "Time to store one group commit of pings.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "tocsin_ping_commit_pings", Help: "Pings per group commit.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 12),
		}),
		commitErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tocsin_ping_commit_errors_total", Help: "Group commits that failed (their pings were answered 503).",
		}),
		age:      prometheus.NewDesc("tocsin_heartbeat_last_ping_age_seconds", "Seconds since the heartbeat's last success or failure ping.", []string{"heartbeat"}, nil),
		duration: prometheus.NewDesc("tocsin_heartbeat_run_duration_seconds", "Run time measured by the last finishing ping with a matching start.", []string{"heartbeat"}, nil),
		status:   prometheus.NewDesc("tocsin_heartbeat_up", "1 when the heartbeat is up, late or running, 0 when down; new heartbeats are absent.", []string{"heartbeat"}, nil),
	}
}

func (m *hubMetrics) Describe(ch chan<- *prometheus.Desc) {
	m.pings.Describe(ch)
	m.limited.Describe(ch)
	m.commitSeconds.Describe(ch)
	m.batchSize.Describe(ch)
	m.commitErrors.Describe(ch)
	ch <- m.age
	ch <- m.duration
	ch <- m.status
}

func (m *hubMetrics) Collect(ch chan<- prometheus.Metric) {
	m.pings.Collect(ch)
	m.limited.Collect(ch)
	m.commitSeconds.Collect(ch)
	m.batchSize.Collect(ch)
	m.commitErrors.Collect(ch)
	now := m.h.o.Now()
	for _, v := range m.h.Views() {
		if v.State.LastPing.IsZero() {
			continue
		}
		ch <- prometheus.MustNewConstMetric(m.age, prometheus.GaugeValue, now.Sub(v.State.LastPing).Seconds(), v.ID)
		if v.State.LastDuration > 0 {
			ch <- prometheus.MustNewConstMetric(m.duration, prometheus.GaugeValue, v.State.LastDuration.Seconds(), v.ID)
		}
		up := 1.0
		if v.Status == StatusDown {
			up = 0
		}
		ch <- prometheus.MustNewConstMetric(m.status, prometheus.GaugeValue, up, v.ID)
	}
}

var _ prometheus.Collector = (*hubMetrics)(nil)
