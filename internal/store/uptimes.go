package store

import (
	"context"
	"time"
)

// Uptimes reads the uptime of some monitors at once: a page of a list
// of many monitors needs only its own.
type Uptimes interface {
	// UptimeOf is Uptime for each of monitorIDs, in a number of queries
	// that does not grow with the monitors not asked for. Monitors
	// without results in the span, and unknown ids, are absent from the
	// map.
	UptimeOf(ctx context.Context, monitorIDs []string, since time.Time) (map[string]Uptime, error)
}
