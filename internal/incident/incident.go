// Package incident turns paged alerts into incidents and moves them along:
// one incident per service problem, joined by the alerts of services
// impacted by it; monitoring once every monitor of it is up again, and
// resolved after a quiet period. The decisions are pure functions (Join,
// Progress, Acknowledged); Runner applies them to the store.
package incident

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/store"
)

// LogOpened is written for each incident the runner opens, with the
// attributes incident, alert and title. In an alert storm that is one per
// alert, so the log summarises them (see the app's storm kinds).
const LogOpened = "incident opened"

// LogProgressed is the message written when the runner moves an incident
// to state ("incident resolved"), with the attribute incident.
func LogProgressed(state string) string { return "incident " + state }

// System is who the incident process acts as.
const System = "system"

// Open describes the incident a new alert opens.
func Open(a store.Alert, severity string) (store.Incident, store.TimelineEntry) {
	what := a.ServiceID
	if what == "" {
		what = strings.TrimPrefix(a.GroupKey, "monitor:")
	}
	services := []string{}
	if a.ServiceID != "" {
		services = append(services, a.ServiceID)
	}
	reporter := ""
	if len(a.Monitors) > 0 {
		reporter = a.Monitors[0].MonitorID
	}
	in := store.Incident{
		Title:        what + " is failing",
		State:        store.IncidentInvestigating,
		Severity:     severity,
		Services:     services,
		OpenedAt:     a.OpenedAt,
		DetectedAt:   a.OpenedAt,
		ReportedKind: store.ReportedByMonitor,
		ReportedName: reporter,
		ReportedAt:   a.OpenedAt,
	}
	e := store.TimelineEntry{Time: a.OpenedAt, Kind: store.EntryOpened, Who: System, AlertID: a.ID,
		Text: fmt.Sprintf("incident opened by alert %d (%s)", a.ID, a.GroupKey)}
	return in, e
}

// Join returns the incident a new alert joins, if any: the incident of
// the service a monitor of it is impacted by ("service:db" joins the
// incident of db's alert), else an active incident of its own service.
// incidentOf returns the active incident of a service.
func Join(a store.Alert, incidentOf func(serviceID string) (int64, bool)) (int64, bool) {
	for _, m := range a.Monitors {
		if svc, ok := strings.CutPrefix(m.ImpactedBy, "service:"); ok {
			if id, ok := incidentOf(svc); ok {
				return id, true
			}
		}
	}
	if a.ServiceID != "" {
		return incidentOf(a.ServiceID)
	}
	return 0, false
}

// Progress decides the next automatic state of an incident from its
// alerts: monitoring once no monitor of any of them is down (since the
// last recovery), investigating again when one fails while monitoring,
// resolved resolveAfter after monitoring began. An incident without
// alerts, or in a state people set (identified counts as active),
// resolved or postmortem, is left alone except as said.
func Progress(in store.Incident, alerts []store.Alert, now time.Time, resolveAfter time.Duration) (store.IncidentChange, bool) {
	if len(alerts) == 0 || in.State == store.IncidentResolved || in.State == store.IncidentPostmortem {
		return store.IncidentChange{}, false
	}
	down, last := false, time.Time{}
	for _, a := range alerts {
		for _, m := range a.Monitors {
			if m.Status == "down" && a.State != store.AlertResolved {
				down = true
			}
			if m.ChangedAt.After(last) {
				last = m.ChangedAt
			}
		}
		if a.ResolvedAt.After(last) {
			last = a.ResolvedAt
		}
	}
	switch {
	case down && in.State == store.IncidentMonitoring:
		return store.IncidentChange{ID: in.ID, State: store.IncidentInvestigating, At: now, Who: System, Text: "a monitor failed again"}, true
	case down:
		return store.IncidentChange{}, false
	case in.State != store.IncidentMonitoring:
		if last.IsZero() || last.After(now) {
			last = now
		}
		return store.IncidentChange{ID: in.ID, State: store.IncidentMonitoring, MonitoringSince: last, At: last, Who: System,
			Text: "every monitor is up"}, true
	case !now.Before(in.MonitoringSince.Add(resolveAfter)):
		at := in.MonitoringSince.Add(resolveAfter)
		return store.IncidentChange{ID: in.ID, State: store.IncidentResolved, At: at, Who: System,
			Text: fmt.Sprintf("quiet for %s", resolveAfter)}, true
	}
	return store.IncidentChange{}, false
}

// Due returns when Progress next has something to do for an incident in
// monitoring; false otherwise.
func Due(in store.Incident, resolveAfter time.Duration) (time.Time, bool) {
	if in.State != store.IncidentMonitoring || in.MonitoringSince.IsZero() {
		return time.Time{}, false
	}
	return in.MonitoringSince.Add(resolveAfter), true
}

// Acknowledged returns the first acknowledgement among the alerts, when
// it is earlier than what the incident holds.
func Acknowledged(in store.Incident, alerts []store.Alert) (time.Time, bool) {
	var first time.Time
	for _, a := range alerts {
		for _, x := range a.Actions {
			if x.Kind == store.ActionAcknowledged || x.Kind == store.ActionSnoozed {
				if first.IsZero() || x.Time.Before(first) {
					first = x.Time
				}
			}
		}
		if !a.AcknowledgedAt.IsZero() && (first.IsZero() || a.AcknowledgedAt.Before(first)) {
			first = a.AcknowledgedAt
		}
	}
	if first.IsZero() || (!in.AcknowledgedAt.IsZero() && !first.Before(in.AcknowledgedAt)) {
		return time.Time{}, false
	}
	return first, true
}

// ValidSeverity reports whether id is one of the levels.
func ValidSeverity(ids []string, id string) bool { return slices.Contains(ids, id) }
