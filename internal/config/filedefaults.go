package config

import (
	"slices"
	"strconv"
)

// FileDefaults are the values the monitors of one file share, so that a
// monitor line holds only what differs. They apply to the monitors (and,
// for service and channels, the heartbeats) of the file they are written
// in, not to the files it includes nor to the file that includes it. A
// field written on the monitor wins, even when written empty
// (`channels: []`); the built-in defaults fill in what neither sets.
type FileDefaults struct {
	// Interval between runs of the file's monitors.
	Interval Duration `yaml:"interval"`
	// Timeout of one run. A monitor whose interval is shorter gets its
	// interval as timeout, as with the built-in default.
	Timeout          Duration `yaml:"timeout"`
	FailureThreshold int      `yaml:"failure_threshold"`
	SuccessThreshold int      `yaml:"success_threshold"`
	// Service and Channels apply to monitors and heartbeats.
	Service  string   `yaml:"service"`
	Channels []string `yaml:"channels"`
	// Tags and Locations apply to monitors.
	Tags      []string `yaml:"tags"`
	Locations []string `yaml:"locations"`
}

// applyFileDefaults fills the monitors and heartbeats of the file l reads
// with the file's defaults, where they leave the field out.
func (l *loader) applyFileDefaults(cfg *Config) {
	d := cfg.Defaults
	if d == nil {
		return
	}
	if l.ix.has("defaults.interval") && d.Interval <= 0 {
		l.errAt("defaults.interval", "must be positive, not %s", d.Interval)
		d.Interval = 0
	}
	if l.ix.has("defaults.timeout") && d.Timeout <= 0 {
		l.errAt("defaults.timeout", "must be positive, not %s", d.Timeout)
		d.Timeout = 0
	}
	for _, t := range []struct {
		key string
		v   *int
	}{{"failure_threshold", &d.FailureThreshold}, {"success_threshold", &d.SuccessThreshold}} {
		if l.ix.has("defaults."+t.key) && *t.v < 1 {
			l.errAt("defaults."+t.key, "%s must be at least 1, not %d", t.key, *t.v)
			*t.v = 0
		}
	}
	for i := range cfg.Monitors {
		m := &cfg.Monitors[i]
		p := "monitors[" + strconv.Itoa(i) + "]."
		unset := func(key string) bool { return !l.ix.has(p + key) }
		if d.Interval > 0 && unset("interval") {
			m.Interval = d.Interval
		}
		if d.Timeout > 0 && unset("timeout") {
			m.Timeout = d.Timeout
			interval := m.Interval
			if interval == 0 && unset("interval") {
				interval = Duration(DefaultInterval)
			}
			if interval > 0 && m.Timeout > interval {
				m.Timeout = interval
			}
		}
		if d.FailureThreshold > 0 && unset("failure_threshold") {
			m.FailureThreshold = d.FailureThreshold
		}
		if d.SuccessThreshold > 0 && unset("success_threshold") {
			m.SuccessThreshold = d.SuccessThreshold
		}
		if d.Service != "" && unset("service") {
			m.Service = d.Service
		}
		if d.Channels != nil && unset("channels") {
			m.Channels = slices.Clone(d.Channels)
		}
		if d.Tags != nil && unset("tags") {
			m.Tags = slices.Clone(d.Tags)
		}
		if d.Locations != nil && unset("locations") {
			m.Locations = slices.Clone(d.Locations)
		}
	}
	for i := range cfg.Heartbeats {
		h := &cfg.Heartbeats[i]
		p := "heartbeats[" + strconv.Itoa(i) + "]."
		if d.Service != "" && !l.ix.has(p+"service") {
			h.Service = d.Service
		}
		if d.Channels != nil && !l.ix.has(p+"channels") {
			h.Channels = slices.Clone(d.Channels)
		}
	}
}
