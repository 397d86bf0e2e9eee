package store

import "context"

// CursorIncidentAlerts is the cursor of the incident process: the highest
// alert id it has seen, so an alert that opened and recovered between
// two of its steps still opens or joins an incident.
const CursorIncidentAlerts = "incidents.alerts"

// AlertFeed reads alerts in bulk, for the processes that follow them, and
// keeps where each process is in the stream of alerts.
type AlertFeed interface {
	// AlertsAfter lists up to limit alerts of any state with ids above
	// after, oldest first, with their monitors.
	AlertsAfter(ctx context.Context, after int64, limit int) ([]Alert, error)
	// AlertsByID returns the alerts with those ids that exist, with their
	// monitors and logs, in id order; one read whatever their number.
	AlertsByID(ctx context.Context, ids []int64) ([]Alert, error)
	// Cursor returns a named position; 0 when never set.
	Cursor(ctx context.Context, name string) (int64, error)
	// AdvanceCursor moves a named position forward to at least to; a
	// lower value (another replica went further) leaves it.
	AdvanceCursor(ctx context.Context, name string, to int64) error
}
