package engine

import (
	"time"

	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/probe"
)

// Sample is what /metrics exports of one monitor, read from the engine's
// state at scrape time: the metrics keep no copy of their own.
type Sample struct {
	ID, Service, Type string
	// Status is the monitor's confirmed state.
	Status monitor.Status
	// Failed is true when the newest result counts against the monitor
	// (for a monitor of several locations, the combined result).
	Failed bool
	// Latency is the duration of the newest probe.
	Latency time.Duration
	// CertExpiry is the NotAfter, in Unix seconds, of the newest
	// certificate a result saw; 0 when none did.
	CertExpiry int64
	// Metrics are the newest result's; shared, read only.
	Metrics []probe.Metric
}

// MonitorIDs returns the ids of the configured monitors in configuration
// order. The slice is shared with the engine, which never changes it (a
// reload replaces it): the caller must not change it either.
func (e *Engine) MonitorIDs() []string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.order
}

// Samples appends to buf the samples of those of ids that are configured
// and have had a result evaluated since the engine started, in the order
// of ids. It holds the read lock for the call only, so a caller reading
// many monitors asks for them a slice at a time and results keep flowing
// in between.
func (e *Engine) Samples(ids []string, buf []Sample) []Sample {
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, id := range ids {
		en, ok := e.entries[id]
		if !ok || !en.seen || en.last == nil {
			continue
		}
		buf = append(buf, Sample{
			ID: id, Service: en.cfg.Service, Type: en.cfg.Type,
			Status: en.state.Status, Failed: en.last.Failed(), Latency: en.last.Duration,
			CertExpiry: en.certExpiry, Metrics: en.last.Metrics,
		})
	}
	return buf
}
