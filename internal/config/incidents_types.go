package config

import "time"

// DefaultResolveAfter is how long an incident stays in monitoring, every
// monitor of it up, before it resolves by itself.
const DefaultResolveAfter = 10 * time.Minute

// Events of incidents a channel's events filter may name (docs/incidents.md).
const (
	EventIncidentOpened   = "incident.opened"
	EventIncidentUpdated  = "incident.updated"
	EventIncidentResolved = "incident.resolved"
)

// Incidents configures the incident process (docs/incidents.md).
type Incidents struct {
	// ResolveAfter is the quiet period after every monitor of an incident
	// has recovered before it resolves by itself. Default 10m.
	ResolveAfter Duration `yaml:"resolve_after"`
	// Severities are the levels an incident can have, most severe first.
	// Default P0, P1, P2 (DefaultSeverities).
	Severities []Severity `yaml:"severities"`
	// Roles are the roles a responder can hold in an incident. Default
	// incident lead and communications lead (DefaultIncidentRoles).
	Roles []IncidentRole `yaml:"roles"`
	// Severity is the level of incidents opened by monitoring. Default
	// the last (least severe) of Severities.
	Severity string `yaml:"severity"`
	// PostmortemTemplate names a Go text/template file that replaces the
	// built-in postmortem draft (docs/postmortems.md); relative to the
	// configuration file's folder. Empty: the built-in one.
	PostmortemTemplate string `yaml:"postmortem_template"`
	// UpdatesBy says who may post incident updates: UpdatesByAnyone
	// (default) or UpdatesByComms, the holders of the comms role.
	UpdatesBy string `yaml:"updates_by"`
	// AutoNotice lists the severities whose incidents publish a first
	// public update as soon as they open. Default the first two levels;
	// an empty list turns it off.
	AutoNotice []string `yaml:"auto_notice"`
	// NoticeTemplate is that first update's message; {{services}} is
	// replaced by the incident's services. Default DefaultNoticeTemplate.
	NoticeTemplate string `yaml:"notice_template"`
	// ActionReminderBefore is how long before its due date the owner of a
	// follow-up action is reminded of it (docs/postmortems.md). Default
	// 24h; 0s sends no such reminder.
	ActionReminderBefore Duration `yaml:"action_reminder_before"`
	// ActionOverdueEvery is how often the owner of an overdue follow-up
	// action is reminded of it. Default 24h, at least 1h.
	ActionOverdueEvery Duration `yaml:"action_overdue_every"`
}

// Who may post incident updates (Incidents.UpdatesBy).
const (
	UpdatesByAnyone = "anyone"
	UpdatesByComms  = "comms"
)

// DefaultNoticeTemplate is the default message of the automatic first
// public update.
const DefaultNoticeTemplate = "We are investigating a problem with {{services}}. Next update within 30 minutes."

// Severity is one incident level.
type Severity struct {
	ID          string `yaml:"id"`
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
}

// IncidentRole is one role of an incident.
type IncidentRole struct {
	ID          string `yaml:"id"`
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
}

// DefaultSeverities returns the default levels: each says when it applies
// so that a responder can choose without asking.
func DefaultSeverities() []Severity {
	return []Severity{
		{ID: "p0", Name: "P0", Description: "Critical: a core service is down or data is being lost for all or most users; no workaround. Everyone needed is called now, day or night."},
		{ID: "p1", Name: "P1", Description: "Major: a core service is degraded or down for some users, or a secondary service is down for all; a workaround may exist. Handled now by the on-call team."},
		{ID: "p2", Name: "P2", Description: "Minor: limited impact, few users, a workaround exists or redundancy still holds. Handled in working hours."},
	}
}

// DefaultIncidentRoles returns the default roles.
func DefaultIncidentRoles() []IncidentRole {
	return []IncidentRole{
		{ID: "lead", Name: "Incident lead", Description: "Coordinates the response, decides, and hands over explicitly."},
		{ID: "comms", Name: "Communications lead", Description: "Writes the updates for users, management and the status page."},
	}
}
