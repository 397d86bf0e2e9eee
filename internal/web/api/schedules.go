package api

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// Bounds of ?days= on GET /api/v1/schedules/{id}.
const (
	defaultShiftDays = 14
	maxShiftDays     = 90
)

// Person is a person by id and display name.
type Person struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Handoff is the next change of who is on call.
type Handoff struct {
	At time.Time `json:"at"`
	// OnCall is who comes on call then; empty when a gap begins.
	OnCall []string `json:"oncall"`
}

// Span is a stretch of time; in a schedule, one in which nobody is on call.
type Span struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Shift is a stretch in which one person is on call.
type Shift struct {
	Person   string    `json:"person"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Override bool      `json:"override"`
}

// Schedule is an on-call schedule as GET /api/v1/schedules lists it.
type Schedule struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Timezone string   `json:"timezone"`
	Members  []Person `json:"members"`
	OnCall   []string `json:"oncall_now"`
	Next     *Handoff `json:"next"`
	// Gaps are the next 14 days' stretches with nobody on call, and
	// GapSeconds their total.
	Gaps       []Span  `json:"gaps"`
	GapSeconds float64 `json:"gap_seconds"`
	// Error says why the schedule cannot be computed (a configuration that
	// skipped validation); empty otherwise.
	Error string `json:"error,omitempty"`
}

// ScheduleDetail is GET /api/v1/schedules/{id}: the schedule, its shifts
// and gaps over ?days= from now, and the caller's calendar feed.
type ScheduleDetail struct {
	Schedule
	Days   int     `json:"days"`
	Shifts []Shift `json:"shifts"`
	// UpcomingGaps are the gaps of the same ?days= window as Shifts.
	UpcomingGaps []Span `json:"upcoming_gaps"`
	// ICalURL is the caller's feed address, present only in the answer
	// that created the caller's feed token (the first such request): the
	// store keeps only its hash. ICalToken describes that token after.
	ICalURL   *string        `json:"ical_url"`
	ICalToken *CalendarToken `json:"ical_token"`
}

// CalendarToken is a token of an iCal feed, without its secret.
type CalendarToken struct {
	ID         int64      `json:"id"`
	Kind       string     `json:"kind"`
	Subject    string     `json:"subject"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	// Token and ICalURL are only in the answer that creates the token.
	Token   string `json:"token,omitempty"`
	ICalURL string `json:"ical_url,omitempty"`
}

func toAPICalendarToken(t store.CalendarToken) CalendarToken {
	out := CalendarToken{ID: t.ID, Kind: t.Kind, Subject: t.Subject, Prefix: t.Prefix, CreatedAt: t.CreatedAt.UTC()}
	if !t.LastUsedAt.IsZero() {
		u := t.LastUsedAt.UTC()
		out.LastUsedAt = &u
	}
	return out
}

func (s *API) toAPISchedule(sum webcore.ScheduleSummary) Schedule {
	out := Schedule{ID: sum.Config.ID, Name: sum.Name(), Timezone: sum.Config.Timezone, Members: []Person{}, OnCall: orEmpty(sum.OnCall),
		Gaps: []Span{}, GapSeconds: sum.GapSeconds}
	for _, m := range sum.Members {
		out.Members = append(out.Members, Person{ID: m, Name: webcore.PersonName(s.d.Runtime, m)})
	}
	if !sum.NextAt.IsZero() {
		out.Next = &Handoff{At: sum.NextAt.UTC(), OnCall: orEmpty(sum.Next)}
	}
	for _, g := range sum.Gaps {
		out.Gaps = append(out.Gaps, Span{From: g.From.UTC(), To: g.To.UTC()})
	}
	if sum.Err != nil {
		out.Error = sum.Err.Error()
	}
	return out
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// serveSchedules serves GET /api/v1/schedules: every schedule in
// configuration order, with who is on call now and next and the gaps of
// the next 14 days.
func (s *API) serveSchedules(w http.ResponseWriter, r *http.Request, _ store.User) error {
	out := List[Schedule]{Data: []Schedule{}}
	for _, sum := range s.d.Schedules.Summaries(s.d.Now()) {
		out.Data = append(out.Data, s.toAPISchedule(sum))
	}
	webcore.WriteJSON(w, http.StatusOK, out)
	return nil
}

// serveSchedule serves GET /api/v1/schedules/{id}?days=N.
func (s *API) serveSchedule(w http.ResponseWriter, r *http.Request, u store.User) error {
	info, err := s.scheduleByID(r)
	if err != nil {
		return err
	}
	days := defaultShiftDays
	if v := r.URL.Query().Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxShiftDays {
			return errs.Errorf(errs.EINVALID, "days must be a whole number from 1 to %d, not %q", maxShiftDays, v)
		}
		days = n
	}
	now := s.d.Now()
	to := now.Add(time.Duration(days) * 24 * time.Hour)
	out := ScheduleDetail{Schedule: s.toAPISchedule(webcore.Summarize(info, now)), Days: days, Shifts: []Shift{}, UpcomingGaps: []Span{}}
	for _, sh := range info.Shifts(now, to) {
		out.Shifts = append(out.Shifts, Shift{Person: sh.Person, From: sh.From.UTC(), To: sh.To.UTC(), Override: sh.Override})
	}
	for _, g := range info.Gaps(now, to) {
		out.UpcomingGaps = append(out.UpcomingGaps, Span{From: g.From.UTC(), To: g.To.UTC()})
	}
	// The caller's feed: their first token of this schedule, created on
	// their first request.
	toks, err := s.d.Store.CalendarTokens(r.Context(), store.CalendarSchedule, info.Config.ID)
	if err != nil {
		return fmt.Errorf("listing calendar tokens of schedule %q: %w", info.Config.ID, err)
	}
	for _, t := range toks {
		if t.CreatedBy == u.ID {
			at := toAPICalendarToken(t)
			out.ICalToken = &at
			break
		}
	}
	if out.ICalToken == nil {
		t, secret, err := webcore.CreateCalendarToken(r, s.d.Store, u, store.CalendarSchedule, info.Config.ID)
		if err != nil {
			return err
		}
		at := toAPICalendarToken(t)
		feed := webcore.FeedURL(s.d.Runtime, r, webcore.ScheduleFeedPath(info.Config.ID), secret)
		out.ICalToken, out.ICalURL = &at, &feed
	}
	webcore.WriteJSON(w, http.StatusOK, One[ScheduleDetail]{Data: out})
	return nil
}

func (s *API) scheduleByID(r *http.Request) (webcore.ScheduleInfo, error) {
	id := r.PathValue("id")
	info, ok := s.d.Schedules.Get(id)
	if !ok {
		return webcore.ScheduleInfo{}, errs.Errorf(errs.ENOTFOUND, "no schedule %q", id)
	}
	return info, nil
}

// serveCalendarTokens serves GET /api/v1/calendar-tokens: every feed token,
// without secrets.
func (s *API) serveCalendarTokens(w http.ResponseWriter, r *http.Request, _ store.User) error {
	toks, err := s.d.Store.CalendarTokens(r.Context(), "", "")
	if err != nil {
		return fmt.Errorf("listing calendar tokens: %w", err)
	}
	out := List[CalendarToken]{Data: make([]CalendarToken, 0, len(toks))}
	for _, t := range toks {
		out.Data = append(out.Data, toAPICalendarToken(t))
	}
	webcore.WriteJSON(w, http.StatusOK, out)
	return nil
}

// serveScheduleTokenCreate serves POST /api/v1/schedules/{id}/tokens: a new
// feed of every shift of the schedule; the answer holds its address once.
func (s *API) serveScheduleTokenCreate(w http.ResponseWriter, r *http.Request, u store.User) error {
	info, err := s.scheduleByID(r)
	if err != nil {
		return err
	}
	return s.createFeed(w, r, u, store.CalendarSchedule, info.Config.ID, webcore.ScheduleFeedPath(info.Config.ID))
}

// servePersonTokenCreate serves POST /api/v1/people/{id}/calendar-tokens: a
// new feed of one person's shifts in every schedule.
func (s *API) servePersonTokenCreate(w http.ResponseWriter, r *http.Request, u store.User) error {
	id := r.PathValue("id")
	found := false
	for _, info := range s.d.Schedules.List() {
		for _, m := range info.Members {
			found = found || m == id
		}
	}
	if !found {
		return errs.Errorf(errs.ENOTFOUND, "person %q is in no schedule", id)
	}
	return s.createFeed(w, r, u, store.CalendarPerson, id, webcore.PersonFeedPath(id))
}

func (s *API) createFeed(w http.ResponseWriter, r *http.Request, u store.User, kind, subject, path string) error {
	t, secret, err := webcore.CreateCalendarToken(r, s.d.Store, u, kind, subject)
	if err != nil {
		return err
	}
	at := toAPICalendarToken(t)
	at.Token, at.ICalURL = secret, webcore.FeedURL(s.d.Runtime, r, path, secret)
	webcore.WriteJSON(w, http.StatusCreated, One[CalendarToken]{Data: at})
	return nil
}

// serveCalendarTokenDelete serves DELETE /api/v1/calendar-tokens/{id}: the
// feed stops answering at once.
func (s *API) serveCalendarTokenDelete(w http.ResponseWriter, r *http.Request, _ store.User) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return errs.Errorf(errs.ENOTFOUND, "no calendar token %q", r.PathValue("id"))
	}
	if err := s.d.Store.DeleteCalendarToken(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
