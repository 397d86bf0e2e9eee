package webcore

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/change"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// Limits of a change event, so one announcement cannot fill the database.
const (
	maxChangeTitle  = 500
	maxChangeText   = 200
	maxChangeLink   = 2000
	maxChangeTarget = 100
)

// RecordChange validates a change event announced by u and stores it:
// a title is required, services must be services of the catalog,
// components "host:ID" and "component:ID" must name a host or a component
// of it (other names are kept as written), and a link must be an http or
// https URL. The author is u's name when the change names none.
func (d Deps) RecordChange(ctx context.Context, u store.User, c store.Change) (store.Change, error) {
	c.Title, c.Author, c.Link = strings.TrimSpace(c.Title), strings.TrimSpace(c.Author), strings.TrimSpace(c.Link)
	if c.Author == "" {
		c.Author = u.Name
	}
	c.CreatedBy = u.Name
	if err := checkChange(c, d.Runtime.Catalog()); err != nil {
		return c, err
	}
	if c.Time.IsZero() {
		c.Time = d.Now()
	}
	c.Time = c.Time.UTC()
	out, err := d.Store.AddChange(ctx, c)
	if err != nil {
		return out, fmt.Errorf("storing the change: %w", err)
	}
	return out, nil
}

func checkChange(c store.Change, cat *catalog.Catalog) error {
	switch {
	case c.Title == "":
		return errs.Errorf(errs.EINVALID, "a change needs a title: what was changed, such as \"allow SFTP from the ERP network on fw1\"")
	case utf8.RuneCountInString(c.Title) > maxChangeTitle:
		return errs.Errorf(errs.EINVALID, "the title of a change is at most %d characters", maxChangeTitle)
	case utf8.RuneCountInString(c.Author) > maxChangeText:
		return errs.Errorf(errs.EINVALID, "the author of a change is at most %d characters", maxChangeText)
	case len(c.Services) > maxChangeTarget || len(c.Components) > maxChangeTarget:
		return errs.Errorf(errs.EINVALID, "a change names at most %d services and %d components", maxChangeTarget, maxChangeTarget)
	case len(c.Link) > maxChangeLink:
		return errs.Errorf(errs.EINVALID, "the link of a change is at most %d characters", maxChangeLink)
	}
	if c.Link != "" {
		u, err := url.Parse(c.Link)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errs.Errorf(errs.EINVALID, "the link of a change must be an http or https URL, not %q", c.Link)
		}
	}
	if cat == nil {
		cat = catalog.New(nil)
	}
	for _, s := range c.Services {
		if _, ok := cat.Service(s); !ok {
			return errs.Errorf(errs.EINVALID, "unknown service %q: a change names services of the configuration by id", s)
		}
	}
	for _, comp := range c.Components {
		if strings.TrimSpace(comp) == "" || utf8.RuneCountInString(comp) > maxChangeText {
			return errs.Errorf(errs.EINVALID, "a component of a change is 1 to %d characters", maxChangeText)
		}
		switch kind, id := config.ParseDependency(comp); kind {
		case config.DependHost:
			if _, ok := cat.Host(id); !ok {
				return errs.Errorf(errs.EINVALID, "unknown host %q in component %q: write a host of the configuration, or a free name without \"host:\"", id, comp)
			}
		case config.DependComponent:
			if _, ok := cat.Component(id); !ok {
				return errs.Errorf(errs.EINVALID, "unknown component %q in %q: write a component of the configuration, or a free name without \"component:\"", id, comp)
			}
		}
	}
	return nil
}

// RecentChanges returns the changes of the SuspectWindow before now that
// touch the service or anything it depends on: what the service's page
// shows as "recent changes".
func (d Deps) RecentChanges(ctx context.Context, serviceID string) ([]change.Suspect, error) {
	now := d.Now()
	cs, err := d.Store.ChangeList(ctx, store.ChangeFilter{Since: now.Add(-change.SuspectWindow), Page: store.Page{Limit: 1000}})
	if err != nil {
		return nil, fmt.Errorf("listing recent changes: %w", err)
	}
	cat := d.Runtime.Catalog()
	if cat == nil {
		cat = catalog.New(nil)
	}
	return change.Suspects(cs, change.Scope(cat, []string{serviceID}), now), nil
}

// Impact previews what depends on entry now (change.Impact).
func (d Deps) Impact(entry string) (change.ImpactReport, error) {
	cat := d.Runtime.Catalog()
	if cat == nil {
		cat = catalog.New(nil)
	}
	return change.Impact(cat, entry, d.Now())
}

// Coverage reports how the running configuration's services are
// watched now (change.Coverage).
func (d Deps) Coverage() change.Report {
	cfg, cat := d.Runtime.Config(), d.Runtime.Catalog()
	if cfg == nil {
		cfg = &config.Config{}
	}
	if cat == nil {
		cat = catalog.New(cfg)
	}
	return change.Coverage(cfg, cat, d.Kinds.ClassOf, d.Now())
}

// ChangeTime reads a change's time as the API and the forms accept it:
// RFC 3339, or empty for now.
func ChangeTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return t, errs.Errorf(errs.EINVALID, "the time of a change is RFC 3339, such as 2026-03-02T21:30:00Z, not %q", s)
	}
	return t, nil
}
