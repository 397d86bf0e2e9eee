package incident

import (
	"context"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// Declaration is an incident declared by hand.
type Declaration struct {
	Title    string
	Services []string
	Severity string
	// ReportedName and ReportedKind (customer, staff, monitor) say who
	// reported the problem, ReportedAt when; zero is now.
	ReportedName string
	ReportedKind string
	ReportedAt   time.Time
}

// Maximum lengths of what people type.
const (
	maxTitle = 300
	maxName  = 200
	maxNote  = 10000
)

// Check validates a declaration against the configured levels and the
// known services (nil accepts any), filling in the defaults: the
// configured severity, staff as reporter kind, now as report time.
func Check(d Declaration, cfg config.Incidents, services func(string) bool, now time.Time) (Declaration, error) {
	d.Title = strings.TrimSpace(d.Title)
	switch {
	case d.Title == "":
		return d, errs.Errorf(errs.EINVALID, "an incident needs a title")
	case len(d.Title) > maxTitle:
		return d, errs.Errorf(errs.EINVALID, "the title is longer than %d bytes", maxTitle)
	case len(d.ReportedName) > maxName:
		return d, errs.Errorf(errs.EINVALID, "the reporter's name is longer than %d bytes", maxName)
	}
	if d.Severity == "" {
		d.Severity = cfg.Severity
	}
	if !ValidSeverity(config.SeverityIDs(cfg.Severities), d.Severity) {
		return d, errs.Errorf(errs.EINVALID, "severity %q is not one of %s", d.Severity, strings.Join(config.SeverityIDs(cfg.Severities), ", "))
	}
	if d.ReportedKind == "" {
		d.ReportedKind = store.ReportedByStaff
	}
	switch d.ReportedKind {
	case store.ReportedByCustomer, store.ReportedByStaff, store.ReportedByMonitor:
	default:
		return d, errs.Errorf(errs.EINVALID, "reported_by kind %q is not one of customer, staff, monitor", d.ReportedKind)
	}
	if d.ReportedAt.IsZero() {
		d.ReportedAt = now
	}
	if d.ReportedAt.After(now.Add(time.Minute)) {
		return d, errs.Errorf(errs.EINVALID, "reported_at %s is in the future", d.ReportedAt.UTC().Format(time.RFC3339))
	}
	for _, s := range d.Services {
		if services != nil && !services(s) {
			return d, errs.Errorf(errs.EINVALID, "unknown service %q", s)
		}
	}
	return d, nil
}

// Declare checks a declaration and opens its incident, detected when it
// was reported.
func Declare(ctx context.Context, s store.Incidents, cfg config.Incidents, services func(string) bool, d Declaration, who string, now time.Time) (store.Incident, error) {
	d, err := Check(d, cfg, services, now)
	if err != nil {
		return store.Incident{}, err
	}
	in := store.Incident{Title: d.Title, Severity: d.Severity, Services: d.Services, OpenedAt: now, DetectedAt: d.ReportedAt,
		ReportedName: d.ReportedName, ReportedKind: d.ReportedKind, ReportedAt: d.ReportedAt, DeclaredBy: who}
	text := "declared by " + who
	if d.ReportedName != "" {
		text += ", reported by " + d.ReportedName + " (" + d.ReportedKind + ")"
	}
	entries := []store.TimelineEntry{}
	if d.ReportedAt.Before(now) {
		entries = append(entries, store.TimelineEntry{Time: d.ReportedAt, Kind: store.EntryNote, Who: who, Key: true,
			Text: "reported by " + nonEmpty(d.ReportedName, "someone") + " (" + d.ReportedKind + ")"})
	}
	entries = append(entries, store.TimelineEntry{Time: now, Kind: store.EntryDeclared, Who: who, Text: text})
	return s.OpenIncident(ctx, in, 0, entries)
}

// Note checks a person's timeline entry.
func Note(e store.TimelineEntry, now time.Time) (store.TimelineEntry, error) {
	e.Text = strings.TrimSpace(e.Text)
	if e.Text == "" {
		return e, errs.Errorf(errs.EINVALID, "a note needs text")
	}
	if len(e.Text) > maxNote {
		return e, errs.Errorf(errs.EINVALID, "a note is longer than %d bytes", maxNote)
	}
	if e.Time.IsZero() {
		e.Time = now
	}
	if e.Time.After(now.Add(time.Minute)) {
		return e, errs.Errorf(errs.EINVALID, "a note's time %s is in the future", e.Time.UTC().Format(time.RFC3339))
	}
	e.Kind = store.EntryNote
	return e, nil
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
