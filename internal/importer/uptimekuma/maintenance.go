package uptimekuma

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/importer"
)

// maintenance maps a maintenance window of kuma.db. Uptime Kuma's
// strategies: manual (on until turned off), single (from a start to an
// end), cron (a cron expression and a duration in minutes), and the
// recurring ones (every N days, some weekdays, some days of the month,
// from a start time to an end time).
func (m *mapper) maintenance(w Row) {
	it := fmt.Sprintf("maintenance %q (id %d)", w.Str("title"), w.Int("id"))
	if !w.Bool(true, "active") {
		m.notes.Add(it, "not mapped: it is turned off")
		return
	}
	var monitors []string
	ids, _ := w["monitors"].([]int64)
	for _, id := range ids {
		if mid, ok := m.monitors[id]; ok {
			monitors = append(monitors, mid)
		}
	}
	if len(monitors) == 0 {
		m.notes.Add(it, "not mapped: it covers no monitor that was imported")
		return
	}
	mw := importer.Maintenance{
		ID:       m.mw.Make(w.Str("title"), "maintenance"),
		Reason:   importer.Literal(firstNonEmpty(w.Str("title"), "Uptime Kuma maintenance")),
		Match:    importer.Match{Monitors: monitors},
		Timezone: w.Str("timezone"),
		Comment:  fmt.Sprintf("Uptime Kuma maintenance %q (id %d), strategy %s", w.Str("title"), w.Int("id"), w.Str("strategy")),
	}
	if len(mw.Reason) > 1000 {
		mw.Reason = mw.Reason[:1000]
	}
	serverTZ := mw.Timezone == "" || mw.Timezone == "SAME_AS_SERVER"
	if serverTZ || mw.Timezone == "UTC" {
		mw.Timezone = ""
	}
	switch strategy := w.Str("strategy"); strategy {
	case "single":
		start, end := localTime(w.Str("start_date")), localTime(w.Str("end_date"))
		if start == "" || end == "" {
			m.notes.Add(it, "not mapped: start or end date missing")
			return
		}
		mw.Start, mw.End = start, end
	case "cron":
		mins := w.Int("duration")
		if w.Str("cron") == "" || mins <= 0 {
			m.notes.Add(it, "not mapped: cron or duration missing")
			return
		}
		mw.Cron, mw.Duration = w.Str("cron"), importer.Duration(time.Duration(mins)*time.Minute)
	case "recurring-interval", "recurring-weekday", "recurring-day-of-month":
		h, mi, d, ok := timeWindow(w.Str("start_time"), w.Str("end_time"))
		if !ok {
			m.notes.Add(it, "not mapped: start time %q or end time %q is not HH:MM", w.Str("start_time"), w.Str("end_time"))
			return
		}
		mw.Duration = importer.Duration(d)
		dom, dow := "*", "*"
		switch strategy {
		case "recurring-interval":
			n := w.Int("interval_day")
			if n < 1 {
				m.notes.Add(it, "not mapped: interval_day is not a number of days")
				return
			}
			if n > 1 {
				dom = "*/" + strconv.FormatInt(n, 10)
				m.notes.Add(it, "every %d days becomes the days of the month %s: cron counts from the 1st of each month", n, dom)
			}
		case "recurring-weekday":
			var days []int
			if err := json.Unmarshal([]byte(w.Str("weekdays")), &days); err != nil || len(days) == 0 {
				m.notes.Add(it, "not mapped: weekdays %q is not a list of days", w.Str("weekdays"))
				return
			}
			dow = joinInts(days)
		case "recurring-day-of-month":
			var days []any
			if err := json.Unmarshal([]byte(w.Str("days_of_month")), &days); err != nil || len(days) == 0 {
				m.notes.Add(it, "not mapped: days_of_month %q is not a list of days", w.Str("days_of_month"))
				return
			}
			var parts []string
			for _, d := range days {
				switch v := d.(type) {
				case float64:
					parts = append(parts, strconv.Itoa(int(v)))
				case string:
					if v == "lastDay1" {
						parts = append(parts, "L")
					} else {
						m.notes.Add(it, "day %q not mapped: Tocsin's cron has the last day of the month (L) only", v)
					}
				}
			}
			if len(parts) == 0 {
				return
			}
			dom = strings.Join(parts, ",")
		}
		mw.Cron = fmt.Sprintf("%d %d %s * %s", mi, h, dom, dow)
	default:
		m.notes.Add(it, "not mapped: strategy %q (a window turned on and off by hand is made at run time: tocsin maintenance add)", strategy)
		return
	}
	if serverTZ {
		m.notes.Add(it, "timezone is the Uptime Kuma server's; UTC is used")
	}
	m.f.Maintenance = append(m.f.Maintenance, mw)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

// localTime turns Uptime Kuma's "2026-03-01 22:00:00" into Tocsin's
// "2026-03-01 22:00".
func localTime(s string) string {
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", time.RFC3339, "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			return t.Format("2006-01-02 15:04")
		}
	}
	return ""
}

// timeWindow reads a daily window "HH:MM[:SS]" to "HH:MM[:SS]"; one that
// ends before it starts ends the next day.
func timeWindow(start, end string) (h, m int, d time.Duration, ok bool) {
	parse := func(s string) (time.Duration, bool) {
		parts := strings.Split(strings.TrimSpace(s), ":")
		if len(parts) < 2 {
			return 0, false
		}
		hh, err1 := strconv.Atoi(parts[0])
		mm, err2 := strconv.Atoi(parts[1])
		if err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
			return 0, false
		}
		return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, true
	}
	s, ok1 := parse(start)
	e, ok2 := parse(end)
	if !ok1 || !ok2 {
		return 0, 0, 0, false
	}
	d = e - s
	if d <= 0 {
		d += 24 * time.Hour
	}
	return int(s / time.Hour), int(s % time.Hour / time.Minute), d, true
}

func joinInts(list []int) string {
	parts := make([]string, len(list))
	for i, v := range list {
		parts[i] = strconv.Itoa(v)
	}
	return strings.Join(parts, ",")
}
