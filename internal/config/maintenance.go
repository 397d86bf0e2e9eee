package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/cron"
)

// maxMaintenanceReason bounds a window's reason, as the API bounds the
// reasons of windows and silences created at run time.
const maxMaintenanceReason = 1000

// validateMaintenance checks the maintenance windows: unique ids, a reason,
// a match naming only things that exist, a timezone, and exactly one form:
// one-off (start before end) or recurring (a cron expression that fires
// and a duration above zero).
func (l *loader) validateMaintenance(cfg *Config, services, monitors map[string]string) {
	l.ids("maintenance", len(cfg.Maintenance), func(i int) string { return cfg.Maintenance[i].ID }, nil)
	if len(cfg.Maintenance) == 0 {
		return
	}
	// Heartbeats are monitors too, and hosts and components are the
	// catalog's: a window may name any of them.
	monitorIDs := map[string]string{}
	for id, p := range monitors {
		monitorIDs[id] = p
	}
	for _, h := range cfg.Heartbeats {
		monitorIDs[h.ID] = ""
	}
	hosts, components, tags := map[string]string{}, map[string]string{}, map[string]string{}
	for _, h := range cfg.Hosts {
		hosts[h.ID] = ""
	}
	for _, c := range cfg.Components {
		components[c.ID] = ""
	}
	for _, s := range cfg.Services {
		for _, t := range s.Tags {
			tags[t] = ""
		}
	}
	for _, m := range cfg.Monitors {
		for _, t := range m.Tags {
			tags[t] = ""
		}
	}
	for i := range cfg.Maintenance {
		m := &cfg.Maintenance[i]
		p := fmt.Sprintf("maintenance[%d]", i)
		if strings.TrimSpace(m.Reason) == "" {
			l.errAt(p+".reason", "reason is required: say why, so whoever sees a muted monitor knows")
		} else if len(m.Reason) > maxMaintenanceReason {
			l.errAt(p+".reason", "the reason is longer than %d characters", maxMaintenanceReason)
		}
		mm := m.Match
		if len(mm.Services)+len(mm.Monitors)+len(mm.Hosts)+len(mm.Components)+len(mm.Tags) == 0 {
			l.errAt(p+".match", "match must name at least one service, monitor, host, component or tag")
		}
		l.nearRefs(p+".match.services", mm.Services, "service", services)
		l.nearRefs(p+".match.monitors", mm.Monitors, "monitor", monitorIDs)
		l.nearRefs(p+".match.hosts", mm.Hosts, "host", hosts)
		l.nearRefs(p+".match.components", mm.Components, "component", components)
		l.nearRefs(p+".match.tags", mm.Tags, "tag", tags)

		loc, err := cron.LoadLocation(m.Timezone)
		if err != nil {
			l.errAt(p+".timezone", "%v", err)
			loc = nil
		}
		oneOff := m.Start != "" || m.End != ""
		recurring := m.Cron != "" || m.Duration != 0
		switch {
		case oneOff && recurring:
			l.errAt(p, "a window is either one-off (start and end) or recurring (cron and duration), not both")
		case recurring:
			if m.Cron == "" {
				l.errAt(p+".cron", "cron is required with duration: when the window opens, such as \"0 2 * * sun\"")
			} else if loc != nil {
				if err := cron.Check(m.Cron, loc, time.Now()); err != nil {
					l.errAt(p+".cron", "%v", err)
				}
			}
			if m.Duration <= 0 {
				l.errAt(p+".duration", "duration is required and above zero: how long each opening lasts, such as 2h")
			}
		case oneOff:
			if loc == nil {
				break
			}
			var start, end time.Time
			var errStart, errEnd error
			if m.Start == "" {
				l.errAt(p+".start", "start is required with end")
				errStart = fmt.Errorf("missing")
			} else if start, errStart = ParseLocalTime(m.Start, loc); errStart != nil {
				l.errAt(p+".start", "%s", strings.Replace(errStart.Error(), "the schedule's timezone", "the window's timezone", 1))
			}
			if m.End == "" {
				l.errAt(p+".end", "end is required with start")
				errEnd = fmt.Errorf("missing")
			} else if end, errEnd = ParseLocalTime(m.End, loc); errEnd != nil {
				l.errAt(p+".end", "%s", strings.Replace(errEnd.Error(), "the schedule's timezone", "the window's timezone", 1))
			}
			if errStart == nil && errEnd == nil && !start.Before(end) {
				l.errAt(p+".end", "end %s is not after start %s", m.End, m.Start)
			}
		default:
			l.errAt(p, "a window needs start and end (one-off) or cron and duration (recurring)")
		}
	}
}

// nearRefs checks that every id in list is defined, suggesting the nearest
// for a typo.
func (l *loader) nearRefs(path string, list []string, kind string, defined map[string]string) {
	for i, id := range list {
		if _, ok := defined[id]; ok {
			continue
		}
		msg := fmt.Sprintf("undefined %s %q", kind, id)
		if kind == "tag" {
			msg = fmt.Sprintf("no monitor or service has the tag %q", id)
		}
		if s := nearest(id, defined); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		l.errAt(fmt.Sprintf("%s[%d]", path, i), "%s", msg)
	}
}
