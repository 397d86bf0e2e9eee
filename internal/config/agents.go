package config

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Home is the server's own location: Location, or LocalLocation when the
// file names none.
func (s Server) Home() string {
	if s.Location == "" {
		return LocalLocation
	}
	return s.Location
}

// LocalLocation is the default location of the server itself: monitors without
// locations run there.
const LocalLocation = "local"

// Agent is a remote agent declared in the file (docs/agents.md): it runs
// the host checks that name it (Monitor.Agent) and the network probes of
// its location (Monitor.Locations). Agents can also be created at run
// time; those live in the store.
type Agent struct {
	ID string `yaml:"id"`
	// Location names where the agent runs ("campus-internal",
	// "external-eu"); default the agent's id.
	Location string `yaml:"location"`
	// TokenFile holds the agent's token, or its SHA-256 hash in hex.
	TokenFile string `yaml:"token_file"`
}

// Quorum modes of DownWhen.
const (
	DownWhenAny     = "any"
	DownWhenAll     = "all"
	DownWhenAtLeast = "at_least"
)

// DownWhen is how many locations must fail for a monitor of several
// locations to be down: "any" (the default), "all", or {at_least: N}.
type DownWhen struct {
	Mode    string `yaml:"-"`        // DownWhenAny, DownWhenAll or DownWhenAtLeast; "" means any
	AtLeast int    `yaml:"at_least"` // with DownWhenAtLeast
}

// UnmarshalYAML reads "any", "all" or {at_least: N}.
func (d *DownWhen) UnmarshalYAML(n *yaml.Node) error {
	const want = `expected any, all or {at_least: N}, found `
	switch n.Kind {
	case yaml.ScalarNode:
		switch v := strings.TrimSpace(n.Value); v {
		case DownWhenAny, DownWhenAll:
			*d = DownWhen{Mode: v}
			return nil
		}
		return positioned(n, want+describeNode(n))
	case yaml.MappingNode:
		if len(n.Content) != 2 || n.Content[0].Value != DownWhenAtLeast {
			return positioned(n, want+describeNode(n))
		}
		v, err := strconv.Atoi(strings.TrimSpace(n.Content[1].Value))
		if err != nil || v < 1 {
			return positioned(n.Content[1], "at_least must be a whole number of locations, 1 or more, found "+describeNode(n.Content[1]))
		}
		*d = DownWhen{Mode: DownWhenAtLeast, AtLeast: v}
		return nil
	}
	return positioned(n, want+describeNode(n))
}

// MarshalYAML writes d in the form UnmarshalYAML reads.
func (d DownWhen) MarshalYAML() (any, error) {
	if d.Mode == DownWhenAtLeast {
		return map[string]int{DownWhenAtLeast: d.AtLeast}, nil
	}
	if d.Mode == "" {
		return DownWhenAny, nil
	}
	return d.Mode, nil
}

// String is "any", "all" or "at least N".
func (d DownWhen) String() string {
	switch d.Mode {
	case DownWhenAtLeast:
		return "at least " + strconv.Itoa(d.AtLeast)
	case "":
		return DownWhenAny
	}
	return d.Mode
}

// Where lists the locations the monitor runs from: its Locations, or home
// (the server's location, Server.Home) when it names none. A monitor with
// an Agent runs on that agent's host only and lists no location.
func (m Monitor) Where(home string) []string {
	if m.Agent != "" {
		return nil
	}
	if len(m.Locations) == 0 {
		return []string{home}
	}
	return m.Locations
}

// RunsAt reports whether the monitor runs from location loc, where home
// is the server's location. A monitor with an Agent runs at no location:
// the agent runs it.
func (m Monitor) RunsAt(loc, home string) bool {
	for _, l := range m.Where(home) {
		if l == loc {
			return true
		}
	}
	return false
}
