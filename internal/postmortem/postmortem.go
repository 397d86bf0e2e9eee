// Package postmortem writes the draft of an incident's postmortem: the
// facts the incident holds (severity, services, the measured detection
// and acknowledgement times, the timeline with its key and misleading
// entries, the changes suspected of causing it) filled into a Markdown
// template, the default one or the team's own. Draft is a pure function.
package postmortem

import (
	"cmp"
	_ "embed"
	"fmt"
	"os"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/tocsin/tocsin/internal/change"
	"github.com/tocsin/tocsin/internal/store"
)

//go:embed default.md.tmpl
var defaultTemplate string

// Data is what a template sees (docs/postmortems.md lists every field).
type Data struct {
	ID       int64
	Title    string
	State    string
	Severity Severity
	Services []string
	// Start is when the problem began (the first failure), End when the
	// incident was resolved (zero while it is not), Duration between them.
	Start, End time.Time
	Duration   time.Duration
	Detection  Detection
	Timeline   []Entry
	// Misleading are the timeline entries marked as misleading paths.
	Misleading []Entry
	Suspects   []Suspect
	// Actions are the incident's follow-up actions, oldest first; set
	// with WithActions.
	Actions []Action
	// Generated is when the draft was written.
	Generated time.Time
}

// Severity is the incident's level.
type Severity struct{ ID, Name, Description string }

// Detection says how the problem became known and how long it took.
type Detection struct {
	// How is monitor, customer or staff; By names the monitor or person.
	How, By string
	// FirstFailure is when the problem began, Detected when it was known
	// (the incident opened or was reported), Acknowledged when a
	// responder took it (zero if never).
	FirstFailure, Detected, Acknowledged time.Time
	// ToDetect and ToAcknowledge are measured from FirstFailure;
	// Acknowledged is false when nobody acknowledged.
	ToDetect, ToAcknowledge time.Duration
	WasAcknowledged         bool
}

// Entry is one timeline line.
type Entry struct {
	Time            time.Time
	Kind, Text, Who string
	Key, Misleading bool
}

// Suspect is a change made shortly before the incident to something it
// depends on.
type Suspect struct {
	Time                time.Time
	Title, Author, Link string
	Touches             []string
}

// Action is one follow-up action of the incident. Due is its due date
// (YYYY-MM-DD, "" for none) in Timezone.
type Action struct {
	ID                                                        int64
	Title, Owner, Due, Timezone, Priority, Type, Status, Link string
}

// WithActions returns d listing the follow-up actions fs (in any order:
// they are listed oldest first).
func (d Data) WithActions(fs []store.FollowUp) Data {
	d.Actions = make([]Action, 0, len(fs))
	for _, f := range fs {
		d.Actions = append(d.Actions, Action{ID: f.ID, Title: f.Title, Owner: f.Owner, Due: f.Due, Timezone: f.Timezone,
			Priority: f.Priority, Type: f.Type, Status: f.Status, Link: f.Link})
	}
	slices.SortFunc(d.Actions, func(a, b Action) int { return cmp.Compare(a.ID, b.ID) })
	return d
}

// Build collects the facts of an incident (read with its timeline) and
// the suspects of it (change.Suspects with the incident's start).
func Build(in store.Incident, sev Severity, suspects []change.Suspect, now time.Time) Data {
	d := Data{ID: in.ID, Title: in.Title, State: in.State, Severity: sev, Services: in.Services, Generated: now.UTC()}
	if d.Severity.ID == "" {
		d.Severity = Severity{ID: in.Severity, Name: in.Severity}
	}
	first := Start(in)
	d.Start = first.UTC()
	if !in.ResolvedAt.IsZero() {
		d.End = in.ResolvedAt.UTC()
		d.Duration = in.ResolvedAt.Sub(first)
	}
	det := Detection{How: in.ReportedKind, By: in.ReportedName, FirstFailure: first.UTC()}
	det.Detected = in.OpenedAt
	if !in.ReportedAt.IsZero() && in.ReportedAt.After(first) && in.ReportedAt.Before(det.Detected) {
		det.Detected = in.ReportedAt
	}
	if det.Detected.Before(first) {
		det.Detected = first
	}
	det.Detected = det.Detected.UTC()
	det.ToDetect = det.Detected.Sub(first)
	if !in.AcknowledgedAt.IsZero() {
		det.WasAcknowledged = true
		det.Acknowledged = in.AcknowledgedAt.UTC()
		det.ToAcknowledge = in.AcknowledgedAt.Sub(first)
	}
	d.Detection = det
	for _, e := range in.Timeline {
		x := Entry{Time: e.Time.UTC(), Kind: e.Kind, Text: e.Text, Who: e.Who, Key: e.Key, Misleading: e.Misleading}
		d.Timeline = append(d.Timeline, x)
		if e.Misleading {
			d.Misleading = append(d.Misleading, x)
		}
	}
	for _, s := range suspects {
		d.Suspects = append(d.Suspects, Suspect{Time: s.Change.Time.UTC(), Title: s.Change.Title, Author: s.Change.Author,
			Link: s.Change.Link, Touches: s.Touches})
	}
	return d
}

// Start returns when an incident's problem began: the first failure
// (DetectedAt), else when it opened.
func Start(in store.Incident) time.Time {
	if !in.DetectedAt.IsZero() && (in.OpenedAt.IsZero() || in.DetectedAt.Before(in.OpenedAt)) {
		return in.DetectedAt
	}
	return in.OpenedAt
}

// funcs are the helpers a template may call.
var funcs = template.FuncMap{
	"utc":      func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") },
	"duration": formatDuration,
	"cell":     cell,
	"join":     strings.Join,
}

// formatDuration writes a duration to the second, or to the tenth of a
// second under ten seconds (detection by monitoring is often that fast);
// "0s" for none.
func formatDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	if d < 10*time.Second {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// cell makes text safe inside one Markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "\r", "")
	s = strings.ReplaceAll(s, "\n", " ")
	return strings.ReplaceAll(s, "|", `\|`)
}

// Template is a parsed postmortem template.
type Template struct{ t *template.Template }

// Default returns the built-in template.
func Default() *Template {
	return &Template{t: template.Must(template.New("postmortem").Funcs(funcs).Parse(defaultTemplate))}
}

// Parse parses a template's text; name says where it came from in errors.
func Parse(name, text string) (*Template, error) {
	t, err := template.New(name).Funcs(funcs).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("postmortem template: %w", err)
	}
	return &Template{t: t}, nil
}

// Load reads and parses a template file; an empty path is the default.
func Load(path string) (*Template, error) {
	if path == "" {
		return Default(), nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("postmortem template: %w", err)
	}
	return Parse(path, string(b))
}

// Draft writes the Markdown of a postmortem draft.
func (t *Template) Draft(d Data) (string, error) {
	var b strings.Builder
	if err := t.t.Execute(&b, d); err != nil {
		return "", fmt.Errorf("postmortem template: %w", err)
	}
	return b.String(), nil
}
