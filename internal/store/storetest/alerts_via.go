package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/store"
)

// testAlertActVia records where people acted in the log: "via the web
// UI" on an acknowledgement, after the end of a snooze, on a
// resolution; nothing when Via is empty; invalid UTF-8 made valid.
func testAlertActVia(t *testing.T, s store.Store, _ *Clock) {
	ctx := t.Context()
	at := base.Add(2 * time.Hour)
	saveChanges(t, s, change("via", "web", true, at))
	id := active(t, s, "via").ID
	_, err := s.Act(ctx, id, store.AlertAct{Kind: store.ActAcknowledge, Who: "user:ana", At: at, Via: "the web UI"})
	must(t, err, "acknowledge via the web UI")
	_, err = s.Act(ctx, id, store.AlertAct{Kind: store.ActUnacknowledge, Who: "user:ana", At: at.Add(time.Minute)})
	must(t, err, "unacknowledge without via")
	_, err = s.Act(ctx, id, store.AlertAct{Kind: store.ActSnooze, Who: "user:bo", At: at.Add(2 * time.Minute), Until: at.Add(time.Hour), Via: bad("the API")})
	must(t, err, "snooze via the API")
	a, err := s.Act(ctx, id, store.AlertAct{Kind: store.ActResolve, Who: "user:bo", At: at.Add(3 * time.Minute), Via: "the command line"})
	must(t, err, "resolve via the command line")
	a, err = s.Alert(ctx, a.ID)
	must(t, err, "Alert")
	var got []string
	for _, x := range a.Actions {
		got = append(got, x.Kind+": "+x.Detail)
	}
	want := []string{
		"opened: monitor web failed: web reason",
		"acknowledged: via the web UI",
		"unacknowledged: ",
		"snoozed: until " + at.Add(time.Hour).UTC().Format(time.RFC3339) + " via " + fixed("the API"),
		"resolved: via the command line",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("log =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
