package notify

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/catalog"
)

// Text is an event told in words for channels that carry plain text (chat,
// push, SMS): a one-line title and a body of short lines.
type Text struct {
	Title string
	Body  string
}

// String is the title and the body together, as one message.
func (t Text) String() string {
	if t.Body == "" {
		return t.Title
	}
	return t.Title + "\n" + t.Body
}

// EventTest is the event of a test notification sent from a channel's page
// or the API; it is never the result of a check.
const EventTest = "channel.test"

// Render tells e in words: a title such as
// "DOWN: Website (web) — GET https://x/: 503" and a body with one
// "Label: value" line per field that is set. The fields it does not name
// itself (those added to Event later, such as an alert's ack link) are
// listed too, each under its JSON name in words, so a new field shows in
// every channel without touching this function.
func Render(e Event) Text {
	if e.Digest != nil {
		return Text{Title: "DIGEST: " + e.Reason, Body: strings.Join(DigestLines(e.Digest), "\n")}
	}
	var title strings.Builder
	title.WriteString(Label(e))
	title.WriteString(": ")
	title.WriteString(subject(e))
	if r := firstLine(e.Reason); r != "" {
		title.WriteString(" — ")
		title.WriteString(truncate(r, 160))
	}

	var b strings.Builder
	line := func(k, v string) {
		if v = strings.TrimSpace(v); v != "" {
			b.WriteString(k)
			b.WriteString(": ")
			b.WriteString(v)
			b.WriteString("\n")
		}
	}
	if e.Event == EventTest {
		b.WriteString("This is a test notification sent from Tocsin; nothing is wrong.\n")
	}
	line("Monitor", nameAndID(e.MonitorName, e.MonitorID))
	line("Service", nameAndID(e.ServiceName, e.ServiceID))
	if len(e.Owners) > 0 {
		names := make([]string, len(e.Owners))
		for i, o := range e.Owners {
			names[i] = ownerText(o)
		}
		line("Owners", strings.Join(names, ", "))
	}
	status := e.Status
	if e.PreviousStatus != "" && e.PreviousStatus != e.Status {
		status = e.PreviousStatus + " → " + e.Status
	}
	line("Status", status)
	line("Reason", e.Reason)
	if !e.Time.IsZero() {
		line("Time", e.Time.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	line("Link", e.URL)
	extraLines(e, line)
	return Text{Title: title.String(), Body: strings.TrimRight(b.String(), "\n")}
}

// rendered are the JSON names of the fields Render tells by itself, or
// leaves out (the id, the event name, which the title says).
var rendered = map[string]bool{
	"id": true, "event": true, "monitor_id": true, "monitor_name": true, "service_id": true, "service_name": true,
	"service_description": true, "owners": true, "status": true, "previous_status": true, "reason": true,
	"flapping": true, "time": true, "url": true,
}

// extraLines tells every other field of e that is set: strings, numbers,
// lists of strings and of owners, and times.
func extraLines(e Event, line func(k, v string)) {
	v := reflect.ValueOf(e)
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" || rendered[name] || !f.IsExported() {
			continue
		}
		if s := valueText(v.Field(i)); s != "" {
			line(words(name), s)
		}
	}
}

func valueText(v reflect.Value) string {
	if t, ok := v.Interface().(time.Time); ok {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	if o, ok := v.Interface().(catalog.Owner); ok {
		return ownerText(o)
	}
	switch v.Kind() {
	case reflect.String:
		return v.String()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if v.Int() == 0 {
			return ""
		}
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if v.Uint() == 0 {
			return ""
		}
		return strconv.FormatUint(v.Uint(), 10)
	case reflect.Bool:
		if v.Bool() {
			return "yes"
		}
	case reflect.Slice:
		var parts []string
		for j := range v.Len() {
			if s := valueText(v.Index(j)); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, ", ")
	case reflect.Pointer:
		if !v.IsNil() {
			return valueText(v.Elem())
		}
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return ""
		}
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		var parts []string
		for _, k := range keys {
			if s := valueText(v.MapIndex(k)); s != "" {
				parts = append(parts, k.String()+"="+s)
			}
		}
		return strings.Join(parts, ", ")
	case reflect.Interface:
		if !v.IsNil() {
			return valueText(v.Elem())
		}
	case reflect.Struct:
		if s, ok := v.Interface().(fmt.Stringer); ok {
			return s.String()
		}
		// A record such as a recipient: by its name and id.
		name, id := v.FieldByName("Name"), v.FieldByName("ID")
		n, i := "", ""
		if name.IsValid() && name.Kind() == reflect.String {
			n = name.String()
		}
		if id.IsValid() && id.Kind() == reflect.String {
			i = id.String()
		}
		return nameAndID(n, i)
	}
	return ""
}

// words turns a JSON name into a label: "ack_url" → "Ack URL".
func words(name string) string {
	parts := strings.Split(name, "_")
	for i, p := range parts {
		switch p {
		case "url", "id":
			parts[i] = strings.ToUpper(p)
		default:
			if i == 0 && p != "" {
				parts[i] = strings.ToUpper(p[:1]) + p[1:]
			}
		}
	}
	return strings.Join(parts, " ")
}

// Label is the upper-case word an event is known by in titles: DOWN, UP,
// WARNING, FLAPPING, TEST, or the last part of its name (alert.opened →
// OPENED).
func Label(e Event) string {
	switch e.Event {
	case EventMonitorDown:
		return "DOWN"
	case EventMonitorUp:
		return "UP"
	case EventMonitorWarning:
		return "WARNING"
	case EventMonitorFlapping:
		if e.Flapping {
			return "FLAPPING"
		}
		return "STOPPED FLAPPING"
	case EventTest:
		return "TEST"
	}
	s := e.Event
	if i := strings.LastIndexByte(s, '.'); i >= 0 {
		s = s[i+1:]
	}
	return strings.ToUpper(s)
}

// subject is what the event is about: the monitor, else the service.
func subject(e Event) string {
	if s := nameAndID(e.MonitorName, e.MonitorID); s != "" {
		return s
	}
	if s := nameAndID(e.ServiceName, e.ServiceID); s != "" {
		return s
	}
	return "Tocsin"
}

func nameAndID(name, id string) string {
	switch {
	case id == "":
		return name
	case name == "" || name == id:
		return id
	}
	return name + " (" + id + ")"
}

func ownerText(o catalog.Owner) string {
	s := o.Name
	if s == "" {
		s = o.ID
	}
	if o.Kind == catalog.OwnerTeam {
		return s + " (team)"
	}
	if o.Email != "" {
		s += " <" + o.Email + ">"
	}
	return s
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	return s
}

// truncate shortens s to at most n runes, marking the cut with "…".
func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// Truncate shortens s to at most n runes, marking the cut with "…"; for
// channels with a length limit (SMS).
func Truncate(s string, n int) string { return truncate(s, n) }

// Field is the value of e's field named name in the webhook payload (its
// JSON name, such as "alert_id"), in words; "" when unset or when Event has
// no such field. Channels use it for fields they treat specially but that
// may not be part of every event.
func (e Event) Field(name string) string {
	v := reflect.ValueOf(e)
	t := v.Type()
	for i := range t.NumField() {
		if n, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); n == name {
			return valueText(v.Field(i))
		}
	}
	return ""
}
