package config

// EscalationPolicy says whom to page for an alert and when, until someone
// acknowledges it (docs/oncall.md).
type EscalationPolicy struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
	// Steps run in order; each step's After counts from the moment the
	// alert opened.
	Steps []EscalationStep `yaml:"steps"`
	// Repeat is how many more times the whole policy runs after its last
	// step while nobody acknowledges. Default 0.
	Repeat int `yaml:"repeat"`
}

// EscalationStep is one step of a policy.
type EscalationStep struct {
	// After is counted from the moment the alert opened.
	After Duration `yaml:"after"`
	// Notify lists targets: "person:ID", "team:ID", "schedule:ID" or
	// "channel:ID".
	Notify []string `yaml:"notify"`
}

// Host is a server a service may depend on.
type Host struct {
	ID          string `yaml:"id"`
	Name        string `yaml:"name"`
	Address     string `yaml:"address"`
	Description string `yaml:"description"`
	// Monitors are the ids of the monitors that watch the host: the host
	// is down while one of them is.
	Monitors []string `yaml:"monitors"`
}

// Component is something else a service may depend on: a network link, a
// vendor, a storage system.
type Component struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
	// Kind is free text such as "network", "vendor" or "storage".
	Kind        string   `yaml:"kind"`
	Description string   `yaml:"description"`
	Contacts    []string `yaml:"contacts"`
	// Monitors are the ids of the monitors that watch the component.
	Monitors []string `yaml:"monitors"`
}

// Alerting tunes how failing monitors become alerts.
type Alerting struct {
	// GroupBy is "service" (default: one alert per service problem) or
	// "monitor" (one alert per monitor).
	GroupBy string `yaml:"group_by"`
	// GroupWait delays the first page of a new alert so monitors failing
	// together join it first. Default 0: the first failure pages at once.
	GroupWait Duration `yaml:"group_wait"`
	// GroupInterval is the least time between two alert.updated
	// notifications of one alert. Default 5m.
	GroupInterval Duration `yaml:"group_interval"`
}

// Maintenance is a window during which matching monitors record results
// but page nobody.
type Maintenance struct {
	ID     string `yaml:"id"`
	Reason string `yaml:"reason"`
	// Match selects what the window covers; a monitor matches when any
	// list names it, its service, its host or component, or a tag of it
	// or its service.
	Match MaintenanceMatch `yaml:"match"`
	// A one-off window: Start and End, RFC 3339 or local "2006-01-02
	// 15:04" in Timezone.
	Start string `yaml:"start"`
	End   string `yaml:"end"`
	// A recurring window: it opens at each Cron time and lasts Duration.
	Cron     string   `yaml:"cron"`
	Duration Duration `yaml:"duration"`
	// Timezone of Start, End and Cron. Default UTC.
	Timezone string `yaml:"timezone"`
}

// MaintenanceMatch selects monitors for a maintenance window.
type MaintenanceMatch struct {
	Services   []string `yaml:"services"`
	Monitors   []string `yaml:"monitors"`
	Hosts      []string `yaml:"hosts"`
	Components []string `yaml:"components"`
	Tags       []string `yaml:"tags"`
}
