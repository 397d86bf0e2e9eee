// Package mute answers one question for the engine and the pages: is this
// monitor muted at this instant, by which maintenance window or silence,
// and until when. A muted monitor still records its results and changes
// state; only its notifications are held back (docs/oncall.md,
// "Maintenance windows" and "Silences").
//
// Everything here is a pure function of its arguments. A Snapshot is built
// once from the configuration and the windows and silences stored at run
// time, and replaced whole when any of them changes, so checking a monitor
// costs no database query.
package mute

import (
	"fmt"
	"slices"
	"time"

	"github.com/tocsin/tocsin/internal/config"
)

// Kinds of mute.
const (
	KindMaintenance = "maintenance"
	KindSilence     = "silence"
)

// Target is what a monitor is known by when windows and silences select
// it: its id, its service, its tags and its service's tags, and the hosts
// and components whose `monitors` list it.
type Target struct {
	Monitor    string
	Service    string
	Tags       []string
	Hosts      []string
	Components []string
}

// Targets returns the target of every monitor and heartbeat in cfg, by id.
func Targets(cfg *config.Config) map[string]Target {
	out := map[string]Target{}
	if cfg == nil {
		return out
	}
	svcTags := map[string][]string{}
	for _, s := range cfg.Services {
		svcTags[s.ID] = s.Tags
	}
	add := func(id, service string, tags []string) {
		t := Target{Monitor: id, Service: service}
		for _, list := range [][]string{tags, svcTags[service]} {
			for _, tag := range list {
				if !slices.Contains(t.Tags, tag) {
					t.Tags = append(t.Tags, tag)
				}
			}
		}
		out[id] = t
	}
	for _, m := range cfg.Monitors {
		add(m.ID, m.Service, m.Tags)
	}
	for _, h := range cfg.Heartbeats {
		if _, ok := out[h.ID]; !ok {
			add(h.ID, h.Service, nil)
		}
	}
	for _, h := range cfg.Hosts {
		for _, id := range h.Monitors {
			if t, ok := out[id]; ok && !slices.Contains(t.Hosts, h.ID) {
				t.Hosts = append(t.Hosts, h.ID)
				out[id] = t
			}
		}
	}
	for _, c := range cfg.Components {
		for _, id := range c.Monitors {
			if t, ok := out[id]; ok && !slices.Contains(t.Components, c.ID) {
				t.Components = append(t.Components, c.ID)
				out[id] = t
			}
		}
	}
	return out
}

// Mute says why a monitor is muted.
type Mute struct {
	// Kind is KindMaintenance or KindSilence.
	Kind string
	// ID is the window's or silence's id.
	ID     string
	Reason string
	// CreatedBy is who created a window or silence at run time; empty
	// for windows from the configuration file.
	CreatedBy string
	// Until is when the mute ends, as far as known now (a later window or
	// silence may extend it).
	Until time.Time
}

// String says it in words: "in maintenance until …" or "silenced by …".
func (m Mute) String() string {
	until := m.Until.UTC().Format("2006-01-02 15:04 MST")
	if m.Kind == KindSilence {
		return fmt.Sprintf("silenced by %s until %s (%s)", m.ID, until, m.Reason)
	}
	return fmt.Sprintf("in maintenance %s until %s (%s)", m.ID, until, m.Reason)
}

// Snapshot is the set of windows and silences in force, and the targets of
// the configured monitors. It is immutable; nil mutes nothing.
type Snapshot struct {
	windows  []Window
	silences []Silence
	targets  map[string]Target
}

// New returns a snapshot of windows and silences over the monitors of cfg.
func New(cfg *config.Config, windows []Window, silences []Silence) *Snapshot {
	return &Snapshot{windows: slices.Clone(windows), silences: slices.Clone(silences), targets: Targets(cfg)}
}

// Windows returns the snapshot's maintenance windows.
func (s *Snapshot) Windows() []Window {
	if s == nil {
		return nil
	}
	return slices.Clone(s.windows)
}

// Silences returns the snapshot's silences.
func (s *Snapshot) Silences() []Silence {
	if s == nil {
		return nil
	}
	return slices.Clone(s.silences)
}

// Target returns the target of a configured monitor.
func (s *Snapshot) Target(monitorID string) (Target, bool) {
	if s == nil {
		return Target{}, false
	}
	t, ok := s.targets[monitorID]
	return t, ok
}

// Check reports whether the monitor is muted at at, and why. Maintenance
// wins over a silence; among several of a kind, the one lasting longest.
// A monitor not in the configuration is never muted.
func (s *Snapshot) Check(monitorID string, at time.Time) (Mute, bool) {
	t, ok := s.Target(monitorID)
	if !ok {
		return Mute{}, false
	}
	var best Mute
	found := false
	for _, w := range s.windows {
		if !w.Matches(t) {
			continue
		}
		if _, end, ok := w.ActiveAt(at); ok && (!found || end.After(best.Until)) {
			best = Mute{Kind: KindMaintenance, ID: w.ID, Reason: w.Reason, CreatedBy: w.CreatedBy, Until: end}
			found = true
		}
	}
	if found {
		return best, true
	}
	for _, si := range s.silences {
		if si.ActiveAt(at) && si.Matches(t) && (!found || si.EndsAt.After(best.Until)) {
			best = Mute{Kind: KindSilence, ID: si.ID, Reason: si.Reason, CreatedBy: si.CreatedBy, Until: si.EndsAt}
			found = true
		}
	}
	return best, found
}

// Muted returns the monitors among ids that are muted at at, with why.
func (s *Snapshot) Muted(ids []string, at time.Time) map[string]Mute {
	out := map[string]Mute{}
	for _, id := range ids {
		if m, ok := s.Check(id, at); ok {
			out[id] = m
		}
	}
	return out
}
