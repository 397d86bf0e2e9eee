package config

import (
	"fmt"
	"regexp"
)

// reStatusSlug is what a status page's slug may be: it becomes a URL path
// segment, so nothing that needs escaping.
var reStatusSlug = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,62})$`)

// validateStatusPages fills in each page's slug and title, then checks the
// pages: unique ids and slugs, slugs fit for a URL, and components that
// name defined services.
func (l *loader) validateStatusPages(cfg *Config, services map[string]string) {
	for i := range cfg.StatusPages {
		p := &cfg.StatusPages[i]
		if p.Slug == "" {
			p.Slug = p.ID
		}
		if p.Title == "" {
			p.Title = p.ID
		}
	}
	l.ids("status_pages", len(cfg.StatusPages), func(i int) string { return cfg.StatusPages[i].ID }, nil)
	slugs := map[string]string{}
	for i := range cfg.StatusPages {
		p := &cfg.StatusPages[i]
		path := fmt.Sprintf("status_pages[%d]", i)
		switch first, dup := slugs[p.Slug]; {
		case p.Slug == "":
		case !reStatusSlug.MatchString(p.Slug):
			l.errAt(path+".slug", "invalid slug %q: use lowercase letters, digits and '-', at most 63 characters, starting with a letter or digit", p.Slug)
		case dup:
			l.errAt(path+".slug", "duplicate slug %q: %s has it too", p.Slug, l.at(parentPath(first), first, path))
		default:
			slugs[p.Slug] = path + ".slug"
		}
		l.freeText(path+".title", p.Title, maxFreeTxt)
		l.freeText(path+".description", p.Description, maxRunbook)
		l.validateStatusSubscriptions(cfg, p.Subscriptions, subscriptionsPath(i))
		if len(p.Components) == 0 {
			l.errAt(path+".components", "a status page needs at least one component")
		}
		names := map[string]bool{}
		for j := range p.Components {
			c := &p.Components[j]
			cp := fmt.Sprintf("%s.components[%d]", path, j)
			switch {
			case c.Service != "" && len(c.Services) > 0:
				l.errAt(cp, "write either service: ID or name with services: [...], not both")
				continue
			case c.Service != "":
				if _, ok := services[c.Service]; !ok {
					l.errAt(cp+".service", "undefined service %q", c.Service)
				}
			case len(c.Services) > 0:
				if c.Name == "" {
					l.errAt(cp+".name", "name is required for a component of several services")
				}
				l.refs(cp+".services", c.Services, "service", services, nil)
			default:
				l.errAt(cp, "a component needs service: ID, or name with services: [...]")
				continue
			}
			l.freeText(cp+".name", c.Name, maxFreeTxt)
			key := c.Name
			if key == "" {
				key = "service:" + c.Service
			}
			if names[key] {
				l.errAt(cp, "the page shows this component twice")
			}
			names[key] = true
		}
	}
}
