package heartbeat

import (
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/heartbeat/schedule"
	"github.com/tocsin/tocsin/internal/probe"
)

var t0 = time.Date(2026, 3, 28, 10, 8, 0, 0, time.UTC)

func daily() Definition {
	return Definition{ID: "export", UUID: "0b7a4c2e-1f3d-4a5b-8c6d-7e8f9a0b1c2d", Schedule: schedule.Schedule{Period: 24 * time.Hour, Grace: time.Hour}}
}

func ping(kind Kind, at time.Time, rid string) Ping {
	return Ping{Kind: kind, Time: at, RunID: rid, Transport: "http"}
}

func TestApplyStatus(t *testing.T) {
	d := daily()
	tests := []struct {
		name   string
		pings  []Ping
		at     time.Time
		want   Status
		failed bool
	}{
		{"new", nil, t0, StatusNew, false},
		{"log only stays new", []Ping{ping(KindLog, t0, "")}, t0.Add(time.Minute), StatusNew, false},
		{"success", []Ping{ping(KindSuccess, t0, "")}, t0.Add(time.Hour), StatusUp, false},
		{"late inside grace", []Ping{ping(KindSuccess, t0, "")}, t0.Add(24*time.Hour + time.Minute), StatusLate, false},
		{"down after grace", []Ping{ping(KindSuccess, t0, "")}, t0.Add(25 * time.Hour), StatusDown, false},
		{"fail", []Ping{ping(KindFail, t0, "")}, t0.Add(time.Minute), StatusDown, true},
		{"exit 0", []Ping{{Kind: KindExit, ExitStatus: 0, Time: t0}}, t0.Add(time.Minute), StatusUp, false},
		{"exit 2", []Ping{{Kind: KindExit, ExitStatus: 2, Time: t0}}, t0.Add(time.Minute), StatusDown, true},
		{"running", []Ping{ping(KindSuccess, t0, ""), ping(KindStart, t0.Add(time.Hour), "")}, t0.Add(90 * time.Minute), StatusRunning, false},
		{"first run running", []Ping{ping(KindStart, t0, "")}, t0.Add(time.Minute), StatusRunning, false},
		{"run too long", []Ping{ping(KindSuccess, t0, ""), ping(KindStart, t0.Add(time.Hour), "")}, t0.Add(2*time.Hour + time.Second), StatusDown, false},
		{"start does not move the schedule", []Ping{ping(KindSuccess, t0, ""), ping(KindStart, t0.Add(24*time.Hour+30*time.Minute), "")}, t0.Add(25 * time.Hour), StatusDown, false},
		{"success after fail", []Ping{ping(KindFail, t0, ""), ping(KindSuccess, t0.Add(time.Minute), "")}, t0.Add(2 * time.Minute), StatusUp, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s State
			for _, p := range tc.pings {
				s, _ = Apply(d, s, p)
			}
			if got := StatusAt(d, s, tc.at); got != tc.want {
				t.Errorf("StatusAt = %s, want %s (state %+v)", got, tc.want, s)
			}
			if s.LastFailed != tc.failed {
				t.Errorf("LastFailed = %v, want %v", s.LastFailed, tc.failed)
			}
		})
	}
}

func TestRunPairing(t *testing.T) {
	d := daily()
	var s State
	var out Outcome
	// Two overlapping runs with run ids, finishing in the other order.
	s, _ = Apply(d, s, ping(KindStart, t0, "a"))
	s, _ = Apply(d, s, ping(KindStart, t0.Add(10*time.Second), "b"))
	s, out = Apply(d, s, ping(KindSuccess, t0.Add(15*time.Second), "b"))
	if out.Duration != 5*time.Second {
		t.Errorf("run b took %s, want 5s", out.Duration)
	}
	s, out = Apply(d, s, Ping{Kind: KindExit, ExitStatus: 1, RunID: "a", Time: t0.Add(30 * time.Second)})
	if out.Duration != 30*time.Second {
		t.Errorf("run a took %s, want 30s", out.Duration)
	}
	if out.Result == nil || out.Result.Status != probe.Critical || !strings.Contains(out.Result.Reason, "status 1 after 30s") {
		t.Errorf("exit 1 result = %+v", out.Result)
	}
	if len(s.Runs) != 0 {
		t.Errorf("runs left: %+v", s.Runs)
	}
	// A finish with an unknown run id measures nothing; a start without
	// id is ended by a finish without id.
	s, out = Apply(d, s, ping(KindSuccess, t0.Add(time.Minute), "zzz"))
	if out.Duration != 0 {
		t.Errorf("unmatched finish measured %s", out.Duration)
	}
	s, _ = Apply(d, s, ping(KindStart, t0.Add(2*time.Minute), ""))
	s, _ = Apply(d, s, ping(KindStart, t0.Add(3*time.Minute), ""))
	s, out = Apply(d, s, ping(KindSuccess, t0.Add(4*time.Minute), ""))
	if out.Duration != time.Minute || len(s.Runs) != 0 {
		t.Errorf("restarted run took %s (runs %+v), want 1m measured from the newer start", out.Duration, s.Runs)
	}
	// The open runs are bounded.
	for i := range MaxOpenRuns + 5 {
		s, _ = Apply(d, s, ping(KindStart, t0.Add(time.Duration(i)*time.Second), string(rune('a'+i))))
	}
	if len(s.Runs) != MaxOpenRuns {
		t.Errorf("%d open runs, want at most %d", len(s.Runs), MaxOpenRuns)
	}
}

func TestDeadlineAndExpire(t *testing.T) {
	d := daily()
	d.MaxRuntime = 2 * time.Hour
	var s State
	if _, ok := Deadline(d, s); ok {
		t.Fatal("a new heartbeat has a deadline")
	}
	s, _ = Apply(d, s, ping(KindSuccess, t0, ""))
	dl, ok := Deadline(d, s)
	if want := t0.Add(25 * time.Hour); !ok || !dl.Equal(want) {
		t.Fatalf("Deadline = %s, %v; want %s", dl, ok, want)
	}
	s, _ = Apply(d, s, ping(KindStart, t0.Add(23*time.Hour), "r1"))
	if dl, _ := Deadline(d, s); !dl.Equal(t0.Add(25 * time.Hour)) {
		t.Errorf("with a run until 25h, Deadline = %s", dl)
	}
	s, _ = Apply(d, s, ping(KindStart, t0.Add(22*time.Hour), "r0"))
	if dl, _ := Deadline(d, s); !dl.Equal(t0.Add(24 * time.Hour)) {
		t.Errorf("with a run until 24h, Deadline = %s, want the run's end", dl)
	}
	if _, rs := Expire(d, s, t0.Add(24*time.Hour-time.Second)); len(rs) != 0 {
		t.Errorf("Expire before the deadline reported %+v", rs)
	}
	s, rs := Expire(d, s, t0.Add(24*time.Hour))
	if len(rs) != 1 || rs[0].Status != probe.Critical || !strings.Contains(rs[0].Reason, `run "r0" started 2026-03-29 08:08 UTC has not finished within max_runtime 2h`) {
		t.Fatalf("Expire at 24h = %+v", rs)
	}
	s, rs = Expire(d, s, t0.Add(25*time.Hour))
	if len(rs) != 2 {
		t.Fatalf("Expire at 25h = %+v, want the second run and the missed ping", rs)
	}
	want := "no ping since 2026-03-28 10:08 UTC; expected by 2026-03-29 10:08 UTC (every 24h) + 1h grace"
	if rs[1].Reason != want || !rs[1].Time.Equal(t0.Add(25*time.Hour)) {
		t.Errorf("missed result = %q at %s, want %q", rs[1].Reason, rs[1].Time, want)
	}
	if _, ok := Deadline(d, s); ok {
		t.Error("everything was reported, yet a deadline remains")
	}
	if _, rs := Expire(d, s, t0.Add(48*time.Hour)); len(rs) != 0 {
		t.Errorf("a reported deadline was reported again: %+v", rs)
	}
	s, _ = Apply(d, s, ping(KindSuccess, t0.Add(30*time.Hour), "r1"))
	if StatusAt(d, s, t0.Add(30*time.Hour)) != StatusUp || s.Overdue {
		t.Errorf("a ping after the miss does not bring it up: %+v", s)
	}
}

// TestCronDeadlineAcrossDST: a daily 02:30 job in Oslo that pings at
// its time every day never goes late, across both DST changes.
func TestCronDeadlineAcrossDST(t *testing.T) {
	oslo, err := schedule.LoadLocation("Europe/Oslo")
	if err != nil {
		t.Fatal(err)
	}
	d := Definition{ID: "nightly", Schedule: schedule.Schedule{Cron: "30 2 * * *", Location: oslo, Grace: 15 * time.Minute}}
	for _, start := range []time.Time{time.Date(2026, 3, 20, 2, 30, 0, 0, oslo), time.Date(2026, 10, 20, 2, 30, 0, 0, oslo)} {
		var s State
		day := start
		for range 14 {
			at := time.Date(day.Year(), day.Month(), day.Day(), 2, 30, 0, 0, oslo)
			if e := at.Add(-time.Hour); e.In(oslo).Hour() == 2 && e.In(oslo).Minute() == 30 {
				at = e // cron runs the job at the first of a repeated time
			}
			if !s.LastPing.IsZero() {
				if st := StatusAt(d, s, at.Add(-time.Second)); st != StatusUp {
					t.Errorf("just before the %s run: %s, want up", at.Format("2006-01-02"), st)
				}
			}
			s, _ = Apply(d, s, ping(KindSuccess, at, ""))
			day = day.AddDate(0, 0, 1)
		}
	}
}
