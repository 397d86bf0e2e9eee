package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// incidentTests are the conformance cases of store.Incidents; Run
// registers them.
var incidentTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store, clk *Clock)
}{
	{"IncidentFromAlert", testIncidentFromAlert},
	{"IncidentsOpenedTogether", testIncidentsOpenedTogether},
	{"IncidentsChangedTogether", testIncidentsChangedTogether},
	{"IncidentDeclared", testIncidentDeclared},
	{"IncidentListing", testIncidentListing},
	{"IncidentUpdates", testIncidentUpdates},
	{"IncidentsOpened", testIncidentsOpened},
	{"IncidentsVersion", testIncidentsVersion},
	{"IncidentChangeConcurrent", testIncidentChangeConcurrent},
}

// testIncidentChangeConcurrent has two writers (replicas running the same
// timers) resolve each incident at the same moment: exactly one change is
// written, the other refused with ECONFLICT, so only one notifies.
func testIncidentChangeConcurrent(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	at := clk.Now()
	for i := range 20 {
		in, err := s.OpenIncident(ctx, store.Incident{Title: fmt.Sprintf("race %d", i), Severity: "p2", OpenedAt: at, ReportedKind: store.ReportedByStaff, ReportedAt: at}, 0, nil)
		must(t, err, "OpenIncident")
		var wg sync.WaitGroup
		res := make([]error, 2)
		for w := range res {
			wg.Go(func() {
				_, res[w] = s.ChangeIncident(ctx, store.IncidentChange{ID: in.ID, State: store.IncidentResolved, At: at, Who: "system"})
			})
		}
		wg.Wait()
		if (res[0] == nil) == (res[1] == nil) {
			t.Fatalf("incident %d resolved by two writers at once: %v, %v; want one change and one conflict", in.ID, res[0], res[1])
		}
		wantCode(t, cmp.Or(res[0], res[1]), errs.ECONFLICT, "the second of two changes at once")
	}
}

// testIncidentsVersion: the version grows when an incident opens, gets an
// update and changes state, and stands still when nothing happens.
func testIncidentsVersion(t *testing.T, s store.Store, _ *Clock) {
	ctx := t.Context()
	v := func() int64 {
		t.Helper()
		n, err := s.IncidentsVersion(ctx)
		must(t, err, "IncidentsVersion")
		return n
	}
	last := v()
	step := func(what string) {
		t.Helper()
		if n := v(); n <= last {
			t.Errorf("version after %s = %d, want above %d", what, n, last)
		} else {
			last = n
		}
	}
	at := base.Add(3 * time.Hour)
	in, err := s.OpenIncident(ctx, store.Incident{Title: "version", Severity: "p2", Services: []string{"shop"}, OpenedAt: at, ReportedKind: store.ReportedByStaff, ReportedAt: at}, 0,
		[]store.TimelineEntry{{Time: at, Kind: store.EntryDeclared, Who: "ann", Text: "declared"}})
	must(t, err, "OpenIncident")
	step("opening")
	_, err = s.AddIncidentUpdate(ctx, store.IncidentUpdate{IncidentID: in.ID, Time: at, Status: store.IncidentInvestigating, Message: "m", Public: true, Who: "ann"})
	must(t, err, "AddIncidentUpdate")
	step("an update")
	_, err = s.ChangeIncident(ctx, store.IncidentChange{ID: in.ID, State: store.IncidentIdentified, At: at, Who: "ann", Text: "found"})
	must(t, err, "ChangeIncident")
	step("a state change")
	if n := v(); n != last {
		t.Errorf("version moved from %d to %d with nothing done", last, n)
	}
}

func entryKinds(in store.Incident) []string {
	out := make([]string, len(in.Timeline))
	for i, e := range in.Timeline {
		out[i] = e.Kind
	}
	return out
}

// testIncidentsOpenedTogether: OpenIncidents opens one incident per alert
// in one call, leaves out an alert linked already (or twice in the call),
// and refuses a call holding an invalid opening without storing any.
func testIncidentsOpenedTogether(t *testing.T, s store.Store, _ *Clock) {
	ctx := t.Context()
	at := base.Add(time.Hour)
	var alerts []store.Alert
	for _, svc := range []string{"a", "b", "c"} {
		saveChanges(t, s, change(svc, svc+"-web", true, at))
		alerts = append(alerts, active(t, s, svc))
	}
	opening := func(a store.Alert, title string) store.IncidentOpening {
		return store.IncidentOpening{Incident: store.Incident{Title: title, Severity: "p2", Services: []string{a.ServiceID}, OpenedAt: at, DetectedAt: at,
			ReportedKind: store.ReportedByMonitor}, AlertID: a.ID, Entries: []store.TimelineEntry{{Time: at, Kind: store.EntryOpened, Who: "system", Text: "opened", AlertID: a.ID}}}
	}
	first, err := s.OpenIncident(ctx, opening(alerts[0], "a first").Incident, alerts[0].ID, nil)
	must(t, err, "OpenIncident")

	_, err = s.OpenIncidents(ctx, []store.IncidentOpening{opening(alerts[1], "b"), opening(alerts[2], " ")})
	wantCode(t, err, errs.EINVALID, "OpenIncidents with an untitled incident")
	if _, err := s.IncidentOfAlert(ctx, alerts[1].ID); errs.Code(err) != errs.ENOTFOUND {
		t.Fatalf("a refused call opened an incident for alert b (%v)", err)
	}

	got, err := s.OpenIncidents(ctx, []store.IncidentOpening{opening(alerts[0], "a again"), opening(alerts[1], "b"), opening(alerts[2], "c"), opening(alerts[2], "c again")})
	must(t, err, "OpenIncidents")
	if len(got) != 2 || got[0].Title != "b" || got[1].Title != "c" {
		t.Fatalf("OpenIncidents = %+v, want the incidents of b and c", got)
	}
	for i, in := range got {
		a := alerts[i+1]
		if in.ID == 0 || in.ID == first.ID || !slices.Equal(in.Alerts, []int64{a.ID}) || in.State != store.IncidentInvestigating {
			t.Errorf("opened %+v, want a new investigating incident of alert %d", in, a.ID)
		}
		stored, err := s.IncidentOfAlert(ctx, a.ID)
		must(t, err, "IncidentOfAlert")
		full, err := s.Incident(ctx, stored.ID)
		must(t, err, "Incident")
		if stored.ID != in.ID || full.Title != in.Title || !slices.Contains(entryKinds(full), store.EntryOpened) {
			t.Errorf("stored %+v for alert %d, want incident %d with its first entry", full, a.ID, in.ID)
		}
	}
	if none, err := s.OpenIncidents(ctx, nil); err != nil || len(none) != 0 {
		t.Errorf("OpenIncidents(nil) = %v, %v", none, err)
	}
}

// testIncidentsChangedTogether: ChangeIncidents applies changes in order
// in one call; a refused change (the state it is in, a state it was no
// longer in, no such incident)
// leaves out the later changes of its incident only, and an invalid one
// refuses the call without applying any.
func testIncidentsChangedTogether(t *testing.T, s store.Store, _ *Clock) {
	ctx := t.Context()
	at := base.Add(time.Hour)
	var ids []int64
	for _, title := range []string{"a", "b"} {
		in, err := s.OpenIncident(ctx, store.Incident{Title: title, Severity: "p2", OpenedAt: at, ReportedKind: store.ReportedByStaff}, 0, nil)
		must(t, err, "OpenIncident")
		ids = append(ids, in.ID)
	}
	a, b := ids[0], ids[1]
	_, err := s.ChangeIncidents(ctx, []store.IncidentChange{{ID: a, State: store.IncidentMonitoring, At: at}, {ID: b, State: "sleeping", At: at}})
	wantCode(t, err, errs.EINVALID, "ChangeIncidents with an unknown state")
	applied, err := s.ChangeIncidents(ctx, []store.IncidentChange{
		{ID: a, State: store.IncidentMonitoring, At: at.Add(time.Minute), Who: "system"},
		{ID: b, State: store.IncidentInvestigating, At: at.Add(time.Minute), Who: "system"},
		{ID: a, State: store.IncidentResolved, At: at.Add(2 * time.Minute), Who: "system"},
		{ID: b, State: store.IncidentMonitoring, At: at.Add(2 * time.Minute), Who: "system"},
		{ID: b + 1000, State: store.IncidentMonitoring, At: at, Who: "system"},
	})
	must(t, err, "ChangeIncidents")
	if want := []bool{true, false, true, false, false}; !slices.Equal(applied, want) {
		t.Errorf("applied = %v, want %v", applied, want)
	}
	// A change decided from a state the incident has left (another
	// replica moved it meanwhile) is not applied.
	applied, err = s.ChangeIncidents(ctx, []store.IncidentChange{{ID: a, State: store.IncidentMonitoring, From: store.IncidentInvestigating, At: at.Add(3 * time.Minute)}})
	must(t, err, "ChangeIncidents from a stale state")
	if want := []bool{false}; !slices.Equal(applied, want) {
		t.Errorf("applied = %v, want %v", applied, want)
	}
	gotA, err := s.Incident(ctx, a)
	must(t, err, "Incident a")
	gotB, err := s.Incident(ctx, b)
	must(t, err, "Incident b")
	if gotA.State != store.IncidentResolved || !gotA.ResolvedAt.Equal(at.Add(2*time.Minute)) || gotB.State != store.IncidentInvestigating {
		t.Errorf("after the changes: a %s (resolved %v), b %s; want a resolved at +2m, b investigating", gotA.State, gotA.ResolvedAt, gotB.State)
	}
	if n := strings.Count(strings.Join(entryKinds(gotA), " "), store.EntryState); n != 2 {
		t.Errorf("a has %d state entries, want 2: %v", n, entryKinds(gotA))
	}
}

// testIncidentFromAlert covers an incident opened by a paged alert: the
// link, the merged timeline (the alert's log with the incident's own
// entries), marks on both kinds of entry, a second alert joining, the
// acknowledgement time, and monitoring then resolving.
func testIncidentFromAlert(t *testing.T, s store.Store, _ *Clock) {
	ctx := t.Context()
	at := base.Add(time.Hour)
	saveChanges(t, s, change("shop", "web", true, at))
	a := active(t, s, "shop")
	in, err := s.OpenIncident(ctx, store.Incident{Title: "shop is failing", Severity: "p2", Services: []string{"shop"}, OpenedAt: at,
		DetectedAt: at, ReportedKind: store.ReportedByMonitor, ReportedName: "web"}, a.ID,
		[]store.TimelineEntry{{Time: at, Kind: store.EntryOpened, Who: "system", Text: "opened by alert", AlertID: a.ID}})
	must(t, err, "OpenIncident")
	if in.State != store.IncidentInvestigating || !slices.Equal(in.Alerts, []int64{a.ID}) || !in.DetectedAt.Equal(at) || !in.AcknowledgedAt.IsZero() {
		t.Fatalf("opened incident = %+v", in)
	}
	if got, want := entryKinds(in), []string{"alert.opened", store.EntryOpened}; !slices.Equal(got, want) {
		t.Errorf("timeline = %v, want %v", got, want)
	}
	_, err = s.OpenIncident(ctx, store.Incident{Title: "again", ReportedKind: store.ReportedByMonitor}, a.ID, nil)
	wantCode(t, err, errs.ECONFLICT, "a second incident for one alert")
	got, err := s.IncidentOfAlert(ctx, a.ID)
	must(t, err, "IncidentOfAlert")
	if got.ID != in.ID {
		t.Errorf("IncidentOfAlert = %d, want %d", got.ID, in.ID)
	}
	_, err = s.IncidentOfAlert(ctx, a.ID+100)
	wantCode(t, err, errs.ENOTFOUND, "IncidentOfAlert of an unlinked alert")

	// A dependent service's alert joins.
	saveChanges(t, s, change("cart", "cart-web", true, at.Add(time.Minute)))
	b := active(t, s, "cart")
	must(t, s.LinkAlert(ctx, in.ID, b.ID, store.TimelineEntry{Time: at.Add(time.Minute), Who: "system", Text: "cart impacted"}), "LinkAlert")
	wantCode(t, s.LinkAlert(ctx, in.ID, b.ID, store.TimelineEntry{}), errs.ECONFLICT, "linking twice")
	wantCode(t, s.LinkAlert(ctx, in.ID+100, a.ID+100, store.TimelineEntry{}), errs.ENOTFOUND, "linking to no incident")

	// Marks on an alert action and on an own entry.
	in, err = s.Incident(ctx, in.ID)
	must(t, err, "Incident")
	if !slices.Equal(in.Alerts, []int64{a.ID, b.ID}) {
		t.Errorf("alerts = %v", in.Alerts)
	}
	yes := true
	must(t, s.MarkTimelineEntry(ctx, in.ID, store.TimelineMark{ActionID: in.Timeline[0].ActionID, Key: &yes}), "mark an alert action")
	note, err := s.AddTimelineEntry(ctx, in.ID, store.TimelineEntry{Time: at.Add(-30 * time.Minute), Who: "user:ann", Text: "customer phoned: checkout hangs"})
	must(t, err, "AddTimelineEntry")
	must(t, s.MarkTimelineEntry(ctx, in.ID, store.TimelineMark{EntryID: note.ID, Misleading: &yes}), "mark a note")
	wantCode(t, s.MarkTimelineEntry(ctx, in.ID, store.TimelineMark{EntryID: note.ID + 1000, Key: &yes}), errs.ENOTFOUND, "mark no entry")
	wantCode(t, s.MarkTimelineEntry(ctx, in.ID, store.TimelineMark{ActionID: 999999, Key: &yes}), errs.ENOTFOUND, "mark another alert's action")
	wantCode(t, s.MarkTimelineEntry(ctx, in.ID, store.TimelineMark{}), errs.EINVALID, "mark nothing")
	in, err = s.Incident(ctx, in.ID)
	must(t, err, "Incident")
	first := in.Timeline[0]
	if first.ID != note.ID || !first.Misleading || first.Key || first.Kind != store.EntryNote || first.Text != "customer phoned: checkout hangs" {
		t.Errorf("the note with its own earlier time comes first, misleading: %+v", first)
	}
	if e := in.Timeline[1]; e.ActionID == 0 || !e.Key || e.Kind != "alert.opened" {
		t.Errorf("the alert's opening is a key event: %+v", e)
	}

	// Acknowledged: the first time stays.
	must(t, s.SetIncidentAcknowledged(ctx, in.ID, at.Add(3*time.Minute)), "SetIncidentAcknowledged")
	must(t, s.SetIncidentAcknowledged(ctx, in.ID, at.Add(5*time.Minute)), "SetIncidentAcknowledged later")
	wantCode(t, s.SetIncidentAcknowledged(ctx, in.ID+100, at), errs.ENOTFOUND, "acknowledge no incident")

	// Monitoring, back to investigating, monitoring, resolved.
	in, err = s.ChangeIncident(ctx, store.IncidentChange{ID: in.ID, State: store.IncidentMonitoring, MonitoringSince: at.Add(10 * time.Minute), At: at.Add(10 * time.Minute), Who: "system"})
	must(t, err, "ChangeIncident monitoring")
	if !in.AcknowledgedAt.Equal(at.Add(3*time.Minute)) || !in.MonitoringSince.Equal(at.Add(10*time.Minute)) {
		t.Errorf("acknowledged %v, monitoring since %v", in.AcknowledgedAt, in.MonitoringSince)
	}
	_, err = s.ChangeIncident(ctx, store.IncidentChange{ID: in.ID, State: store.IncidentMonitoring})
	wantCode(t, err, errs.ECONFLICT, "the same state")
	_, err = s.ChangeIncident(ctx, store.IncidentChange{ID: in.ID, State: "gone"})
	wantCode(t, err, errs.EINVALID, "an unknown state")
	in, err = s.ChangeIncident(ctx, store.IncidentChange{ID: in.ID, State: store.IncidentInvestigating, At: at.Add(11 * time.Minute), Who: "system", Text: "web failed again"})
	must(t, err, "ChangeIncident investigating")
	if !in.MonitoringSince.IsZero() {
		t.Errorf("monitoring since %v after leaving monitoring", in.MonitoringSince)
	}
	in, err = s.ChangeIncident(ctx, store.IncidentChange{ID: in.ID, State: store.IncidentResolved, At: at.Add(30 * time.Minute), Who: "system"})
	must(t, err, "ChangeIncident resolved")
	if in.State != store.IncidentResolved || !in.ResolvedAt.Equal(at.Add(30*time.Minute)) || in.ResolvedBy != "system" {
		t.Errorf("resolved incident = %+v", in)
	}
	var states []string
	for _, e := range in.Timeline {
		if e.Kind == store.EntryState {
			states = append(states, e.Text)
		}
	}
	if want := []string{"investigating → monitoring", "monitoring → investigating: web failed again", "investigating → resolved"}; !slices.Equal(states, want) {
		t.Errorf("state entries = %q, want %q", states, want)
	}
}

// testIncidentDeclared covers an incident declared by hand from a
// customer's report: who reported it and when, severity changes and role
// handovers recorded, hostile text kept valid, bad input refused.
func testIncidentDeclared(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	now := clk.Now()
	_, err := s.OpenIncident(ctx, store.Incident{Title: " ", ReportedKind: store.ReportedByCustomer}, 0, nil)
	wantCode(t, err, errs.EINVALID, "no title")
	_, err = s.OpenIncident(ctx, store.Incident{Title: "x", ReportedKind: "robot"}, 0, nil)
	wantCode(t, err, errs.EINVALID, "an unknown reporter kind")
	in, err := s.OpenIncident(ctx, store.Incident{Title: "SFTP export \xff blocked", Severity: "p1", Services: []string{"export"},
		ReportedKind: store.ReportedByCustomer, ReportedName: "ACME \xff support", ReportedAt: now.Add(-2 * time.Hour), DetectedAt: now.Add(-2 * time.Hour), DeclaredBy: "ann"}, 0,
		[]store.TimelineEntry{{Time: now, Kind: store.EntryDeclared, Who: "ann", Text: "declared"}})
	must(t, err, "OpenIncident")
	if in.Title != "SFTP export \uFFFD blocked" || in.ReportedName != "ACME \uFFFD support" || !in.ReportedAt.Equal(now.Add(-2*time.Hour)) ||
		in.DeclaredBy != "ann" || !in.OpenedAt.Equal(now) || len(in.Alerts) != 0 || !slices.Equal(in.Services, []string{"export"}) {
		t.Errorf("declared incident = %+v", in)
	}
	in, err = s.SetIncidentSeverity(ctx, in.ID, "p0", "bob", now.Add(time.Minute))
	must(t, err, "SetIncidentSeverity")
	if in.Severity != "p0" {
		t.Errorf("severity %q", in.Severity)
	}
	_, err = s.SetIncidentSeverity(ctx, in.ID, "p0", "bob", now)
	wantCode(t, err, errs.EINVALID, "the same severity")
	_, err = s.SetIncidentSeverity(ctx, in.ID+100, "p0", "bob", now)
	wantCode(t, err, errs.ENOTFOUND, "no incident")

	_, err = s.AssignIncidentRole(ctx, in.ID, "lead", "ann", "ann", now.Add(2*time.Minute))
	must(t, err, "AssignIncidentRole")
	_, err = s.AssignIncidentRole(ctx, in.ID, "comms", "carl", "ann", now.Add(2*time.Minute))
	must(t, err, "AssignIncidentRole comms")
	_, err = s.AssignIncidentRole(ctx, in.ID, "lead", "ann", "ann", now)
	wantCode(t, err, errs.ECONFLICT, "the same holder")
	_, err = s.AssignIncidentRole(ctx, in.ID, "", "ann", "ann", now)
	wantCode(t, err, errs.EINVALID, "no role")
	in, err = s.AssignIncidentRole(ctx, in.ID, "lead", "bob", "ann", now.Add(time.Hour))
	must(t, err, "handover")
	want := []store.IncidentRoleSpan{
		{Role: "lead", Holder: "ann", AssignedBy: "ann", From: now.Add(2 * time.Minute), Until: now.Add(time.Hour)},
		{Role: "comms", Holder: "carl", AssignedBy: "ann", From: now.Add(2 * time.Minute)},
		{Role: "lead", Holder: "bob", AssignedBy: "ann", From: now.Add(time.Hour)},
	}
	if !slices.Equal(in.Roles, want) {
		t.Errorf("roles = %+v, want %+v", in.Roles, want)
	}
	if got, want := entryKinds(in), []string{store.EntryDeclared, store.EntrySeverity, store.EntryRole, store.EntryRole, store.EntryRole}; !slices.Equal(got, want) {
		t.Errorf("timeline = %v, want %v", got, want)
	}
	if e := in.Timeline[4]; e.Text != "lead: handed over from ann to bob" || e.Who != "ann" {
		t.Errorf("handover entry = %+v", e)
	}
	if e := in.Timeline[1]; e.Text != "severity p1 → p0" || e.Who != "bob" {
		t.Errorf("severity entry = %+v", e)
	}
	_, err = s.AddTimelineEntry(ctx, in.ID+100, store.TimelineEntry{Text: "x"})
	wantCode(t, err, errs.ENOTFOUND, "a note on no incident")
	_, err = s.Incident(ctx, in.ID+100)
	wantCode(t, err, errs.ENOTFOUND, "no incident")
}

// testIncidentListing covers listing by state and paging.
func testIncidentListing(t *testing.T, s store.Store, _ *Clock) {
	ctx := t.Context()
	var ids []int64
	for i := range 5 {
		in, err := s.OpenIncident(ctx, store.Incident{Title: "i", ReportedKind: store.ReportedByStaff, OpenedAt: base.Add(time.Duration(i) * time.Minute)}, 0, nil)
		must(t, err, "OpenIncident")
		ids = append(ids, in.ID)
	}
	_, err := s.ChangeIncident(ctx, store.IncidentChange{ID: ids[1], State: store.IncidentResolved})
	must(t, err, "resolve")
	_, err = s.ChangeIncident(ctx, store.IncidentChange{ID: ids[2], State: store.IncidentPostmortem})
	must(t, err, "postmortem")
	list, err := s.Incidents(ctx, "active", store.Page{Limit: 10})
	must(t, err, "Incidents active")
	var got []int64
	for _, in := range list {
		got = append(got, in.ID)
	}
	if want := []int64{ids[4], ids[3], ids[0]}; !slices.Equal(got, want) {
		t.Errorf("active = %v, want %v", got, want)
	}
	list, err = s.Incidents(ctx, "", store.Page{Limit: 2, Before: ids[3]})
	must(t, err, "Incidents page")
	if len(list) != 2 || list[0].ID != ids[2] || list[1].ID != ids[1] {
		t.Errorf("page before %d: %+v", ids[3], list)
	}
	list, err = s.Incidents(ctx, store.IncidentResolved, store.Page{})
	must(t, err, "Incidents resolved")
	if len(list) != 1 || list[0].ID != ids[1] {
		t.Errorf("resolved: %+v", list)
	}
	_, err = s.Incidents(ctx, "open", store.Page{})
	wantCode(t, err, errs.EINVALID, "an unknown state")
}
