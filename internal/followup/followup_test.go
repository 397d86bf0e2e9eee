package followup_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/followup"
	"github.com/tocsin/tocsin/internal/store"
)

// sent is one reminder as the simulation saw it go.
type sent struct {
	At   string
	Kind string
	Key  string
}

// simulate runs the clock hour by hour from the bubble's start until end,
// applying each reminder Due decides the way the runner records it, and
// calling change at each hour first.
func simulate(a store.FollowUp, p followup.Policy, hours int, change func(h int, a *store.FollowUp)) []sent {
	var out []sent
	for h := range hours {
		if change != nil {
			change(h, &a)
		}
		now := time.Now().UTC()
		if r, ok := followup.Due(a, now, p); ok {
			out = append(out, sent{At: now.Format("01-02 15:04"), Kind: r.Kind, Key: r.Key})
			if r.Kind == store.ReminderDue {
				a.RemindedDueAt = now
			} else {
				a.RemindedOverdueAt = now
			}
		}
		time.Sleep(time.Hour)
	}
	return out
}

func TestDue(t *testing.T) {
	day := followup.Policy{Before: 24 * time.Hour, Every: 24 * time.Hour}
	for _, tc := range []struct {
		name   string
		a      store.FollowUp
		p      followup.Policy
		change func(h int, a *store.FollowUp)
		want   []sent
	}{{
		// The bubble starts at 2000-01-01 00:00 UTC; due on the 2nd means
		// due by 01-03 00:00.
		name: "due, then overdue once a day until done",
		a:    store.FollowUp{ID: 1, Due: "2000-01-02", Status: store.ActionOpen},
		p:    day,
		change: func(h int, a *store.FollowUp) {
			if h == 4*24+12 {
				a.Status = store.ActionDone
			}
		},
		want: []sent{
			{"01-02 00:00", store.ReminderDue, "due-2000-01-02"},
			{"01-03 00:00", store.ReminderOverdue, "overdue-2000-01-02-0"},
			{"01-04 00:00", store.ReminderOverdue, "overdue-2000-01-02-1"},
			{"01-05 00:00", store.ReminderOverdue, "overdue-2000-01-02-2"},
		},
	}, {
		name: "in the owner's timezone",
		a:    store.FollowUp{ID: 1, Due: "2000-01-02", Timezone: "America/New_York", Status: store.ActionInProgress},
		p:    followup.Policy{Before: 2 * time.Hour, Every: 12 * time.Hour},
		want: []sent{
			{"01-03 03:00", store.ReminderDue, "due-2000-01-02"},
			{"01-03 05:00", store.ReminderOverdue, "overdue-2000-01-02-0"},
			{"01-03 17:00", store.ReminderOverdue, "overdue-2000-01-02-1"},
			{"01-04 05:00", store.ReminderOverdue, "overdue-2000-01-02-2"},
			{"01-04 17:00", store.ReminderOverdue, "overdue-2000-01-02-3"},
			{"01-05 05:00", store.ReminderOverdue, "overdue-2000-01-02-4"},
			{"01-05 17:00", store.ReminderOverdue, "overdue-2000-01-02-5"},
		},
	}, {
		name: "no reminder before when Before is 0; created overdue",
		a:    store.FollowUp{ID: 1, Due: "1999-12-30", Status: store.ActionOpen},
		p:    followup.Policy{Every: 24 * time.Hour},
		want: []sent{
			{"01-01 00:00", store.ReminderOverdue, "overdue-1999-12-30-1"},
			{"01-02 00:00", store.ReminderOverdue, "overdue-1999-12-30-2"},
			{"01-03 00:00", store.ReminderOverdue, "overdue-1999-12-30-3"},
			{"01-04 00:00", store.ReminderOverdue, "overdue-1999-12-30-4"},
			{"01-05 00:00", store.ReminderOverdue, "overdue-1999-12-30-5"},
		},
	}, {
		name: "a new due date earns new reminders",
		a:    store.FollowUp{ID: 1, Due: "2000-01-01", Status: store.ActionOpen},
		p:    day,
		change: func(h int, a *store.FollowUp) {
			if h == 30 { // postponed as the store does it: reminders cleared
				a.Due, a.RemindedDueAt, a.RemindedOverdueAt = "2000-01-03", time.Time{}, time.Time{}
			}
		},
		want: []sent{
			{"01-01 00:00", store.ReminderDue, "due-2000-01-01"},
			{"01-02 00:00", store.ReminderOverdue, "overdue-2000-01-01-0"},
			{"01-03 00:00", store.ReminderDue, "due-2000-01-03"},
			{"01-04 00:00", store.ReminderOverdue, "overdue-2000-01-03-0"},
			{"01-05 00:00", store.ReminderOverdue, "overdue-2000-01-03-1"},
		},
	}, {
		name: "no due date, no reminder",
		a:    store.FollowUp{ID: 1, Status: store.ActionOpen},
		p:    day,
	}, {
		name: "won't do, no reminder",
		a:    store.FollowUp{ID: 1, Due: "2000-01-01", Status: store.ActionWontDo},
		p:    day,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				got := simulate(tc.a, tc.p, 5*24, tc.change)
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("reminders (-want +got):\n%s", diff)
				}
			})
		})
	}
}
