// Package monitor holds the state of a monitor and the pure state machine
// that moves it: Evaluate(policy, state, result, now) → (state, transitions).
// Nothing here does I/O; the app feeds results in and persists what comes out.
package monitor

import (
	"time"

	"github.com/tocsin/tocsin/internal/probe"
)

// Status is the confirmed state of a monitor, after thresholds.
type Status string

// Monitor states.
const (
	StatusPending Status = "pending" // no confirmed state yet (new monitor)
	StatusUp      Status = "up"
	StatusWarning Status = "warning" // working, but a warning threshold is crossed
	StatusDown    Status = "down"
	StatusPaused  Status = "paused"
)

// Policy is how results are turned into state, from the monitor's config.
type Policy struct {
	// FailureThreshold is how many consecutive failed results confirm Down (≥1).
	FailureThreshold int
	// SuccessThreshold is how many consecutive good results confirm Up (≥1).
	SuccessThreshold int
	// FlapWindow is how many recent results the flapping detector looks at
	// (Nagios uses 21). Evaluate treats a window below 2 as "flapping
	// detection off"; Normalize turns 0 into the default 21 and keeps a
	// negative value, so a negative window is the way to switch it off.
	FlapWindow int
	// FlapHigh and FlapLow are percent state change thresholds: flapping
	// starts above FlapHigh and stops below FlapLow (Nagios defaults 50/25).
	FlapHigh, FlapLow float64
}

// State is everything the state machine remembers about one monitor. It is
// small and copied by value; the store persists it as it is.
//
// The zero State is a monitor that has never been evaluated: Evaluate reads
// an empty (or unrecognised) Status as StatusPending and sets Since to the
// time of the first result.
type State struct {
	Status Status `json:"status"`
	// Since is when Status was entered.
	Since time.Time `json:"since"`
	// ConsecutiveFailures / ConsecutiveSuccesses count the current streak of
	// raw results, before thresholds.
	ConsecutiveFailures  int `json:"consecutive_failures"`
	ConsecutiveSuccesses int `json:"consecutive_successes"`
	// LastResultAt and LastStatus describe the newest result seen.
	LastResultAt time.Time    `json:"last_result_at,omitzero"`
	LastStatus   probe.Status `json:"last_status"`
	LastReason   string       `json:"last_reason,omitempty"`
	// StatusStreak counts the newest results in a row whose status is
	// LastStatus; it is what moves a monitor between Up and Warning.
	StatusStreak int `json:"status_streak,omitempty"`
	// Recent holds the raw outcome of the last FlapWindow results, oldest
	// first, 'f' for failed and 'o' for ok, for flapping detection.
	Recent string `json:"recent,omitempty"`
	// Flapping is true while the percent state change is above the threshold.
	Flapping bool `json:"flapping"`
	// PausedFrom is the status to return to on resume (set while paused).
	PausedFrom Status `json:"paused_from,omitempty"`
	// Locations is the state of each location of a monitor that lists
	// locations, kept with the monitor's own so the per-location views
	// and the quorum resume after a restart. The map is replaced, never
	// changed in place: copies of a State may share it.
	Locations map[string]LocationState `json:"locations,omitempty"`
}

// LocationState is what a monitor's state keeps of one of its locations.
type LocationState struct {
	State State `json:"state"`
	// Last is the location's newest result, without its metrics and
	// facts; nil before the first.
	Last *probe.Result `json:"last,omitempty"`
	// FailingSince is when its current run of failures began.
	FailingSince time.Time `json:"failing_since,omitzero"`
}

// Transition records one confirmed change of a monitor's state, with the
// result that caused it. Flapping starts and stops are transitions too,
// with From == To and Flapping set to the new value.
type Transition struct {
	MonitorID string       `json:"monitor_id"`
	From      Status       `json:"from"`
	To        Status       `json:"to"`
	Time      time.Time    `json:"time"`
	Reason    string       `json:"reason"`
	Flapping  bool         `json:"flapping"`
	Result    probe.Result `json:"result"`
}
