package oncall

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

func mustLoad(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func hm(h, m int) int { return h*60 + m }

// TestWall pins the daylight-saving rule: a wall time in a spring-forward
// gap is the moment of the change, a repeated one is the first.
func TestWall(t *testing.T) {
	oslo, ny := mustLoad(t, "Europe/Oslo"), mustLoad(t, "America/New_York")
	for _, tc := range []struct {
		name    string
		loc     *time.Location
		day     time.Time
		minutes int
		want    time.Time
	}{
		{"winter", oslo, date(2026, 1, 5), hm(9, 0), time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)},
		{"summer", oslo, date(2026, 7, 6), hm(9, 0), time.Date(2026, 7, 6, 7, 0, 0, 0, time.UTC)},
		{"oslo spring gap", oslo, date(2026, 3, 29), hm(2, 30), time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)},
		{"oslo spring gap start", oslo, date(2026, 3, 29), hm(2, 0), time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)},
		{"oslo after gap", oslo, date(2026, 3, 29), hm(3, 0), time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)},
		{"oslo fall repeat", oslo, date(2026, 10, 25), hm(2, 30), time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC)},
		{"ny spring gap", ny, date(2026, 3, 8), hm(2, 30), time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC)},
		{"ny fall repeat", ny, date(2026, 11, 1), hm(1, 30), time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC)},
		{"ny after fall", ny, date(2026, 11, 1), hm(2, 30), time.Date(2026, 11, 1, 7, 30, 0, 0, time.UTC)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := wall(tc.loc, tc.day.Year(), tc.day.Month(), tc.day.Day(), tc.minutes)
			if !got.Equal(tc.want) {
				t.Errorf("wall = %s (%s), want %s", got.UTC(), got, tc.want)
			}
		})
	}
}

func TestOnCall(t *testing.T) {
	oslo := mustLoad(t, "Europe/Oslo")
	at := func(m time.Month, d, h, min int) time.Time { return time.Date(2026, m, d, h, min, 0, 0, oslo) }
	daily := Layer{Days: DaysDaily, Handoff: hm(9, 0), Start: date(2026, 1, 5), Members: []PersonID{"ann", "bob", "cat"}}
	weekly := Layer{Days: DaysWeekly, Handoff: hm(9, 0), Start: date(2026, 1, 5), Members: []PersonID{"ann", "bob"}}
	halfDay := Layer{Every: 12 * time.Hour, Handoff: hm(8, 0), Start: date(2026, 1, 5), Members: []PersonID{"day", "night"}}
	office := Layer{Days: DaysWeekly, Handoff: hm(0, 0), Start: date(2026, 1, 5), Members: []PersonID{"dan"},
		Restrict: &Restrict{Days: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}, From: hm(8, 0), To: hm(17, 0)}}
	override := Override{Person: "eve", From: at(1, 6, 12, 0), To: at(1, 6, 14, 0)}
	for _, tc := range []struct {
		name string
		s    Schedule
		t    time.Time
		want []PersonID
	}{
		{"before the first handoff nobody", Schedule{Loc: oslo, Layers: []Layer{daily}}, at(1, 5, 8, 59), nil},
		{"first shift", Schedule{Loc: oslo, Layers: []Layer{daily}}, at(1, 5, 9, 0), []PersonID{"ann"}},
		{"first shift runs to the next handoff", Schedule{Loc: oslo, Layers: []Layer{daily}}, at(1, 6, 8, 59), []PersonID{"ann"}},
		{"second shift", Schedule{Loc: oslo, Layers: []Layer{daily}}, at(1, 6, 9, 0), []PersonID{"bob"}},
		{"third shift", Schedule{Loc: oslo, Layers: []Layer{daily}}, at(1, 7, 9, 0), []PersonID{"cat"}},
		{"order starts over", Schedule{Loc: oslo, Layers: []Layer{daily}}, at(1, 8, 9, 0), []PersonID{"ann"}},
		{"weekly first week", Schedule{Loc: oslo, Layers: []Layer{weekly}}, at(1, 12, 8, 59), []PersonID{"ann"}},
		{"weekly second week", Schedule{Loc: oslo, Layers: []Layer{weekly}}, at(1, 12, 9, 0), []PersonID{"bob"}},
		{"12h day", Schedule{Loc: oslo, Layers: []Layer{halfDay}}, at(1, 5, 19, 59), []PersonID{"day"}},
		{"12h night", Schedule{Loc: oslo, Layers: []Layer{halfDay}}, at(1, 5, 20, 0), []PersonID{"night"}},
		{"restrict inside", Schedule{Loc: oslo, Layers: []Layer{office}}, at(1, 5, 8, 0), []PersonID{"dan"}},
		{"restrict end is exclusive", Schedule{Loc: oslo, Layers: []Layer{office}}, at(1, 5, 17, 0), nil},
		{"restrict weekend", Schedule{Loc: oslo, Layers: []Layer{office}}, at(1, 10, 12, 0), nil},
		{"higher layer wins", Schedule{Loc: oslo, Layers: []Layer{daily, office}}, at(1, 5, 10, 0), []PersonID{"dan"}},
		{"lower layer fills in", Schedule{Loc: oslo, Layers: []Layer{daily, office}}, at(1, 5, 18, 0), []PersonID{"ann"}},
		{"override beats every layer", Schedule{Loc: oslo, Layers: []Layer{daily, office}, Overrides: []Override{override}}, at(1, 6, 12, 0), []PersonID{"eve"}},
		{"override end is exclusive", Schedule{Loc: oslo, Layers: []Layer{daily, office}, Overrides: []Override{override}}, at(1, 6, 14, 0), []PersonID{"dan"}},
		{"override fills a gap", Schedule{Loc: oslo, Layers: []Layer{office}, Overrides: []Override{{Person: "eve", From: at(1, 10, 0, 0), To: at(1, 11, 0, 0)}}}, at(1, 10, 12, 0), []PersonID{"eve"}},
		{"no layers", Schedule{Loc: oslo}, at(1, 5, 12, 0), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := OnCall(tc.s, tc.t); !slices.Equal(got, tc.want) {
				t.Errorf("OnCall(%s) = %v, want %v", tc.t, got, tc.want)
			}
		})
	}
}

func TestNextHandoffAndGaps(t *testing.T) {
	oslo := mustLoad(t, "Europe/Oslo")
	at := func(m time.Month, d, h, min int) time.Time { return time.Date(2026, m, d, h, min, 0, 0, oslo) }
	office := Layer{Days: DaysWeekly, Handoff: hm(0, 0), Start: date(2026, 1, 5), Members: []PersonID{"dan"},
		Restrict: &Restrict{Days: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}, From: hm(8, 0), To: hm(17, 0)}}
	daily := Layer{Days: DaysDaily, Handoff: hm(9, 0), Start: date(2026, 1, 5), Members: []PersonID{"ann", "bob"}}
	s := Schedule{Loc: oslo, Layers: []Layer{daily}}
	when, who, ok := NextHandoff(s, at(1, 5, 12, 0))
	if !ok || !when.Equal(at(1, 6, 9, 0)) || !slices.Equal(who, []PersonID{"bob"}) {
		t.Errorf("NextHandoff = %s %v %v, want %s [bob]", when, who, ok, at(1, 6, 9, 0))
	}
	one := Schedule{Loc: oslo, Layers: []Layer{{Days: DaysDaily, Handoff: hm(9, 0), Start: date(2026, 1, 5), Members: []PersonID{"ann"}}}}
	if when, who, ok := NextHandoff(one, at(1, 5, 12, 0)); ok {
		t.Errorf("a one-person rotation hands off to itself: %s %v", when, who)
	}

	gaps := Gaps(Schedule{Loc: oslo, Layers: []Layer{office}}, at(1, 9, 12, 0), at(1, 13, 12, 0))
	want := []Gap{{at(1, 9, 17, 0), at(1, 12, 8, 0)}, {at(1, 12, 17, 0), at(1, 13, 8, 0)}}
	if !slices.EqualFunc(gaps, want, func(a, b Gap) bool { return a.From.Equal(b.From) && a.To.Equal(b.To) }) {
		t.Errorf("Gaps = %v, want %v", gaps, want)
	}
	if gaps := Gaps(Schedule{Loc: oslo, Layers: []Layer{daily, office}}, at(1, 5, 9, 0), at(1, 20, 0, 0)); len(gaps) != 0 {
		t.Errorf("a full rotation under the office layer has gaps: %v", gaps)
	}
	// Before the first shift the schedule is empty: a gap up to it.
	gaps = Gaps(s, at(1, 4, 0, 0), at(1, 6, 0, 0))
	if len(gaps) != 1 || !gaps[0].From.Equal(at(1, 4, 0, 0)) || !gaps[0].To.Equal(at(1, 5, 9, 0)) {
		t.Errorf("Gaps before the start = %v", gaps)
	}
}

// TestYearOfHandoffs walks every day and every quarter hour of 2026 in two
// timezones with daylight saving, against an independent reckoning of who
// should be on call from the local calendar.
func TestYearOfHandoffs(t *testing.T) {
	for _, name := range []string{"Europe/Oslo", "America/New_York"} {
		t.Run(name, func(t *testing.T) {
			loc := mustLoad(t, name)
			members := []PersonID{"ann", "bob", "cat"}
			start := date(2026, 1, 1)
			daily := Layer{Days: DaysDaily, Handoff: hm(9, 0), Start: start, Members: members}
			night := Layer{Days: DaysDaily, Handoff: hm(2, 30), Start: start, Members: members}
			weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
			office := Layer{Days: DaysWeekly, Handoff: hm(0, 0), Start: start, Members: []PersonID{"dan", "eve"},
				Restrict: &Restrict{Days: weekdays, From: hm(8, 0), To: hm(17, 0)}}
			// One override across each daylight-saving change of the year.
			var overrides []Override
			for d := start; d.Year() == 2026; d = d.AddDate(0, 0, 1) {
				a := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
				b := time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc)
				if b.Sub(a) != 24*time.Hour {
					overrides = append(overrides, Override{Person: "zed", From: a, To: b})
				}
			}
			if len(overrides) != 2 {
				t.Fatalf("found %d daylight-saving days in 2026, want 2", len(overrides))
			}
			plain := Schedule{Loc: loc, Layers: []Layer{daily}}
			full := Schedule{Loc: loc, Layers: []Layer{daily, office}, Overrides: overrides}

			// Every day: the handoff is at 09:00 local, the next member takes
			// over, and NextHandoff finds it from just before.
			for i, d := 0, start; d.Year() == 2026; i, d = i+1, d.AddDate(0, 0, 1) {
				h := wall(loc, d.Year(), d.Month(), d.Day(), hm(9, 0))
				if lh := h.In(loc); lh.Hour() != 9 || lh.Minute() != 0 || lh.Day() != d.Day() {
					t.Fatalf("%s: handoff at %s, want 09:00 local", d.Format(time.DateOnly), lh)
				}
				if got := OnCall(plain, h); !slices.Equal(got, []PersonID{members[i%3]}) {
					t.Fatalf("%s 09:00: %v on call, want %s", d.Format(time.DateOnly), got, members[i%3])
				}
				if i == 0 {
					continue
				}
				if got := OnCall(plain, h.Add(-time.Second)); !slices.Equal(got, []PersonID{members[(i-1)%3]}) {
					t.Fatalf("%s 08:59:59: %v on call, want %s", d.Format(time.DateOnly), got, members[(i-1)%3])
				}
				if when, who, ok := NextHandoff(plain, h.Add(-time.Hour)); !ok || !when.Equal(h) || !slices.Equal(who, []PersonID{members[i%3]}) {
					t.Fatalf("%s: NextHandoff = %s %v %v, want %s", d.Format(time.DateOnly), when.In(loc), who, ok, h.In(loc))
				}
				// The 02:30 layer hands off at 02:30 local, or at the change
				// on a spring-forward night.
				n := wall(loc, d.Year(), d.Month(), d.Day(), hm(2, 30))
				ln := n.In(loc)
				if ln.Day() != d.Day() || (ln.Hour() != 2 || ln.Minute() != 30) && ln.Add(-time.Second).In(loc).Hour() != 1 {
					t.Fatalf("%s: 02:30 handoff at %s", d.Format(time.DateOnly), ln)
				}
				if got, _ := layerAt(loc, night, n); got != members[i%3] {
					t.Fatalf("%s: 02:30 layer has %s at %s, want %s", d.Format(time.DateOnly), got, ln, members[i%3])
				}
				if got, _ := layerAt(loc, night, n.Add(-time.Second)); got != members[(i-1)%3] {
					t.Fatalf("%s: 02:30 layer has %s just before %s, want %s", d.Format(time.DateOnly), got, ln, members[(i-1)%3])
				}
			}

			// Every quarter hour: exactly one person, the one the local
			// calendar names.
			end := time.Date(2027, 1, 1, 0, 0, 0, 0, loc)
			for tt := wall(loc, 2026, 1, 1, hm(9, 0)); tt.Before(end); tt = tt.Add(15 * time.Minute) {
				lt := tt.In(loc)
				days := int(civilDays(start, lt))
				if lt.Hour() < 9 {
					days--
				}
				want := members[days%3]
				weekday := slices.Contains(weekdays, lt.Weekday())
				if weekday && lt.Hour() >= 8 && lt.Hour() < 17 {
					week := days / 7
					if lt.Hour() < 9 { // the office layer hands off at midnight
						week = int(civilDays(start, lt)) / 7
					}
					want = []PersonID{"dan", "eve"}[week%2]
				}
				for _, o := range overrides {
					if !tt.Before(o.From) && tt.Before(o.To) {
						want = "zed"
					}
				}
				got := OnCall(full, tt)
				if len(got) != 1 || got[0] != want {
					t.Fatalf("%s (%s): %v on call, want %s", lt.Format("Mon 2006-01-02 15:04 MST"), tt.UTC().Format(time.TimeOnly), got, want)
				}
			}
			if gaps := Gaps(full, wall(loc, 2026, 1, 1, hm(9, 0)), end); len(gaps) != 0 {
				t.Errorf("gaps in a full schedule: %v", fmt.Sprint(gaps))
			}
		})
	}
}

func TestGapDescribe(t *testing.T) {
	oslo, ny := mustLoad(t, "Europe/Oslo"), mustLoad(t, "America/New_York")
	for _, tc := range []struct {
		g    Gap
		loc  *time.Location
		want string
	}{
		{Gap{time.Date(2026, 12, 12, 17, 0, 0, 0, oslo), time.Date(2026, 12, 14, 9, 0, 0, 0, oslo)}, oslo,
			"Sat 2026-12-12 17:00 – Mon 09:00 Europe/Oslo (16:00 – 08:00 UTC)"},
		{Gap{time.Date(2026, 12, 11, 20, 0, 0, 0, ny), time.Date(2026, 12, 21, 9, 0, 0, 0, ny)}, ny,
			"Fri 2026-12-11 20:00 – Mon 2026-12-21 09:00 America/New_York (Sat 01:00 – 14:00 UTC)"},
	} {
		if got := tc.g.Describe(tc.loc); got != tc.want {
			t.Errorf("Describe = %q\n            want %q", got, tc.want)
		}
	}
}
