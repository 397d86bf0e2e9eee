package oncall

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestShifts walks a week of a daily rotation with office hours on top and
// an override: shifts follow the layers, an override is a shift of its own
// even for someone already on call, nobody on call leaves a hole, and the
// window clips the first and last shift.
func TestShifts(t *testing.T) {
	oslo := mustLoad(t, "Europe/Oslo")
	at := func(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, oslo) }
	s := Schedule{
		Loc: oslo,
		Layers: []Layer{
			{Days: DaysDaily, Handoff: hm(9, 0), Start: date(2026, 1, 5), Members: []PersonID{"ann", "bob"},
				Restrict: &Restrict{From: hm(9, 0), To: hm(21, 0)}},
			{Days: DaysWeekly, Handoff: hm(0, 0), Start: date(2026, 1, 5), Members: []PersonID{"dan"},
				Restrict: &Restrict{Days: []time.Weekday{time.Wednesday}, From: hm(12, 0), To: hm(14, 0)}},
		},
		Overrides: []Override{{Person: "bob", From: at(27, 10), To: at(27, 12)}},
	}
	// 2026-03-25 is a Wednesday; 2026-01-05 was ann's first day, so odd
	// day offsets are bob's: 03-25 is day 79 (bob), 03-26 ann, 03-27 bob.
	got := Shifts(s, at(25, 8), at(27, 13))
	want := []Shift{
		{Person: "bob", From: at(25, 9), To: at(25, 12)},
		{Person: "dan", From: at(25, 12), To: at(25, 14)},
		{Person: "bob", From: at(25, 14), To: at(25, 21)},
		{Person: "ann", From: at(26, 9), To: at(26, 21)},
		{Person: "bob", From: at(27, 9), To: at(27, 10)},
		{Person: "bob", From: at(27, 10), To: at(27, 12), Override: true},
		{Person: "bob", From: at(27, 12), To: at(27, 13)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Shifts (-want +got):\n%s", diff)
	}
	// Shifts and gaps tile the window exactly.
	var covered time.Duration
	for _, sh := range got {
		covered += sh.To.Sub(sh.From)
	}
	for _, g := range Gaps(s, at(25, 8), at(27, 13)) {
		covered += g.To.Sub(g.From)
	}
	if w := at(27, 13).Sub(at(25, 8)); covered != w {
		t.Errorf("shifts and gaps cover %s of a %s window", covered, w)
	}
}

// TestShiftsMerge: a one-member rotation is one shift however many
// handoffs the window holds, and an empty schedule has none.
func TestShiftsMerge(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	s := Schedule{Loc: ny, Layers: []Layer{{Days: DaysDaily, Handoff: hm(9, 0), Start: date(2026, 1, 5), Members: []PersonID{"solo"}}}}
	from, to := time.Date(2026, 3, 1, 0, 0, 0, 0, ny), time.Date(2026, 3, 15, 0, 0, 0, 0, ny)
	want := []Shift{{Person: "solo", From: from, To: to}}
	if diff := cmp.Diff(want, Shifts(s, from, to)); diff != "" {
		t.Errorf("Shifts (-want +got):\n%s", diff)
	}
	if got := Shifts(Schedule{Loc: ny}, from, to); len(got) != 0 {
		t.Errorf("empty schedule: %v", got)
	}
}
