package status

import (
	"slices"
	"strings"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/monitor"
)

// The public states of a component, from best to worst; maintenance is
// apart from the order.
const (
	Operational   = "operational"
	Degraded      = "degraded"
	PartialOutage = "partial_outage"
	MajorOutage   = "major_outage"
	Maintenance   = "maintenance"
)

// States lists the public states, as an override may set them.
var States = []string{Operational, Degraded, PartialOutage, MajorOutage, Maintenance}

// ValidState reports whether s is a public state.
func ValidState(s string) bool { return slices.Contains(States, s) }

// label is a state in words.
func label(s string) string {
	switch s {
	case Operational:
		return "Operational"
	case Degraded:
		return "Degraded performance"
	case PartialOutage:
		return "Partial outage"
	case MajorOutage:
		return "Major outage"
	case Maintenance:
		return "Under maintenance"
	}
	return s
}

// rank orders states for the page's overall state: the worst wins.
func rank(s string) int {
	switch s {
	case Degraded:
		return 2
	case PartialOutage:
		return 3
	case MajorOutage:
		return 4
	case Maintenance:
		return 1
	}
	return 0
}

// derive is a component's state from its monitors' statuses. Monitors in a
// maintenance window are set aside: when all are, the component is under
// maintenance. Of the others, pending and paused ones say nothing; all down
// is a major outage, some down a partial one, a warning degraded.
func derive(statuses []monitor.Status, inMaintenance int) string {
	var counted, down, warn int
	for _, s := range statuses {
		switch s {
		case monitor.StatusDown:
			counted++
			down++
		case monitor.StatusWarning:
			counted++
			warn++
		case monitor.StatusUp:
			counted++
		}
	}
	switch {
	case down > 0 && down == counted:
		return MajorOutage
	case down > 0:
		return PartialOutage
	case warn > 0:
		return Degraded
	case inMaintenance > 0:
		return Maintenance
	}
	return Operational
}

// Key is the name of a component in URLs and JSON: the service's id for a
// one-service component, else its name in lowercase with runs of other
// characters than letters and digits as '-'.
func Key(c config.StatusComponent) string {
	if c.Service != "" {
		return c.Service
	}
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(c.Name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	return b.String()
}
