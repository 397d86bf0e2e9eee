package config

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// validateAgents checks the agents section: ids well formed and unique,
// locations well formed, each token file readable and not empty (its
// content is read again by the server at start and on every reload), and
// the agent_silent_after limit.
func (l *loader) validateAgents(cfg *Config) {
	if d := cfg.Server.AgentSilentAfter.D(); d < 0 || (d > 0 && d < 5e9) {
		l.errAt("server.agent_silent_after", "must be 5s or more, not %s", d)
	}
	if loc := cfg.Server.Location; loc != "" && !reID.MatchString(loc) {
		l.errAt("server.location", "invalid location %q: it must match %s", loc, idPattern)
	}
	l.ids("agents", len(cfg.Agents), func(i int) string { return cfg.Agents[i].ID }, nil)
	for i := range cfg.Agents {
		a := &cfg.Agents[i]
		p := fmt.Sprintf("agents[%d]", i)
		if a.Location != "" && !reID.MatchString(a.Location) {
			l.errAt(p+".location", "invalid location %q: it must match %s", a.Location, idPattern)
		} else if a.AgentLocation() == cfg.Server.Home() {
			l.errAt(p+".location", "location %q is the server's own (server.location); an agent runs at another", a.AgentLocation())
		}
		if a.TokenFile == "" {
			l.errAt(p+".token_file", "token_file is required: a file holding the agent's token or its SHA-256 hash in hex")
			continue
		}
		a.TokenFile = l.resolve(a.TokenFile)
		data, err := readLimited(a.TokenFile)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			l.errAt(p+".token_file", "cannot read %s: %v", a.TokenFile, err)
			continue
		}
		if strings.TrimSpace(string(data)) == "" {
			l.errAt(p+".token_file", "%s is empty", a.TokenFile)
		}
	}
	for i := range cfg.Monitors {
		if id := cfg.Monitors[i].Agent; id != "" && !reID.MatchString(id) {
			l.errAt(fmt.Sprintf("monitors[%d].agent", i), "invalid agent id %q: it must match %s", id, idPattern)
		}
	}
}

// AgentLocation is where the agent runs: its Location, else its id.
func (a Agent) AgentLocation() string {
	if a.Location != "" {
		return a.Location
	}
	return a.ID
}
