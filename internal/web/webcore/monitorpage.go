package webcore

import (
	"strings"

	"github.com/tocsin/tocsin/internal/config"
)

// MonitorQuery asks the runtime for one page of monitors: what the overview
// and the API's list show.
type MonitorQuery struct {
	// FailingFirst orders as the overview does: failing monitors (down
	// or warning) first, the longest failing first; then the rest by
	// service, in the configuration's order of services (monitors of no
	// configured service last), each group in configuration order.
	// Otherwise monitors come in configuration order.
	FailingFirst bool
	// Status is up, warning, down, pending, paused or flapping; "" is any.
	Status string
	// Services, when not nil, lets through only monitors of these
	// service ids (an empty list lets none through).
	Services []string
	// Kind lets through only monitors of this type; "" is any.
	Kind string
	// Match, when not nil, is asked about each monitor the other
	// filters let through. The runtime calls it holding its lock: it
	// must be quick and call nothing of the runtime.
	Match func(*config.Monitor) bool
	// After is the id of the last monitor of the previous page, in
	// configuration order only; Offset skips that many more.
	After  string
	Offset int
	Limit  int
}

// StatusCounts counts monitors by status; field names as the overview's
// summary shows them.
type StatusCounts struct {
	Total, Up, Warning, Down, Pending, Paused, Flapping int
}

// MonitorPage is one page of monitors and what the whole list holds, read
// at one instant.
type MonitorPage struct {
	Monitors []MonitorView
	// Total counts the monitors the query matches, on every page.
	Total int
	// More tells whether matching monitors follow this page.
	More bool
	// Counts counts every monitor, whatever the query's filters.
	Counts StatusCounts
	// Kinds are the types of every monitor, sorted.
	Kinds []string
}

// MonitorSearch returns the Match of a text search: needle, in any case,
// in a monitor's id, name, type, target or service name (serviceName of
// its service id). An empty needle matches everything (nil).
func MonitorSearch(k Kinds, serviceName func(id string) string, needle string) func(*config.Monitor) bool {
	needle = strings.ToLower(strings.TrimSpace(needle))
	if needle == "" {
		return nil
	}
	return func(m *config.Monitor) bool {
		for _, hay := range []string{m.ID, m.Name, m.Type, serviceName(m.Service)} {
			if containsFold(hay, needle) {
				return true
			}
		}
		// The target last: describing it costs the most.
		return containsFold(Target(k, m), needle)
	}
}

// containsFold tells whether s holds lower (already lower case), in any
// case, without allocating for ASCII text.
func containsFold(s, lower string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return strings.Contains(strings.ToLower(s), lower)
		}
	}
	n := len(lower)
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for j < n {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != lower[j] {
				break
			}
			j++
		}
		if j == n {
			return true
		}
	}
	return false
}
