package replica

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics exports the registry as this replica last read it, and what it
// holds, as tocsin_replica_* metrics.
type metrics struct {
	m        *Manager
	failures prometheus.Counter
	moved    *prometheus.CounterVec

	up, buckets, monitors, lag, seen, held, fenced, ttl *prometheus.Desc
}

func newMetrics(m *Manager) *metrics {
	return &metrics{
		m: m,
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tocsin_replica_round_failures_total",
			Help: "Rounds of lease renewal that failed (the database unreachable or refusing); leases end and monitors stop running here if they go on failing.",
		}),
		moved: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tocsin_replica_buckets_moved_total",
			Help: "Buckets of monitors this replica took or released while balancing the replicas' shares.",
		}, []string{"direction"}),
		up:       prometheus.NewDesc("tocsin_replica_up", "1 for each replica that heartbeated within the lease time, 0 for those recorded but silent.", []string{"replica"}, nil),
		buckets:  prometheus.NewDesc("tocsin_replica_buckets", "Buckets of monitors each replica held at its last heartbeat.", []string{"replica"}, nil),
		monitors: prometheus.NewDesc("tocsin_replica_monitors", "Monitors each replica ran at its last heartbeat.", []string{"replica"}, nil),
		lag:      prometheus.NewDesc("tocsin_replica_lag_seconds", "Each replica's scheduler lateness at its last heartbeat.", []string{"replica"}, nil),
		seen:     prometheus.NewDesc("tocsin_replica_last_seen_timestamp_seconds", "When each replica last heartbeated.", []string{"replica"}, nil),
		held:     prometheus.NewDesc("tocsin_replica_owned_buckets", "Buckets of monitors this replica runs now.", nil, nil),
		fenced:   prometheus.NewDesc("tocsin_replica_fenced", "1 while this replica could not renew its leases and stopped running their monitors.", nil, nil),
		ttl:      prometheus.NewDesc("tocsin_replica_lease_ttl_seconds", "The lease time (server.lease_ttl).", nil, nil),
	}
}

func (x *metrics) Describe(ch chan<- *prometheus.Desc) {
	x.failures.Describe(ch)
	x.moved.Describe(ch)
	for _, d := range []*prometheus.Desc{x.up, x.buckets, x.monitors, x.lag, x.seen, x.held, x.fenced, x.ttl} {
		ch <- d
	}
}

func (x *metrics) Collect(ch chan<- prometheus.Metric) {
	x.failures.Collect(ch)
	x.moved.Collect(ch)
	st := x.m.Status()
	for _, r := range st.Replicas {
		up := 0.0
		if r.Live {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(x.up, prometheus.GaugeValue, up, r.ID)
		ch <- prometheus.MustNewConstMetric(x.buckets, prometheus.GaugeValue, float64(r.Buckets), r.ID)
		ch <- prometheus.MustNewConstMetric(x.monitors, prometheus.GaugeValue, float64(r.Monitors), r.ID)
		ch <- prometheus.MustNewConstMetric(x.lag, prometheus.GaugeValue, r.Lag.Seconds(), r.ID)
		ch <- prometheus.MustNewConstMetric(x.seen, prometheus.GaugeValue, float64(r.Seen.UnixMilli())/1000, r.ID)
	}
	ch <- prometheus.MustNewConstMetric(x.held, prometheus.GaugeValue, float64(len(x.m.Buckets())))
	f := 0.0
	if st.Fenced {
		f = 1
	}
	ch <- prometheus.MustNewConstMetric(x.fenced, prometheus.GaugeValue, f)
	ch <- prometheus.MustNewConstMetric(x.ttl, prometheus.GaugeValue, x.m.o.TTL.Seconds())
}
