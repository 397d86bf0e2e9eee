package agent

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/tocsin/tocsin/internal/config"
)

// Assignment is what an agent runs, as GET /api/agent/v1/assignment
// answers it. Config is a config file with only a monitors section: the
// agent reads it with the same loader and probe kinds as the server, so a
// monitor runs alike on both.
type Assignment struct {
	Agent    string `json:"agent"`
	Location string `json:"location"`
	// Version changes whenever Config does; it is also the ETag.
	Version string `json:"version"`
	Config  string `json:"config"`
	// Monitors lists the ids in Config.
	Monitors []string `json:"monitors"`
}

// Assigned lists the monitors agent id at location loc runs: those that
// name the agent and those that run from its location.
func Assigned(cfg *config.Config, id, loc string) []config.Monitor {
	var out []config.Monitor
	for _, m := range cfg.Monitors {
		if m.Agent == id || (loc != cfg.Server.Home() && m.RunsAt(loc, cfg.Server.Home())) {
			out = append(out, m)
		}
	}
	return out
}

// BuildAssignment writes the assignment of agent id at loc from cfg.
// Where the monitor runs, its service and its channels are the server's
// business and are left out.
func BuildAssignment(cfg *config.Config, id, loc string) (Assignment, error) {
	a := Assignment{Agent: id, Location: loc, Monitors: []string{}}
	var list []map[string]any
	for _, m := range Assigned(cfg, id, loc) {
		m.Agent, m.Locations, m.Service, m.Channels, m.Raw, m.DownWhen = "", nil, "", nil, nil, config.DownWhen{}
		fields, err := config.MonitorFields(m)
		if err != nil {
			return a, err
		}
		for _, k := range []string{"agent", "locations", "service", "channels", "down_when", "tags"} {
			delete(fields, k)
		}
		list = append(list, fields)
		a.Monitors = append(a.Monitors, m.ID)
	}
	doc := map[string]any{"monitors": list}
	if list == nil {
		doc["monitors"] = []any{}
	}
	b, err := yaml.Marshal(doc)
	if err != nil {
		return a, fmt.Errorf("assignment of agent %q: %w", id, err)
	}
	a.Config = string(b)
	sum := sha256.Sum256(append([]byte(id+"\x00"+loc+"\x00"), b...))
	a.Version = hex.EncodeToString(sum[:12])
	return a, nil
}
