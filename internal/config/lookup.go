package config

// Monitor returns the monitor with the given id.
func (c *Config) Monitor(id string) (*Monitor, bool) {
	for i := range c.Monitors {
		if c.Monitors[i].ID == id {
			return &c.Monitors[i], true
		}
	}
	return nil, false
}

// Service returns the service with the given id.
func (c *Config) Service(id string) (*Service, bool) {
	for i := range c.Services {
		if c.Services[i].ID == id {
			return &c.Services[i], true
		}
	}
	return nil, false
}

// Channel returns the channel with the given id.
func (c *Config) Channel(id string) (*Channel, bool) {
	for i := range c.Channels {
		if c.Channels[i].ID == id {
			return &c.Channels[i], true
		}
	}
	return nil, false
}

// Person returns the person with the given id.
func (c *Config) Person(id string) (*Person, bool) {
	for i := range c.People {
		if c.People[i].ID == id {
			return &c.People[i], true
		}
	}
	return nil, false
}

// Team returns the team with the given id.
func (c *Config) Team(id string) (*Team, bool) {
	for i := range c.Teams {
		if c.Teams[i].ID == id {
			return &c.Teams[i], true
		}
	}
	return nil, false
}

// ChannelsFor returns the ids of the channels notified about m: its
// service's channels, then its own, each once, in that order.
func (c *Config) ChannelsFor(m *Monitor) []string {
	var out []string
	seen := make(map[string]bool)
	add := func(ids []string) {
		for _, id := range ids {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	if m.Service != "" {
		if s, ok := c.Service(m.Service); ok {
			add(s.Channels)
		}
	}
	add(m.Channels)
	return out
}

// Recipients returns the addresses an email channel sends to: its to list,
// then its people's addresses, then its teams' members' addresses, each
// once, in that order. People without an address are skipped.
func (e *EmailConfig) Recipients(c *Config) []string {
	var out []string
	seen := make(map[string]bool)
	add := func(addr string) {
		if addr != "" && !seen[addr] {
			seen[addr] = true
			out = append(out, addr)
		}
	}
	for _, to := range e.To {
		add(to)
	}
	person := func(id string) {
		if p, ok := c.Person(id); ok {
			add(p.Email)
		}
	}
	for _, id := range e.People {
		person(id)
	}
	for _, tid := range e.Teams {
		if t, ok := c.Team(tid); ok {
			for _, id := range t.Members {
				person(id)
			}
		}
	}
	return out
}
