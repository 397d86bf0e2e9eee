package store

import (
	"context"
	"time"
)

// Incident states, in the order an incident normally goes through them.
const (
	IncidentInvestigating = "investigating"
	IncidentIdentified    = "identified"
	IncidentMonitoring    = "monitoring"
	IncidentResolved      = "resolved"
	IncidentPostmortem    = "postmortem"
)

// IncidentStates lists the states in order.
var IncidentStates = []string{IncidentInvestigating, IncidentIdentified, IncidentMonitoring, IncidentResolved, IncidentPostmortem}

// Who reported an incident (Incident.ReportedKind).
const (
	ReportedByMonitor  = "monitor"
	ReportedByCustomer = "customer"
	ReportedByStaff    = "staff"
)

// Timeline entry kinds written for the incident itself. Entries derived
// from an alert's log keep the alert action's kind prefixed with
// "alert." (alert.opened, alert.acknowledged, alert.notified ...).
const (
	EntryOpened   = "incident.opened"
	EntryDeclared = "incident.declared"
	EntryAlert    = "incident.alert" // an alert joined the incident
	EntryNote     = "note"
	EntrySeverity = "severity"
	EntryState    = "state"
	EntryRole     = "role"
)

// Incident is a service problem handled as a process, from the first
// failure to the postmortem.
type Incident struct {
	ID       int64
	Title    string
	State    string
	Severity string
	Services []string
	OpenedAt time.Time
	// DetectedAt is when the problem was first known: the first failing
	// result of a monitor, or the time a person reported it.
	DetectedAt     time.Time
	AcknowledgedAt time.Time
	// MonitoringSince is when every monitor of the incident was up
	// again; zero unless State is IncidentMonitoring.
	MonitoringSince time.Time
	ResolvedAt      time.Time
	ResolvedBy      string
	// ReportedName and ReportedKind (ReportedByMonitor, ...Customer,
	// ...Staff) say who reported it, ReportedAt when.
	ReportedName string
	ReportedKind string
	ReportedAt   time.Time
	// DeclaredBy is who declared it by hand; empty when monitoring
	// opened it.
	DeclaredBy string
	// Alerts are the ids of the linked alerts, oldest first; Roles the
	// role history, oldest first; Timeline the merged timeline, oldest
	// first. Only Incident fills Roles and Timeline.
	Alerts   []int64
	Roles    []IncidentRoleSpan
	Timeline []TimelineEntry
}

// IncidentRoleSpan is one person holding one role from From until Until
// (zero while they still hold it).
type IncidentRoleSpan struct {
	Role       string
	Holder     string
	AssignedBy string
	From       time.Time
	Until      time.Time
}

// TimelineEntry is one line of an incident's timeline.
type TimelineEntry struct {
	// ID is the entry's own id; 0 for an entry derived from an alert's
	// log (ActionID then names it).
	ID   int64
	Time time.Time
	Kind string
	Text string
	Who  string
	// Key marks a key event, Misleading an investigation path that
	// turned out wrong.
	Key, Misleading bool
	// AlertID and ActionID point at the source: an alert and one action
	// of its log; 0 for none.
	AlertID, ActionID int64
}

// IncidentChange is what the incident process decided, written in one
// transaction: a state change with its timeline entry.
type IncidentChange struct {
	ID    int64
	State string
	// From, when set, is the state the change was decided from: an
	// incident no longer in it is left as it is (ECONFLICT), so a replica
	// that read it before another moved it does not move it again.
	From string
	// MonitoringSince is set with State IncidentMonitoring.
	MonitoringSince time.Time
	At              time.Time
	Who             string
	Text            string
}

// TimelineMark sets the key and misleading marks of one entry: its own id
// (EntryID) or an alert action's id (ActionID). A nil flag is unchanged.
type TimelineMark struct {
	EntryID, ActionID int64
	Key, Misleading   *bool
}

// IncidentOpening is an incident to open from an alert, with its first
// timeline entries.
type IncidentOpening struct {
	Incident Incident
	AlertID  int64
	Entries  []TimelineEntry
}

// Incidents keeps incidents, their linked alerts, roles and timelines.
type Incidents interface {
	// OpenIncident stores a new incident (state investigating) with its
	// first timeline entries and, when alertID is not 0, links that
	// alert, all in one transaction. A linked alert is refused with
	// ECONFLICT. It returns the incident as stored.
	OpenIncident(ctx context.Context, in Incident, alertID int64, entries []TimelineEntry) (Incident, error)
	// OpenIncidents opens several incidents from alerts in one
	// transaction, each as OpenIncident would. An opening whose alert is
	// linked to an incident already is left out (another replica opened
	// it); an invalid one refuses the whole call with EINVALID and stores
	// nothing. It returns the incidents opened, in order, with their ids
	// and alerts, without reading them back (their timelines are empty).
	OpenIncidents(ctx context.Context, os []IncidentOpening) ([]Incident, error)
	// Incident returns one incident with its alerts, roles and merged
	// timeline; ENOTFOUND.
	Incident(ctx context.Context, id int64) (Incident, error)
	// Incidents lists incidents newest first, paged by ID; state ""
	// lists all, "active" those not resolved nor in postmortem.
	Incidents(ctx context.Context, state string, p Page) ([]Incident, error)
	// IncidentOfAlert returns the incident an alert is linked to;
	// ENOTFOUND for none.
	IncidentOfAlert(ctx context.Context, alertID int64) (Incident, error)
	// LinkAlert links an alert to an incident with a timeline entry;
	// ECONFLICT when the alert is linked already.
	LinkAlert(ctx context.Context, incidentID, alertID int64, e TimelineEntry) error
	// AddTimelineEntry adds an entry to an incident's timeline.
	AddTimelineEntry(ctx context.Context, incidentID int64, e TimelineEntry) (TimelineEntry, error)
	// MarkTimelineEntry sets an entry's key and misleading marks.
	MarkTimelineEntry(ctx context.Context, incidentID int64, m TimelineMark) error
	// SetIncidentSeverity changes the severity and records it; EINVALID
	// for the same severity.
	SetIncidentSeverity(ctx context.Context, id int64, severity, who string, at time.Time) (Incident, error)
	// ChangeIncident moves an incident to another state with a timeline
	// entry. Resolving records ResolvedAt and ResolvedBy; leaving
	// monitoring clears MonitoringSince. ECONFLICT for the state it is in.
	ChangeIncident(ctx context.Context, c IncidentChange) (Incident, error)
	// ChangeIncidents applies changes in order in one transaction, each
	// as ChangeIncident would, and says which applied: a change refused
	// (ENOTFOUND, ECONFLICT) is left out with the later changes of its
	// incident, and an invalid one refuses the whole call with EINVALID.
	// It reads nothing back.
	ChangeIncidents(ctx context.Context, cs []IncidentChange) ([]bool, error)
	// AssignIncidentRole hands a role to holder: the current holder's
	// span ends at, a new one starts, and the handover is recorded.
	AssignIncidentRole(ctx context.Context, id int64, role, holder, who string, at time.Time) (Incident, error)
	// SetIncidentAcknowledged records the first acknowledgement time; a
	// later one leaves it unchanged.
	SetIncidentAcknowledged(ctx context.Context, id int64, at time.Time) error
	// IncidentsVersion returns a number that grows whenever an incident
	// opens, changes state or severity, or gets a timeline entry or an
	// update (each writes a timeline entry); 0 while there is none.
	IncidentsVersion(ctx context.Context) (int64, error)
}
