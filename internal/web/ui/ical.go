package ui

import (
	"fmt"
	"net/http"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// The window of shifts a feed carries: a week back, so the past week stays
// in people's calendars, and eight weeks ahead, past the end of most
// rotas' next cycle.
const (
	feedBack  = 7 * 24 * time.Hour
	feedAhead = 8 * 7 * 24 * time.Hour
)

// feedRefresh is how often a feed asks calendar applications to read it
// again; many poll on their own schedule anyway.
const feedRefresh = "PT1H"

// handlePersonFeed serves "/people/{id}/shifts.ics": one person's shifts in
// every schedule, read with a person token and no login.
func (s *UI) handlePersonFeed(w http.ResponseWriter, r *http.Request) {
	s.serveFeed(w, r, store.CalendarPerson, r.PathValue("id"))
}

// serveFeed answers a feed request: the token must open this very feed.
// Refusals are plain text: a calendar application shows them, if anything.
func (s *UI) serveFeed(w http.ResponseWriter, r *http.Request, kind, subject string) {
	tok, err := webcore.CalendarTokenFor(r, s.d.Store, kind, subject)
	if err != nil {
		s.feedError(w, r, err)
		return
	}
	now := s.d.Now()
	var cal *ics.Calendar
	switch kind {
	case store.CalendarSchedule:
		info, ok := s.d.Schedules.Get(subject)
		if !ok {
			s.feedError(w, r, errs.Errorf(errs.ENOTFOUND, "no such calendar feed, or its token was revoked"))
			return
		}
		cal = s.scheduleCalendar(info, now)
	default:
		cal = s.personCalendar(subject, now)
	}
	if err := webcore.TouchCalendarToken(r, s.d.Store, tok, now); err != nil {
		// The feed is still good; only its "last used" is stale.
		s.d.Logger.Warn("recording a calendar feed read", "token", tok.ID, "err", err)
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Cache-Control", "private, max-age=300")
	w.Header().Set("Content-Disposition", `inline; filename="`+kind+`.ics"`)
	// RFC 5545 lines end in CRLF whatever the platform; the library folds
	// them at 75 octets without splitting a character.
	_ = cal.SerializeTo(w, ics.WithNewLineWindows)
}

func (s *UI) feedError(w http.ResponseWriter, r *http.Request, err error) {
	switch errs.Code(err) {
	case errs.EUNAUTHORIZED:
		http.Error(w, errs.Message(err), http.StatusUnauthorized)
	case errs.ENOTFOUND:
		http.Error(w, errs.Message(err), http.StatusNotFound)
	default:
		s.d.Logger.Error("serving a calendar feed", "path", r.URL.Path, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
}

// feedWindow is the window of a feed read at now. It starts at a UTC
// midnight so the first shift's start, and with it its UID, changes once
// a day rather than on every read.
func feedWindow(now time.Time) (from, to time.Time) {
	from = now.Add(-feedBack).UTC().Truncate(24 * time.Hour)
	return from, now.Add(feedAhead)
}

func newCalendar(name, desc string) *ics.Calendar {
	cal := ics.NewCalendarFor("Tocsin")
	cal.SetProductId("-//Tocsin//On-call schedules//EN")
	cal.SetMethod(ics.MethodPublish)
	cal.SetName(name)
	cal.SetXWRCalName(name)
	cal.SetDescription(desc)
	cal.SetXWRCalDesc(desc)
	cal.SetRefreshInterval(feedRefresh)
	cal.SetXPublishedTTL(feedRefresh)
	return cal
}

// addEvent adds one shift or gap. UID is stable for the same stretch, so
// a calendar application updates events rather than duplicating them.
func addEvent(cal *ics.Calendar, uid string, from, to, now time.Time, summary, desc string) {
	e := cal.AddEvent(uid)
	e.SetDtStampTime(now)
	e.SetStartAt(from)
	e.SetEndAt(to)
	e.SetSummary(summary)
	e.SetDescription(desc)
	e.SetTimeTransparency(ics.TransparencyTransparent)
}

// scheduleCalendar is the feed of a schedule: every shift and every gap.
func (s *UI) scheduleCalendar(info webcore.ScheduleInfo, now time.Time) *ics.Calendar {
	name := info.Name()
	cal := newCalendar("On call: "+name, fmt.Sprintf("Who is on call in the schedule %s (%s), from Tocsin.", name, info.Config.Timezone))
	from, to := feedWindow(now)
	for _, sh := range info.Shifts(from, to) {
		who := webcore.PersonName(s.d.Runtime, sh.Person)
		summary := who + " on call"
		if sh.Override {
			summary += " (override)"
		}
		addEvent(cal, fmt.Sprintf("%s-%s-%d@tocsin", info.Config.ID, sh.Person, sh.From.Unix()), sh.From, sh.To, now, summary,
			fmt.Sprintf("%s is on call in the schedule %s (%s).", who, name, info.Config.Timezone))
	}
	for _, g := range info.Gaps(from, to) {
		addEvent(cal, fmt.Sprintf("%s-gap-%d@tocsin", info.Config.ID, g.From.Unix()), g.From, g.To, now, "Nobody on call",
			fmt.Sprintf("Nobody is on call in the schedule %s (%s).", name, info.Config.Timezone))
	}
	return cal
}

// personCalendar is the feed of one person's shifts in every schedule.
func (s *UI) personCalendar(person string, now time.Time) *ics.Calendar {
	who := webcore.PersonName(s.d.Runtime, person)
	cal := newCalendar("On call: "+who, fmt.Sprintf("The on-call shifts of %s in every schedule, from Tocsin.", who))
	from, to := feedWindow(now)
	for _, ps := range s.d.Schedules.PersonShifts(person, from, to) {
		name := ps.Schedule.Name()
		summary := "On call: " + name
		if ps.Override {
			summary += " (override)"
		}
		addEvent(cal, fmt.Sprintf("%s-%s-%d@tocsin", ps.Schedule.Config.ID, person, ps.From.Unix()), ps.From, ps.To, now, summary,
			fmt.Sprintf("%s is on call in the schedule %s (%s).", who, name, ps.Schedule.Config.Timezone))
	}
	return cal
}
