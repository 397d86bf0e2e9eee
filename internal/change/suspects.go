// Package change answers three questions from the catalog, as pure
// functions: which recorded changes may have caused a problem (Suspects),
// what breaks when a host, a component or a service goes (Impact), and
// which services are watched only for being up, or would page nobody
// (Coverage). It reads the catalog and the configuration it is handed and
// keeps nothing; the store keeps the change events, the web and the
// command line show the answers.
package change

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/store"
)

// SuspectWindow is how far before a problem began a change counts as a
// suspect: a day covers the change made in the evening that breaks the
// first run of the night's jobs.
const SuspectWindow = 24 * time.Hour

// Suspect is a change that touched something a problem depends on.
type Suspect struct {
	Change store.Change
	// Touches lists what of the problem's scope the change names: service
	// ids, "host:ID" and "component:ID", in the change's order.
	Touches []string
}

// Scope returns the services and everything they depend on, directly or
// through other services: the services first, then their dependencies,
// nearest first, each once. Unknown services are kept (a change may name
// them) but add no dependencies.
func Scope(c *catalog.Catalog, services []string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(e string) {
		if e != "" && !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	for _, s := range services {
		add(s)
	}
	for _, s := range services {
		for _, d := range c.AllDependencies(s) {
			add(d)
		}
	}
	return out
}

// Suspects returns the changes made in the SuspectWindow before start (at
// start itself included) that touch the scope, the services of a problem
// and their transitive dependencies as Scope returns them. A change
// touches the scope through a service it names, or through a component it
// names: "host:ID" and "component:ID" as written, and a free name equal to
// the id of a host or component of the scope ("fw1" for "host:fw1").
// Newest change first; a change made after start is never a suspect.
func Suspects(changes []store.Change, scope []string, start time.Time) []Suspect {
	in := make(map[string]bool, len(scope))
	bare := map[string]string{}
	for _, e := range scope {
		in[e] = true
		if kind, id := config.ParseDependency(e); kind != config.DependService {
			if _, dup := bare[id]; !dup {
				bare[id] = e
			}
		}
	}
	from := start.Add(-SuspectWindow)
	var out []Suspect
	for _, ch := range changes {
		if ch.Time.Before(from) || ch.Time.After(start) {
			continue
		}
		var touches []string
		add := func(e string) {
			if !slices.Contains(touches, e) {
				touches = append(touches, e)
			}
		}
		for _, s := range ch.Services {
			if kind, _ := config.ParseDependency(s); kind == config.DependService && in[s] {
				add(s)
			}
		}
		for _, comp := range ch.Components {
			switch {
			case in[comp] && strings.Contains(comp, ":"):
				add(comp)
			case bare[comp] != "":
				add(bare[comp])
			}
		}
		if len(touches) > 0 {
			out = append(out, Suspect{Change: ch, Touches: touches})
		}
	}
	slices.SortStableFunc(out, func(a, b Suspect) int {
		if c := b.Change.Time.Compare(a.Change.Time); c != 0 {
			return c
		}
		return cmp.Compare(b.Change.ID, a.Change.ID)
	})
	return out
}
