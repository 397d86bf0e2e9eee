package ui_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

// TestBrowserIncidentPage declares an incident from a customer's report
// in a real browser and runs it from its page: a note entered with its own
// time and marked misleading, a severity change, the comms role handed to
// a person, and a public update. Each shows on the page and in the stored
// incident.
func TestBrowserIncidentPage(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	chromiumPath := chromium(t)
	e := webtest.New(t, nil)
	webtest.OncallShop(e)
	ctx := newBrowser(t, chromiumPath)
	if err := chromedp.Do(ctx, browserSetup(e.HTTP.URL)...); err != nil {
		t.Fatalf("browser: %v", err)
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		return strings.Join(strings.Fields(s), " ")
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate(e.HTTP.URL+"/incidents"),
		chromedp.WaitVisible(chromedp.CSS(`#declare-form`)),
		chromedp.SendKeys(chromedp.CSS(`#declare-form input[name="title"]`), "Partners cannot fetch the export"),
		chromedp.SetValue(chromedp.CSS(`#declare-form select[name="service"]`), "shop"),
		chromedp.SetValue(chromedp.CSS(`#declare-form select[name="severity"]`), "p2"),
		chromedp.SendKeys(chromedp.CSS(`#declare-form input[name="reported_by"]`), "University of Basel"),
		chromedp.SetValue(chromedp.CSS(`#declare-form select[name="kind"]`), "customer"),
		chromedp.Submit(chromedp.CSS(`#declare-form input[name="title"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#note-form`)),
	)
	if err != nil {
		t.Fatalf("declare: %v", err)
	}
	if got := text(`h1`); !strings.Contains(got, "Partners cannot fetch the export") {
		t.Fatalf("incident page heading: %q", got)
	}
	if got := text(`#state`); got != store.IncidentInvestigating {
		t.Errorf("state: %q", got)
	}
	if got := text(`dl.facts`); !strings.Contains(got, "University of Basel (customer)") || !strings.Contains(got, "declared by admin") {
		t.Errorf("facts: %q", got)
	}

	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`#note-form textarea[name="text"]`), "Restarted the SFTP daemon: no change"),
		chromedp.SendKeys(chromedp.CSS(`#note-form input[name="time"]`), "2026-03-01 11:30"),
		chromedp.Click(chromedp.CSS(`#note-form input[name="misleading"]`)),
		chromedp.Submit(chromedp.CSS(`#note-form textarea[name="text"]`)),
		chromedp.WaitVisible(chromedp.CSS(`table.timeline tr.misleading`)),
	)
	if err != nil {
		t.Fatalf("note: %v", err)
	}
	if got := text(`table.timeline tr.misleading`); !strings.Contains(got, "Restarted the SFTP daemon") || !strings.Contains(got, "misleading") || !strings.Contains(got, "UTC") {
		t.Errorf("misleading note row: %q", got)
	}

	err = chromedp.Do(ctx, append([]chromedp.Action[chromedp.Void]{
		chromedp.SetValue(chromedp.CSS(`form[action$="/severity"] select`), "p0")},
		submitted(`form[action$="/severity"] select`)...)...)
	if err != nil {
		t.Fatalf("severity: %v", err)
	}
	if got := text(`#severity`); got != "p0" {
		t.Errorf("severity after the change: %q", got)
	}

	err = chromedp.Do(ctx, append(append([]chromedp.Action[chromedp.Void]{
		chromedp.SetValue(chromedp.CSS(`form[action$="/role"] select`), "comms"),
		chromedp.SendKeys(chromedp.CSS(`form[action$="/role"] input[name="holder"]`), "ann"),
	}, submitted(`form[action$="/role"] input[name="holder"]`)...),
		chromedp.WaitVisible(chromedp.CSS(`ul.roles`)))...)
	if err != nil {
		t.Fatalf("role: %v", err)
	}
	if got := text(`ul.roles`); !strings.Contains(got, "ann") {
		t.Errorf("roles: %q", got)
	}

	err = chromedp.Do(ctx, append([]chromedp.Action[chromedp.Void]{
		chromedp.SendKeys(chromedp.CSS(`#update-form textarea[name="message"]`), "Partners outside the campus cannot fetch the export; we are on it."),
		chromedp.SetValue(chromedp.CSS(`#update-form select[name="status"]`), "identified"),
		chromedp.Click(chromedp.CSS(`#update-form input[name="public"]`))},
		submitted(`#update-form textarea[name="message"]`)...)...)
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	if got := text(`table.timeline`); !strings.Contains(got, "we are on it") {
		t.Errorf("timeline after the update: %q", got)
	}
	if got := text(`#state`); got != store.IncidentIdentified {
		t.Errorf("state after an update with status identified: %q", got)
	}

	list, err := e.Store.Incidents(t.Context(), "", store.Page{Limit: 5})
	if err != nil || len(list) != 1 {
		t.Fatalf("stored incidents: %v, %v", list, err)
	}
	in, err := e.Store.Incident(t.Context(), list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if in.Severity != "p0" || in.ReportedKind != store.ReportedByCustomer || in.ReportedName != "University of Basel" || !slices.Equal(in.Services, []string{"shop"}) {
		t.Errorf("stored incident: %+v", in)
	}
	var kinds []string
	misleading := false
	for _, x := range in.Timeline {
		kinds = append(kinds, x.Kind)
		if x.Kind == store.EntryNote && x.Misleading && x.Text == "Restarted the SFTP daemon: no change" {
			misleading = true
		}
	}
	if !misleading {
		t.Errorf("no misleading note in the stored timeline %v", kinds)
	}
	for _, k := range []string{store.EntryDeclared, store.EntrySeverity, store.EntryRole, store.EntryUpdate} {
		if !slices.Contains(kinds, k) {
			t.Errorf("stored timeline %v lacks %s", kinds, k)
		}
	}
	ups, err := e.Store.IncidentUpdatesOf(t.Context(), in.ID)
	if err != nil || len(ups) == 0 || !ups[0].Public || ups[0].Status != "identified" {
		t.Errorf("stored updates: %+v, %v", ups, err)
	}
}
