package audit

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/tocsin/tocsin/internal/config"
)

// Diff is what a configuration reload changed: the objects added, changed
// and removed, each as "<kind> <id>" ("monitor web"), and whether the
// settings outside the lists (server, storage, alerting, incidents...)
// changed.
type Diff struct {
	Added, Changed, Removed []string
	Settings                bool
}

// Empty reports whether nothing changed.
func (d Diff) Empty() bool {
	return len(d.Added) == 0 && len(d.Changed) == 0 && len(d.Removed) == 0 && !d.Settings
}

// maxListed bounds how many ids of each list a summary names; the rest are
// counted, so reloading 10,000 new monitors records one readable line.
const maxListed = 20

// Summary says in a line what changed: "added monitor db, heartbeat
// backup; changed service shop; removed monitor old; settings changed".
func (d Diff) Summary() string {
	if d.Empty() {
		return "nothing changed"
	}
	var parts []string
	for _, l := range []struct {
		verb string
		ids  []string
	}{{"added", d.Added}, {"changed", d.Changed}, {"removed", d.Removed}} {
		if len(l.ids) == 0 {
			continue
		}
		shown := l.ids[:min(len(l.ids), maxListed)]
		s := l.verb + " " + strings.Join(shown, ", ")
		if more := len(l.ids) - len(shown); more > 0 {
			s += fmt.Sprintf(" and %d more", more)
		}
		parts = append(parts, s)
	}
	if d.Settings {
		parts = append(parts, "settings changed")
	}
	return strings.Join(parts, "; ")
}

// Fingerprints are the monitor fingerprints (config.Monitor.Fingerprint,
// by id) a reload has already computed for the running and the new
// configuration. ConfigDiff takes them instead of encoding every monitor's
// definition again, so a reload of 100,000 monitors digests each once. A
// nil map is computed from its configuration.
type Fingerprints struct {
	Prev, Next map[string]string
}

// ConfigDiff compares two configurations object by object, by kind and
// id, in the order of the file: monitors, heartbeats, services, channels,
// people, teams, schedules, escalation policies, hosts, components,
// maintenance windows, status pages and agents. An object changed when
// any of its fields did; for a monitor, when its fingerprint in fp
// (its definition) or one of the fields the fingerprint leaves out (name,
// service, channels, paused, tags, agent, locations, down_when) did. A
// nil prev adds everything.
func ConfigDiff(prev, next *config.Config, fp Fingerprints) Diff {
	if prev == nil {
		prev = &config.Config{}
	}
	if next == nil {
		next = &config.Config{}
	}
	if fp.Prev == nil {
		fp.Prev = fingerprintsOf(prev)
	}
	if fp.Next == nil {
		fp.Next = fingerprintsOf(next)
	}
	var d Diff
	monitors(&d, prev.Monitors, next.Monitors, fp)
	section(&d, "heartbeat", prev.Heartbeats, next.Heartbeats, func(h config.Heartbeat) string { return h.ID })
	section(&d, "service", prev.Services, next.Services, func(s config.Service) string { return s.ID })
	section(&d, "channel", prev.Channels, next.Channels, func(c config.Channel) string { return c.ID })
	section(&d, "person", prev.People, next.People, func(p config.Person) string { return p.ID })
	section(&d, "team", prev.Teams, next.Teams, func(t config.Team) string { return t.ID })
	section(&d, "schedule", prev.Schedules, next.Schedules, func(s config.Schedule) string { return s.ID })
	section(&d, "escalation_policy", prev.EscalationPolicies, next.EscalationPolicies, func(p config.EscalationPolicy) string { return p.ID })
	section(&d, "host", prev.Hosts, next.Hosts, func(h config.Host) string { return h.ID })
	section(&d, "component", prev.Components, next.Components, func(c config.Component) string { return c.ID })
	section(&d, "maintenance", prev.Maintenance, next.Maintenance, func(m config.Maintenance) string { return m.ID })
	section(&d, "status_page", prev.StatusPages, next.StatusPages, func(s config.StatusPage) string { return s.ID })
	section(&d, "agent", prev.Agents, next.Agents, func(a config.Agent) string { return a.ID })
	d.Settings = hash(settings(prev)) != hash(settings(next))
	return d
}

func fingerprintsOf(c *config.Config) map[string]string {
	out := make(map[string]string, len(c.Monitors))
	for i := range c.Monitors {
		out[c.Monitors[i].ID] = c.Monitors[i].Fingerprint()
	}
	return out
}

// monitors lists the monitors added, changed and removed. The definition
// is compared by fingerprint; the fields the fingerprint leaves out (they
// change what a monitor belongs to and who hears of it, not how it runs)
// are compared one by one, which encodes nothing.
func monitors(d *Diff, prev, next []config.Monitor, fp Fingerprints) {
	old := make(map[string]*config.Monitor, len(prev))
	for i := range prev {
		old[prev[i].ID] = &prev[i]
	}
	seen := make(map[string]bool, len(next))
	for i := range next {
		m := &next[i]
		seen[m.ID] = true
		o, ok := old[m.ID]
		switch {
		case !ok:
			d.Added = append(d.Added, "monitor "+m.ID)
		case fp.Prev[m.ID] != fp.Next[m.ID] || !sameOutsideFingerprint(o, m):
			d.Changed = append(d.Changed, "monitor "+m.ID)
		}
	}
	for i := range prev {
		if !seen[prev[i].ID] {
			d.Removed = append(d.Removed, "monitor "+prev[i].ID)
		}
	}
}

// sameOutsideFingerprint compares the fields of two monitors that
// config.Monitor.Fingerprint does not cover; a test keeps the two lists
// together.
func sameOutsideFingerprint(a, b *config.Monitor) bool {
	return a.Name == b.Name && a.Service == b.Service && a.Paused == b.Paused && a.Agent == b.Agent &&
		a.DownWhen == b.DownWhen && slices.Equal(a.Channels, b.Channels) && slices.Equal(a.Tags, b.Tags) &&
		slices.Equal(a.Locations, b.Locations)
}

func section[T any](d *Diff, kind string, prev, next []T, id func(T) string) {
	old := make(map[string][32]byte, len(prev))
	for _, o := range prev {
		old[id(o)] = hash(o)
	}
	seen := make(map[string]bool, len(next))
	for _, o := range next {
		k := id(o)
		seen[k] = true
		h, ok := old[k]
		switch {
		case !ok:
			d.Added = append(d.Added, kind+" "+k)
		case h != hash(o):
			d.Changed = append(d.Changed, kind+" "+k)
		}
	}
	for _, o := range prev {
		if k := id(o); !seen[k] {
			d.Removed = append(d.Removed, kind+" "+k)
		}
	}
}

// settings are the sections of a configuration that are not lists of
// objects with ids.
func settings(c *config.Config) any {
	return struct {
		Server       config.Server
		Storage      config.Storage
		Alerting     config.Alerting
		Incidents    config.Incidents
		Alertmanager config.Alertmanager
		Audit        config.Audit
	}{c.Server, c.Storage, c.Alerting, c.Incidents, c.Alertmanager, c.Audit}
}

// hash digests v's JSON form: encoding/json sorts map keys, so equal
// values hash equally. A value that cannot be encoded hashes as its error,
// which at worst reports a change that was none.
func hash(v any) [32]byte {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte("unencodable: " + err.Error())
	}
	return sha256.Sum256(b)
}
