package config

import (
	"fmt"
	"strings"
)

// validateLocations checks a monitor's agent, locations and down_when
// together: locations are names like ids, each listed once; a quorum of
// at least N cannot ask for more locations than the monitor runs from;
// and a host check, which runs on its agent's host, has no locations.
func (l *loader) validateLocations(m *Monitor, path string) {
	if m.Agent != "" {
		// The agent id itself is checked with the agents.
		if len(m.Locations) > 0 {
			l.errAt(path+".locations", "a host check runs on its agent's host; it has no locations (remove `locations` or `agent`)")
		}
		if m.DownWhen.Mode != "" {
			l.errAt(path+".down_when", "a host check runs on its agent's host; it has no locations to count (remove `down_when`)")
		}
		return
	}
	seen := make(map[string]bool, len(m.Locations))
	for i, loc := range m.Locations {
		p := fmt.Sprintf("%s.locations[%d]", path, i)
		if !reID.MatchString(loc) {
			l.errAt(p, "invalid location %q: it must match %s (lowercase letters, digits, '_', '.' and '-', at most 63 characters, starting with a letter or digit)", loc, idPattern)
			continue
		}
		if seen[loc] {
			l.errAt(p, "location %q is listed twice", loc)
		}
		seen[loc] = true
	}
	where := m.Where("the server")
	if n := len(where); m.DownWhen.Mode == DownWhenAtLeast && m.DownWhen.AtLeast > n {
		l.errAt(path+".down_when", "down_when at_least %d is more than the %d location(s) the monitor runs from (%s)",
			m.DownWhen.AtLeast, n, strings.Join(where, ", "))
	}
}
