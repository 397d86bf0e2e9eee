package webcore

import (
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
	// Search, when not blank, lets through only the monitors that hold
	// it, in any case, in one of their SearchFields or in the name
	// ServiceName gives their service.
	Search string
	// ServiceName names a service id as the page shows it, for Search;
	// nil names it by its id. The runtime calls it holding its lock, once
	// per service: it must be quick and call nothing of the runtime.
	ServiceName func(id string) string
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

// SearchFields returns what a monitor search (MonitorQuery.Search) looks
// in besides the service's name: a monitor's id, name, type and target as
// Target describes it. The runtime keeps them, lower-cased, for every
// monitor, so that a search costs no description per request.
func SearchFields(k Kinds) func(*config.Monitor) []string {
	return func(m *config.Monitor) []string { return []string{m.ID, m.Name, m.Type, Target(k, m)} }
}
