package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// testPostmortems covers stored postmortems: created as a draft on first
// save, edited, moved through review to published with the approver,
// frozen once published, and listed and searched when published.
func testPostmortems(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	open := func(title string) int64 {
		t.Helper()
		in, err := s.OpenIncident(ctx, store.Incident{Title: title, Severity: "p2", OpenedAt: clk.Now(), DetectedAt: clk.Now(),
			ReportedKind: store.ReportedByStaff, ReportedAt: clk.Now(), DeclaredBy: "ann"}, 0, nil)
		must(t, err, "OpenIncident")
		return in.ID
	}
	a, b := open("disk full"), open("certificate expired")
	if _, err := s.Postmortem(ctx, a); errs.Code(err) != errs.ENOTFOUND {
		t.Fatalf("Postmortem before any save: %v", err)
	}
	if _, err := s.SavePostmortem(ctx, store.Postmortem{IncidentID: 99999, Body: "x"}, "ann"); errs.Code(err) != errs.ENOTFOUND {
		t.Fatalf("save for no incident: %v", err)
	}
	created := clk.Now()
	p, err := s.SavePostmortem(ctx, store.Postmortem{IncidentID: a, Title: "Disk full", Body: "# Disk full\n\nThe DB disk \xff filled."}, "ann")
	must(t, err, "SavePostmortem")
	if p.State != store.PostmortemDraft || p.CreatedBy != "ann" || !p.CreatedAt.Equal(created) || p.Body != "# Disk full\n\nThe DB disk \uFFFD filled." ||
		!p.ApprovedAt.IsZero() || p.ApprovedBy != "" {
		t.Fatalf("first save: %+v", p)
	}
	clk.Add(time.Minute)
	p, err = s.SavePostmortem(ctx, store.Postmortem{IncidentID: a, Title: "Disk full", Body: "# Disk full\n\nRoot cause: log rotation off."}, "bo")
	must(t, err, "SavePostmortem again")
	if p.UpdatedBy != "bo" || !p.UpdatedAt.Equal(clk.Now()) || p.CreatedBy != "ann" || !strings.Contains(p.Body, "log rotation") {
		t.Fatalf("edit: %+v", p)
	}
	if _, err := s.SetPostmortemState(ctx, a, store.PostmortemPublished, "cy"); errs.Code(err) != errs.ECONFLICT {
		t.Fatalf("publish a draft: %v", err)
	}
	if _, err := s.SetPostmortemState(ctx, a, "done", "cy"); errs.Code(err) != errs.EINVALID {
		t.Fatalf("unknown state: %v", err)
	}
	if _, err := s.SetPostmortemState(ctx, b, store.PostmortemInReview, "cy"); errs.Code(err) != errs.ENOTFOUND {
		t.Fatalf("review no postmortem: %v", err)
	}
	_, err = s.SetPostmortemState(ctx, a, store.PostmortemInReview, "ann")
	must(t, err, "to review")
	clk.Add(time.Minute)
	p, err = s.SetPostmortemState(ctx, a, store.PostmortemPublished, "cy")
	must(t, err, "publish")
	if p.State != store.PostmortemPublished || p.ApprovedBy != "cy" || !p.ApprovedAt.Equal(clk.Now()) {
		t.Fatalf("published: %+v", p)
	}
	if _, err := s.SavePostmortem(ctx, store.Postmortem{IncidentID: a, Body: "rewrite history"}, "dan"); errs.Code(err) != errs.ECONFLICT {
		t.Fatalf("edit a published postmortem: %v", err)
	}
	if _, err := s.SetPostmortemState(ctx, a, store.PostmortemDraft, "dan"); errs.Code(err) != errs.ECONFLICT {
		t.Fatalf("unpublish: %v", err)
	}
	_, err = s.SavePostmortem(ctx, store.Postmortem{IncidentID: b, Title: "Certificate expired", Body: "100% of LOG_ROTATION"}, "ann")
	must(t, err, "save b")

	list := func(q string, p store.Page) []int64 {
		t.Helper()
		got, err := s.PublishedPostmortems(ctx, q, p)
		must(t, err, "PublishedPostmortems")
		var ids []int64
		for _, x := range got {
			ids = append(ids, x.IncidentID)
		}
		return ids
	}
	if got := list("", store.Page{}); len(got) != 1 || got[0] != a {
		t.Errorf("published = %v, want only %d (the other is a draft)", got, a)
	}
	_, err = s.SetPostmortemState(ctx, b, store.PostmortemInReview, "ann")
	must(t, err, "b to review")
	_, err = s.SetPostmortemState(ctx, b, store.PostmortemPublished, "cy")
	must(t, err, "publish b")
	for q, want := range map[string]string{"": "ba", "LOG ROTATION": "a", "log_rotation": "b", "100%": "b", "disk": "a", "nothing like it": "", "%": "b"} {
		got := ""
		for _, id := range list(q, store.Page{}) {
			got += map[int64]string{a: "a", b: "b"}[id]
		}
		if got != want {
			t.Errorf("search %q = %q, want %q", q, got, want)
		}
	}
	if got := list("", store.Page{Limit: 1}); len(got) != 1 || got[0] != b {
		t.Errorf("first page = %v", got)
	}
	if got := list("", store.Page{Limit: 1, Before: b}); len(got) != 1 || got[0] != a {
		t.Errorf("second page = %v", got)
	}
}
