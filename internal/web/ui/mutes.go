package ui

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/mute"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// pastMutes is how far back the pages list ended windows and silences.
const pastMutes = 7 * 24 * time.Hour

// mutedText says why a monitor is muted now, or "" when it is not: the
// monitor page and the overview show it beside the state.
func (s *UI) mutedText(monitorID string) string {
	m, ok := s.d.MuteOf(monitorID)
	if !ok {
		return ""
	}
	until := formatUTC(m.Until)
	if m.Kind == mute.KindSilence {
		by := ""
		if m.CreatedBy != "" {
			by = " of " + m.CreatedBy
		}
		return fmt.Sprintf("silenced by silence %s%s until %s: %s", m.ID, by, until, m.Reason)
	}
	return fmt.Sprintf("in maintenance until %s (%s): %s", until, m.ID, m.Reason)
}

// windowRow is one maintenance window on the Maintenance page.
type windowRow struct {
	ID, Source, Reason, Covers string
	Start, End                 time.Time
	// Repeats describes a recurring window: "0 2 * * sun for 2h (Europe/Oslo)".
	Repeats string
	// Next is, for a recurring window, the first opening that begins
	// after now (after the one under way, if any); zero when none.
	Next      time.Time
	RecurEnd  time.Time
	State     string // active, upcoming or past
	CreatedBy string
	EndedBy   string
	// Endable is true for a stored window not yet over, shown to those
	// who may end it.
	Endable bool
}

type maintenanceData struct {
	Active, Upcoming, Past []windowRow
	Error                  string
	Form                   windowForm
}

type windowForm struct {
	Kind, ID, Reason, Start, Duration, End string
	// Recurring windows: Cron and Timezone; Start and End then bound the
	// recurrence and Duration is each opening's length.
	Recurring      bool
	Cron, Timezone string
}

func rowState(start, end, now time.Time) string {
	switch {
	case !now.Before(end):
		return "past"
	case now.Before(start):
		return "upcoming"
	}
	return "active"
}

// handleMaintenance renders "/maintenance".
func (s *UI) handleMaintenance(w http.ResponseWriter, r *http.Request, u store.User) error {
	return s.renderMaintenance(w, r, u, http.StatusOK, maintenanceData{Form: windowForm{Kind: "service", Duration: "1h"}})
}

func (s *UI) renderMaintenance(w http.ResponseWriter, r *http.Request, u store.User, status int, data maintenanceData) error {
	now := s.d.Now()
	var rows []windowRow
	if cfg := s.d.Runtime.Config(); cfg != nil {
		for _, m := range cfg.Maintenance {
			mw, err := mute.WindowFromConfig(m)
			if err != nil {
				continue
			}
			row := windowRow{ID: m.ID, Source: mute.SourceConfig, Reason: m.Reason, Covers: mw.Describe()}
			if mw.Recurring() {
				row.Repeats = fmt.Sprintf("%s for %s (%s)", m.Cron, m.Duration, mw.Timezone())
			}
			openingRow(&row, mw, now)
			rows = append(rows, row)
		}
	}
	stored, err := s.d.Store.MaintenanceWindows(r.Context(), now.Add(-pastMutes))
	if err != nil {
		return fmt.Errorf("listing maintenance windows: %w", err)
	}
	for _, sw := range stored {
		row := windowRow{ID: strconv.FormatInt(sw.ID, 10), Source: mute.SourceStored, Reason: sw.Reason,
			CreatedBy: sw.CreatedBy, EndedBy: sw.EndedBy}
		mw, err := webcore.StoredWindow(sw)
		if err != nil {
			row.Covers, row.State = err.Error(), "past"
			rows = append(rows, row)
			continue
		}
		row.Covers = mw.Describe()
		if mw.Recurring() {
			row.Repeats = fmt.Sprintf("%s for %s (%s)", sw.Cron, config.Duration(sw.Duration), mw.Timezone())
			row.RecurEnd = sw.EndsAt
		}
		openingRow(&row, mw, now)
		row.Endable = !mw.Over(now) && u.Can(store.RoleResponder)
		rows = append(rows, row)
	}
	for _, row := range rows {
		switch row.State {
		case "active":
			data.Active = append(data.Active, row)
		case "upcoming":
			data.Upcoming = append(data.Upcoming, row)
		default:
			data.Past = append(data.Past, row)
		}
	}
	s.Render(w, r, status, "maintenance.html", &u, "Maintenance", data)
	return nil
}

// openingRow sets a row's state and its current or next opening, and the
// opening after that of a recurring window.
func openingRow(row *windowRow, w mute.Window, now time.Time) {
	row.State, row.Start, row.End = "past", w.Start, w.End
	if st, en, ok := w.ActiveAt(now); ok {
		row.Start, row.End, row.State = st, en, "active"
	} else if st, en, ok := w.Next(now); ok {
		row.Start, row.End, row.State = st, en, "upcoming"
	}
	if !w.Recurring() {
		return
	}
	if row.State == "past" {
		row.Start, row.End = time.Time{}, time.Time{}
		return
	}
	from := now
	if row.State == "active" {
		from = row.Start
	}
	if st, _, ok := w.Next(from); ok {
		row.Next = st
	}
}

// parseFormTime reads a time from a datetime-local input, in UTC.
func parseFormTime(what, v string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02 15:04", time.RFC3339} {
		if t, err := time.ParseInLocation(layout, v, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid %s time %q: write YYYY-MM-DD HH:MM (UTC)", what, v)
}

// parseFormSpan reads a duration ("2h", "1d") counted from now, or an end
// time ("2006-01-02T15:04" from a datetime-local input, in UTC).
func parseFormSpan(duration, end string, now time.Time) (time.Time, error) {
	end = strings.TrimSpace(end)
	duration = strings.TrimSpace(duration)
	switch {
	case end != "" && duration != "":
		return time.Time{}, fmt.Errorf("give a duration or an end time, not both")
	case end != "":
		return parseFormTime("end", end)
	case duration != "":
		d, err := config.ParseDuration(duration)
		if err != nil || d <= 0 {
			return time.Time{}, fmt.Errorf("invalid duration %q: write one such as 30m, 2h or 1d", duration)
		}
		return now.Add(d), nil
	}
	return time.Time{}, fmt.Errorf("give a duration or an end time: nothing is muted forever")
}

func (s *UI) readForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, webcore.MaxBody)
	if err := r.ParseForm(); err != nil {
		return errs.Errorf(errs.EINVALID, "the form could not be read: %v", err)
	}
	return nil
}

// handleMaintenanceCreate creates a window for one service, monitor, host,
// component or tag: one-off, starting now or at the start given; or, with
// "recurring" ticked, opening at each cron time in the timezone for the
// duration given, from now or the start given until the end given, if any.
func (s *UI) handleMaintenanceCreate(w http.ResponseWriter, r *http.Request, u store.User) error {
	if err := s.readForm(w, r); err != nil {
		return err
	}
	f := windowForm{Kind: r.PostForm.Get("kind"), ID: strings.TrimSpace(r.PostForm.Get("id")), Reason: r.PostForm.Get("reason"),
		Start: strings.TrimSpace(r.PostForm.Get("start")), Duration: r.PostForm.Get("duration"), End: r.PostForm.Get("end"),
		Recurring: r.PostForm.Get("recurring") != "", Cron: strings.TrimSpace(r.PostForm.Get("cron")), Timezone: strings.TrimSpace(r.PostForm.Get("timezone"))}
	fail := func(msg string) error {
		return s.renderMaintenance(w, r, u, http.StatusBadRequest, maintenanceData{Error: msg, Form: f})
	}
	start := s.d.Now()
	if f.Start != "" {
		t, err := parseFormTime("start", f.Start)
		if err != nil {
			return fail(err.Error())
		}
		start = t
	}
	mw := store.MaintenanceWindow{Reason: f.Reason, StartsAt: start}
	if f.Recurring {
		if f.Cron == "" {
			return fail("a recurring window needs a cron expression: when it opens, such as 0 2 * * SUN")
		}
		d, err := config.ParseDuration(strings.TrimSpace(f.Duration))
		if err != nil || d <= 0 {
			return fail(fmt.Sprintf("invalid duration %q: how long each opening lasts, such as 30m or 2h", f.Duration))
		}
		mw.Cron, mw.Duration, mw.Timezone = f.Cron, d, f.Timezone
		if strings.TrimSpace(f.End) != "" {
			if mw.EndsAt, err = parseFormTime("end", strings.TrimSpace(f.End)); err != nil {
				return fail(err.Error())
			}
		}
	} else {
		if f.Cron != "" || f.Timezone != "" {
			return fail("tick \"recurring\" to use a cron expression and a timezone")
		}
		end, err := parseFormSpan(f.Duration, f.End, start)
		if err != nil {
			return fail(err.Error())
		}
		mw.EndsAt = end
	}
	switch f.Kind {
	case "service":
		mw.Services = []string{f.ID}
	case "monitor":
		mw.Monitors = []string{f.ID}
	case "tag":
		mw.Tags = []string{f.ID}
	case "host":
		mw.Hosts = []string{f.ID}
	case "component":
		mw.Components = []string{f.ID}
	default:
		return fail("choose what the window covers: a service, monitor, host, component or tag")
	}
	if f.ID == "" {
		return fail("name the " + f.Kind + " the window covers")
	}
	if _, err := s.d.CreateWindow(r.Context(), u, mw); err != nil {
		if errs.Code(err) == errs.EINVALID {
			return fail(errs.Message(err))
		}
		return err
	}
	http.Redirect(w, r, "/maintenance", http.StatusSeeOther)
	return nil
}

// handleMaintenanceEnd ends a stored window now.
func (s *UI) handleMaintenanceEnd(w http.ResponseWriter, r *http.Request, u store.User) error {
	if _, err := s.d.EndWindow(r.Context(), u, r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/maintenance", http.StatusSeeOther)
	return nil
}

// silenceRow is one silence on the Silences page.
type silenceRow struct {
	ID                  int64
	Matchers            string
	Reason, CreatedBy   string
	Start, End, Created time.Time
	State, ExpiredBy    string
	Expirable           bool
}

type silencesData struct {
	Rows  []silenceRow
	Error string
	Form  silenceForm
}

type silenceForm struct {
	Matchers, Reason, Duration, End string
}

// handleSilences renders "/silences".
func (s *UI) handleSilences(w http.ResponseWriter, r *http.Request, u store.User) error {
	return s.renderSilences(w, r, u, http.StatusOK, silencesData{Form: silenceForm{Duration: "2h"}})
}

func (s *UI) renderSilences(w http.ResponseWriter, r *http.Request, u store.User, status int, data silencesData) error {
	now := s.d.Now()
	ss, err := s.d.Store.Silences(r.Context(), now.Add(-pastMutes))
	if err != nil {
		return fmt.Errorf("listing silences: %w", err)
	}
	for _, si := range ss {
		ms := make([]string, len(si.Matchers))
		for i, m := range si.Matchers {
			ms[i] = m.Name + m.Op + m.Value
		}
		st := rowState(si.StartsAt, si.EndsAt, now)
		if st == "past" {
			st = "expired"
		}
		data.Rows = append(data.Rows, silenceRow{ID: si.ID, Matchers: strings.Join(ms, ", "), Reason: si.Reason, CreatedBy: si.CreatedBy,
			Start: si.StartsAt, End: si.EndsAt, Created: si.CreatedAt, State: st, ExpiredBy: si.ExpiredBy, Expirable: st != "expired"})
	}
	s.Render(w, r, status, "silences.html", &u, "Silences", data)
	return nil
}

// handleSilenceCreate creates a silence from now: matchers one per line
// (or separated by commas), a reason, and a duration or an end time.
func (s *UI) handleSilenceCreate(w http.ResponseWriter, r *http.Request, u store.User) error {
	if err := s.readForm(w, r); err != nil {
		return err
	}
	f := silenceForm{Matchers: r.PostForm.Get("matchers"), Reason: r.PostForm.Get("reason"), Duration: r.PostForm.Get("duration"), End: r.PostForm.Get("end")}
	fail := func(msg string) error {
		return s.renderSilences(w, r, u, http.StatusBadRequest, silencesData{Error: msg, Form: f})
	}
	now := s.d.Now()
	end, err := parseFormSpan(f.Duration, f.End, now)
	if err != nil {
		return fail(err.Error())
	}
	si := store.Silence{Reason: f.Reason, StartsAt: now, EndsAt: end}
	for _, line := range strings.FieldsFunc(f.Matchers, func(c rune) bool { return c == '\n' || c == ',' }) {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		m, err := mute.ParseMatcher(line)
		if err != nil {
			return fail(err.Error())
		}
		si.Matchers = append(si.Matchers, store.SilenceMatcher{Name: m.Name, Op: m.Op, Value: m.Value})
	}
	if _, err := s.d.CreateSilence(r.Context(), u, si); err != nil {
		if errs.Code(err) == errs.EINVALID {
			return fail(errs.Message(err))
		}
		return err
	}
	http.Redirect(w, r, "/silences", http.StatusSeeOther)
	return nil
}

// handleSilenceExpire ends a silence now.
func (s *UI) handleSilenceExpire(w http.ResponseWriter, r *http.Request, u store.User) error {
	if _, err := s.d.ExpireSilence(r.Context(), u, r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/silences", http.StatusSeeOther)
	return nil
}
