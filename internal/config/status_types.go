package config

// StatusPage is a public page at /status/{slug}, without a login, that
// shows the state of chosen services to customers (docs/status-pages.md).
// Only what is named here is shown: component names and states, never
// monitors, targets, failure reasons or people.
type StatusPage struct {
	// ID names the page in the API and the admin pages.
	ID string `yaml:"id"`
	// Slug is the page's path segment: /status/{slug}. Lowercase letters,
	// digits and '-'. Default: the id.
	Slug string `yaml:"slug"`
	// Title heads the page and its feeds. Default: the id.
	Title string `yaml:"title"`
	// Description is a short public text under the title.
	Description string `yaml:"description"`
	// Components are the rows of the page, in order.
	Components []StatusComponent `yaml:"components"`
	// Subscriptions offers incident updates by email and webhook.
	Subscriptions *StatusSubscriptions `yaml:"subscriptions"`
}

// StatusComponent is one row of a status page: either one service
// (`service: ID`, named as the service unless Name is given) or a named
// group of services (`name` and `services`).
type StatusComponent struct {
	// Service is the id of the one service this row shows.
	Service string `yaml:"service"`
	// Name is the public name of the row. Required with Services.
	Name string `yaml:"name"`
	// Services are the ids of the services the row joins.
	Services []string `yaml:"services"`
}

// ServiceIDs returns the services the component shows.
func (c StatusComponent) ServiceIDs() []string {
	if c.Service != "" {
		return []string{c.Service}
	}
	return c.Services
}
