package config

import (
	"strconv"
	"strings"
)

// incidentDefaults fills in the incident process: the quiet period, the
// P0/P1/P2 levels and the two roles, names from ids, and the level of
// incidents monitoring opens.
func (l *loader) incidentDefaults(cfg *Config) {
	in := &cfg.Incidents
	setDuration(&in.ResolveAfter, DefaultResolveAfter, l.ix.has("incidents.resolve_after"))
	if len(in.Severities) == 0 {
		in.Severities = DefaultSeverities()
	}
	if len(in.Roles) == 0 {
		in.Roles = DefaultIncidentRoles()
	}
	for i := range in.Severities {
		if s := &in.Severities[i]; s.Name == "" {
			s.Name = strings.ToUpper(s.ID)
		}
	}
	for i := range in.Roles {
		if r := &in.Roles[i]; r.Name == "" {
			r.Name = r.ID
		}
	}
	if in.Severity == "" {
		in.Severity = in.Severities[len(in.Severities)-1].ID
	}
	in.PostmortemTemplate = l.resolve(in.PostmortemTemplate)
	if in.UpdatesBy == "" {
		in.UpdatesBy = UpdatesByAnyone
	}
	if in.AutoNotice == nil && !l.ix.has("incidents.auto_notice") {
		in.AutoNotice = SeverityIDs(in.Severities[:min(2, len(in.Severities))])
	}
	if in.NoticeTemplate == "" {
		in.NoticeTemplate = DefaultNoticeTemplate
	}
	l.actionReminderDefaults(in)
}

// validateIncidents checks the incident process: unique ids of levels and
// roles, a description for each level, a quiet period of at least zero,
// and a default level that exists.
func (l *loader) validateIncidents(in *Incidents) {
	if in.ResolveAfter < 0 {
		l.errAt("incidents.resolve_after", "must be 0s or more, got %s", in.ResolveAfter)
	}
	sev := l.ids("incidents.severities", len(in.Severities), func(i int) string { return in.Severities[i].ID }, nil)
	l.ids("incidents.roles", len(in.Roles), func(i int) string { return in.Roles[i].ID }, nil)
	for i, s := range in.Severities {
		if strings.TrimSpace(s.Description) == "" {
			l.errAt(sevPath(i), "needs a description a responder can apply without asking")
		}
	}
	l.validatePostmortemTemplate(in.PostmortemTemplate)
	l.validateActionReminders(in)
	if _, ok := sev[in.Severity]; !ok && len(in.Severities) > 0 {
		l.errAt("incidents.severity", "unknown severity %q (the levels are %s)", in.Severity, strings.Join(SeverityIDs(in.Severities), ", "))
	}
	if in.UpdatesBy != UpdatesByAnyone && in.UpdatesBy != UpdatesByComms {
		l.errAt("incidents.updates_by", "must be anyone or comms, got %q", in.UpdatesBy)
	}
	for i, id := range in.AutoNotice {
		if _, ok := sev[id]; !ok {
			l.errAt("incidents.auto_notice["+strconv.Itoa(i)+"]", "unknown severity %q (the levels are %s)", id, strings.Join(SeverityIDs(in.Severities), ", "))
		}
	}
	if len(in.NoticeTemplate) > 2000 {
		l.errAt("incidents.notice_template", "is longer than 2000 bytes")
	}
}

func sevPath(i int) string {
	return "incidents.severities[" + strconv.Itoa(i) + "].description"
}

// SeverityIDs returns the ids of levels, in order.
func SeverityIDs(l []Severity) []string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = s.ID
	}
	return out
}
