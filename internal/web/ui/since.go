package ui

import (
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"
)

// maxZoneName bounds the time zone name a viewer can send; the longest
// IANA names are about 30 characters.
const maxZoneName = 64

// zoneCookie is the cookie app.js sets to the browser's time zone.
const zoneCookie = "tz"

// viewerZone is the time zone to show times in: ?tz= when given, else the
// cookie app.js sets, else UTC. A name that is too long, holds anything
// but the characters of IANA names, or that the system does not know
// falls back to UTC; so does "Local", which would be the server's zone.
func viewerZone(r *http.Request) *time.Location {
	name := r.URL.Query().Get("tz")
	if name == "" {
		if c, err := r.Cookie(zoneCookie); err == nil {
			name = c.Value
		}
	}
	if name == "" || len(name) > maxZoneName || strings.Trim(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_+-") != "" ||
		strings.Contains(name, "..") || strings.HasPrefix(name, "/") || name == "Local" {
		return time.UTC
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return loc
}

// clock formats instants for one viewer: in their zone, with UTC beside
// it when the two differ, and how long ago.
type clock struct {
	now time.Time
	loc *time.Location
}

// at is t as a wall-clock time: "14:02 UTC", or "15:02 CET / 14:02 UTC"
// in another zone; the date is added when t is not today.
func (c clock) at(t time.Time) string {
	local, today := t.In(c.loc), c.now.In(c.loc)
	layout := "15:04 MST"
	if y, m, d := local.Date(); y != today.Year() || m != today.Month() || d != today.Day() {
		layout = "Jan 2 15:04 MST"
		if y != today.Year() {
			layout = "Jan 2 2006 15:04 MST"
		}
	}
	s := local.Format(layout)
	if c.loc.String() != "UTC" {
		s += " / " + t.UTC().Format(layout)
	}
	return s
}

// since is "14:02 UTC (37 min)": when t was and how long ago, as a
// <time> element carrying the exact instant.
func (c clock) since(t time.Time) template.HTML {
	return c.timeTag(t, c.at(t)+" ("+elapsed(c.now.Sub(t))+")")
}

// when is t as a <time> element without the elapsed part.
func (c clock) when(t time.Time) template.HTML { return c.timeTag(t, c.at(t)) }

func (c clock) timeTag(t time.Time, text string) template.HTML {
	return template.HTML(`<time datetime="` + formatISO(t) + `" title="` + formatUTC(t) + `">` + template.HTMLEscapeString(text) + `</time>`)
}

// elapsed formats a span for a person in two units at most: "37 min",
// "3 h 12 min", "2 d 4 h".
func elapsed(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	case d < 24*time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return fmt.Sprintf("%d h", h)
		}
		return fmt.Sprintf("%d h %d min", h, m)
	default:
		days, h := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
		if h == 0 {
			return fmt.Sprintf("%d d", days)
		}
		return fmt.Sprintf("%d d %d h", days, h)
	}
}
