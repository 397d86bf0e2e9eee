package ui

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/oncall"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// memberColours is how many colours the calendar gives members; the
// stylesheet has classes m0 … m7, and the ninth member shares the first's.
const memberColours = 8

// maxListedGaps is how many gaps of a schedule the list spells out; the
// rest are counted.
const maxListedGaps = 3

// scheduleRow is one schedule on the list page.
type scheduleRow struct {
	ID, Name, Timezone string
	Err                error
	OnCall             []string // names
	NextAt             string
	Next               []string
	NextNobody         bool
	Gaps               []string // described in the schedule's zone
	MoreGaps           int
	GapTime            string
}

// personFeed is a person and their calendar tokens, on the list page.
type personFeed struct {
	ID, Name string
	Tokens   []store.CalendarToken
}

type schedulesData struct {
	Schedules []scheduleRow
	People    []personFeed
	// NewFeed is the address of a feed token just created, shown once.
	NewFeed, NewFeedFor string
	Zone                string
}

// refresh keeps "on call now" current while the list is open; it also
// loads the script that tells the server the viewer's time zone.
func (schedulesData) refresh() bool { return true }

func (s *UI) names(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = webcore.PersonName(s.d.Runtime, id)
	}
	return out
}

// handleSchedules renders "/schedules": every schedule with who is on call
// now and next, the gaps of the next 14 days, and the people's own feeds.
func (s *UI) handleSchedules(w http.ResponseWriter, r *http.Request, u store.User) error {
	return s.renderSchedules(w, r, u, schedulesData{})
}

func (s *UI) renderSchedules(w http.ResponseWriter, r *http.Request, u store.User, data schedulesData) error {
	now := s.d.Now()
	c := clock{now: now, loc: viewerZone(r)}
	data.Zone = c.loc.String()
	var people []string
	for _, sum := range s.d.Schedules.Summaries(now) {
		row := scheduleRow{ID: sum.Config.ID, Name: sum.Name(), Timezone: sum.Config.Timezone, Err: sum.Err, OnCall: s.names(sum.OnCall)}
		if !sum.NextAt.IsZero() {
			row.NextAt = c.at(sum.NextAt)
			row.Next = s.names(sum.Next)
			row.NextNobody = len(sum.Next) == 0
		}
		loc := sum.Schedule.Loc
		if loc == nil {
			loc = time.UTC
		}
		for i, g := range sum.Gaps {
			if i == maxListedGaps {
				row.MoreGaps = len(sum.Gaps) - maxListedGaps
				break
			}
			row.Gaps = append(row.Gaps, g.Describe(loc))
		}
		if sum.GapSeconds > 0 {
			row.GapTime = elapsed(time.Duration(sum.GapSeconds) * time.Second)
		}
		data.Schedules = append(data.Schedules, row)
		for _, m := range sum.Members {
			if !slices.Contains(people, m) {
				people = append(people, m)
			}
		}
	}
	toks, err := s.d.Store.CalendarTokens(r.Context(), "", "")
	if err != nil {
		return fmt.Errorf("listing calendar tokens: %w", err)
	}
	for _, p := range people {
		f := personFeed{ID: p, Name: webcore.PersonName(s.d.Runtime, p)}
		for _, t := range toks {
			if t.Kind == store.CalendarPerson && t.Subject == p {
				f.Tokens = append(f.Tokens, t)
			}
		}
		data.People = append(data.People, f)
	}
	s.Render(w, r, http.StatusOK, "schedules.html", &u, "Schedules", data)
	return nil
}

// calendarBar is one coloured bar of a day: a shift, an override or a gap.
type calendarBar struct {
	Person, Name string
	Colour       int
	Override     bool
	Gap          bool
	From, To     string // local wall times, "24:00" for a shift running past midnight
	Start, End   time.Time
	// X and W place the bar on the day's timeline, in percent of the day.
	X, W string
}

type calendarDay struct {
	Date    time.Time
	Label   string
	Other   bool // outside the month shown
	Today   bool
	Bars    []calendarBar
	HasGap  bool
	Weekend bool
}

type legendEntry struct {
	ID, Name string
	Colour   int
}

type scheduleData struct {
	ID, Name, Timezone string
	Err                error
	View               string // "month" or "week"
	Title              string
	Weeks              [][]calendarDay
	PrevURL, NextURL   string
	TodayURL           string
	OtherViewURL       string
	Zone               string
	SameZone           bool
	ScheduleZoneURL    string
	Legend             []legendEntry
	OnCall             []string
	Tokens             []store.CalendarToken
	NewFeed            string
	FeedPath           string
}

// script loads the page script, which tells the server the viewer's time
// zone, so the calendar shows their hours.
func (scheduleData) script() bool { return true }

// handleScheduleOrFeed serves "/schedules/{id}": the calendar page behind
// the login, or, for "/schedules/{id}.ics", the schedule's iCal feed,
// which a calendar application reads with its token and no login.
func (s *UI) handleScheduleOrFeed(page http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id, ok := strings.CutSuffix(r.PathValue("id"), ".ics"); ok {
			s.serveFeed(w, r, store.CalendarSchedule, id)
			return
		}
		page.ServeHTTP(w, r)
	})
}

// handleSchedule renders the calendar of one schedule.
func (s *UI) handleSchedule(w http.ResponseWriter, r *http.Request, u store.User) error {
	return s.renderSchedule(w, r, u, "")
}

func (s *UI) renderSchedule(w http.ResponseWriter, r *http.Request, u store.User, newFeed string) error {
	id := r.PathValue("id")
	info, ok := s.d.Schedules.Get(id)
	if !ok {
		return errs.Errorf(errs.ENOTFOUND, "There is no schedule %q.", id)
	}
	now := s.d.Now()
	loc := viewerZone(r)
	q := r.URL.Query()
	view := "month"
	if q.Get("view") == "week" {
		view = "week"
	}
	anchor := now.In(loc)
	if f := q.Get("from"); f != "" {
		d, err := time.ParseInLocation(time.DateOnly, f, loc)
		if err != nil || d.Year() < 2000 || d.Year() > 2100 {
			return errs.Errorf(errs.EINVALID, "from must be a date such as %s between the years 2000 and 2100, not %q", now.In(loc).Format(time.DateOnly), f)
		}
		anchor = d
	}
	data := scheduleData{ID: info.Config.ID, Name: info.Name(), Timezone: info.Config.Timezone, Err: info.Err, View: view, Zone: loc.String(),
		FeedPath: webcore.ScheduleFeedPath(info.Config.ID), NewFeed: newFeed}
	data.SameZone = data.Zone == info.Config.Timezone
	colour := map[string]int{}
	for i, m := range info.Members {
		colour[m] = i % memberColours
		data.Legend = append(data.Legend, legendEntry{ID: m, Name: webcore.PersonName(s.d.Runtime, m), Colour: i % memberColours})
	}
	data.OnCall = s.names(oncall.OnCall(info.Schedule, now))

	var first, last time.Time // the days shown: [first, last)
	var prev, next time.Time
	if view == "week" {
		first = startOfWeek(anchor)
		last = first.AddDate(0, 0, 7)
		prev, next = first.AddDate(0, 0, -7), last
		data.Title = first.Format("Mon 2 Jan") + " – " + last.AddDate(0, 0, -1).Format("Mon 2 Jan 2006")
	} else {
		month := time.Date(anchor.Year(), anchor.Month(), 1, 0, 0, 0, 0, loc)
		first = startOfWeek(month)
		last = startOfWeek(month.AddDate(0, 1, 0).Add(-time.Nanosecond))
		last = last.AddDate(0, 0, 7)
		prev, next = month.AddDate(0, -1, 0), month.AddDate(0, 1, 0)
		data.Title = month.Format("January 2006")
		anchor = month
	}
	link := func(v string, from time.Time) string {
		return fmt.Sprintf("/schedules/%s?view=%s&from=%s", url.PathEscape(info.Config.ID), v, from.Format(time.DateOnly))
	}
	data.PrevURL, data.NextURL = link(view, prev), link(view, next)
	data.TodayURL = "/schedules/" + url.PathEscape(info.Config.ID) + "?view=" + view
	if view == "week" {
		data.OtherViewURL = link("month", anchor)
	} else {
		data.OtherViewURL = link("week", anchor)
	}
	data.ScheduleZoneURL = link(view, anchor) + "&tz=" + url.QueryEscape(info.Config.Timezone)

	shifts := info.Shifts(first, last)
	gaps := info.Gaps(first, last)
	today := now.In(loc)
	var week []calendarDay
	for d := first; d.Before(last); d = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc) {
		end := time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc)
		day := calendarDay{Date: d, Label: d.Format("2"), Weekend: d.Weekday() == time.Saturday || d.Weekday() == time.Sunday,
			Today: d.Year() == today.Year() && d.YearDay() == today.YearDay()}
		if view == "month" {
			day.Other = d.Month() != anchor.Month()
			if d.Day() == 1 {
				day.Label = d.Format("2 Jan")
			}
		} else {
			day.Label = d.Format("Mon 2 Jan")
		}
		for _, sh := range shifts {
			if b, ok := clip(sh.From, sh.To, d, end); ok {
				b.Person, b.Name, b.Colour, b.Override = sh.Person, webcore.PersonName(s.d.Runtime, sh.Person), colour[sh.Person], sh.Override
				day.Bars = append(day.Bars, b)
			}
		}
		for _, g := range gaps {
			if b, ok := clip(g.From, g.To, d, end); ok {
				b.Gap, b.Name = true, "nobody on call"
				day.Bars = append(day.Bars, b)
				day.HasGap = true
			}
		}
		slices.SortStableFunc(day.Bars, func(a, b calendarBar) int { return a.Start.Compare(b.Start) })
		week = append(week, day)
		if len(week) == 7 {
			data.Weeks = append(data.Weeks, week)
			week = nil
		}
	}
	toks, err := s.d.Store.CalendarTokens(r.Context(), store.CalendarSchedule, info.Config.ID)
	if err != nil {
		return fmt.Errorf("listing calendar tokens of schedule %q: %w", info.Config.ID, err)
	}
	data.Tokens = toks
	s.Render(w, r, http.StatusOK, "schedule.html", &u, data.Name, data)
	return nil
}

// startOfWeek is the Monday midnight of t's week, in t's zone.
func startOfWeek(t time.Time) time.Time {
	back := (int(t.Weekday()) + 6) % 7
	return time.Date(t.Year(), t.Month(), t.Day()-back, 0, 0, 0, 0, t.Location())
}

// clip is the part of [from, to) within the day [start, end), as a bar
// with local wall times and its place on the day's timeline.
func clip(from, to, start, end time.Time) (calendarBar, bool) {
	if !from.Before(end) || !to.After(start) {
		return calendarBar{}, false
	}
	if from.Before(start) {
		from = start
	}
	if to.After(end) {
		to = end
	}
	b := calendarBar{Start: from, End: to, From: from.In(start.Location()).Format("15:04"), To: to.In(start.Location()).Format("15:04")}
	if to.Equal(end) {
		b.To = "24:00"
	}
	day := end.Sub(start).Seconds()
	b.X = strconv.FormatFloat(100*from.Sub(start).Seconds()/day, 'f', 2, 64)
	b.W = strconv.FormatFloat(100*to.Sub(from).Seconds()/day, 'f', 2, 64)
	return b, true
}

// handleScheduleTokenCreate creates a feed token of the schedule and shows
// its address once.
func (s *UI) handleScheduleTokenCreate(w http.ResponseWriter, r *http.Request, u store.User) error {
	id := r.PathValue("id")
	if _, ok := s.d.Schedules.Get(id); !ok {
		return errs.Errorf(errs.ENOTFOUND, "There is no schedule %q.", id)
	}
	_, secret, err := webcore.CreateCalendarToken(r, s.d.Store, u, store.CalendarSchedule, id)
	if err != nil {
		return err
	}
	return s.renderSchedule(w, r, u, webcore.FeedURL(s.d.Runtime, r, webcore.ScheduleFeedPath(id), secret))
}

// handlePersonTokenCreate creates a feed token of one person's shifts and
// shows its address once on the list of schedules.
func (s *UI) handlePersonTokenCreate(w http.ResponseWriter, r *http.Request, u store.User) error {
	id := r.PathValue("id")
	if !s.scheduledPerson(id) {
		return errs.Errorf(errs.ENOTFOUND, "%q is in no schedule.", id)
	}
	_, secret, err := webcore.CreateCalendarToken(r, s.d.Store, u, store.CalendarPerson, id)
	if err != nil {
		return err
	}
	return s.renderSchedules(w, r, u, schedulesData{NewFeed: webcore.FeedURL(s.d.Runtime, r, webcore.PersonFeedPath(id), secret), NewFeedFor: webcore.PersonName(s.d.Runtime, id)})
}

// scheduledPerson reports whether id is a member of any schedule.
func (s *UI) scheduledPerson(id string) bool {
	for _, info := range s.d.Schedules.List() {
		if slices.Contains(info.Members, id) {
			return true
		}
	}
	return false
}

// handleCalendarTokenRevoke deletes a feed token and goes back to where it
// is listed.
func (s *UI) handleCalendarTokenRevoke(w http.ResponseWriter, r *http.Request, u store.User) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return errs.Errorf(errs.ENOTFOUND, "There is no calendar token %q.", r.PathValue("id"))
	}
	toks, err := s.d.Store.CalendarTokens(r.Context(), "", "")
	if err != nil {
		return fmt.Errorf("listing calendar tokens: %w", err)
	}
	back := "/schedules"
	for _, t := range toks {
		if t.ID == id && t.Kind == store.CalendarSchedule {
			back = "/schedules/" + url.PathEscape(t.Subject)
		}
	}
	if err := s.d.Store.DeleteCalendarToken(r.Context(), id); err != nil {
		if errs.Code(err) == errs.ENOTFOUND {
			return errs.Errorf(errs.ENOTFOUND, "There is no calendar token %d; it may have been revoked already.", id)
		}
		return fmt.Errorf("revoking calendar token %d: %w", id, err)
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}
