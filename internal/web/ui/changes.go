package ui

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tocsin/tocsin/internal/change"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// changeRow is one change event on a page.
type changeRow struct {
	store.Change
	When template.HTML
	// Touches, for a recent change of a service, is what of the service
	// or its dependencies the change names.
	Touches []string
}

type changesData struct {
	Rows    []changeRow
	Service string
	// Older is the link to the next page; "" on the last.
	Older string
	Error string
	Form  changeForm
}

type changeForm struct {
	Title, Author, Time, Services, Components, Link string
}

// splitList reads a comma-separated form field.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// handleChanges renders "/changes": the change events, newest recorded
// first, ?service= those naming a service, with a form to record one.
func (s *UI) handleChanges(w http.ResponseWriter, r *http.Request, u store.User) error {
	return s.renderChanges(w, r, u, http.StatusOK, changesData{})
}

func (s *UI) renderChanges(w http.ResponseWriter, r *http.Request, u store.User, status int, data changesData) error {
	p, err := webcore.PageParams(r)
	if err != nil {
		return err
	}
	data.Service = r.URL.Query().Get("service")
	cs, err := s.d.Store.ChangeList(r.Context(), store.ChangeFilter{Service: data.Service, Page: p})
	if err != nil {
		return fmt.Errorf("listing changes: %w", err)
	}
	clk := clock{now: s.d.Now(), loc: viewerZone(r)}
	for _, c := range cs {
		data.Rows = append(data.Rows, changeRow{Change: c, When: clk.when(c.Time)})
	}
	if n := len(cs); n > 0 && n == p.Limit {
		q := url.Values{"before": {strconv.FormatInt(cs[n-1].ID, 10)}}
		if data.Service != "" {
			q.Set("service", data.Service)
		}
		data.Older = "/changes?" + q.Encode()
	}
	s.Render(w, r, status, "changes.html", &u, "Changes", data)
	return nil
}

// handleChangeCreate records a change from the form: the time is UTC
// (empty for now), services and components are comma-separated.
func (s *UI) handleChangeCreate(w http.ResponseWriter, r *http.Request, u store.User) error {
	if err := s.readForm(w, r); err != nil {
		return err
	}
	f := changeForm{Title: r.PostForm.Get("title"), Author: r.PostForm.Get("author"), Time: strings.TrimSpace(r.PostForm.Get("time")),
		Services: r.PostForm.Get("services"), Components: r.PostForm.Get("components"), Link: r.PostForm.Get("link")}
	fail := func(msg string) error {
		return s.renderChanges(w, r, u, http.StatusBadRequest, changesData{Error: msg, Form: f})
	}
	c := store.Change{Title: f.Title, Author: f.Author, Services: splitList(f.Services), Components: splitList(f.Components), Link: f.Link}
	if f.Time != "" {
		t, err := parseFormTime("change", f.Time)
		if err != nil {
			return fail(err.Error())
		}
		c.Time = t
	}
	if _, err := s.d.RecordChange(r.Context(), u, c); err != nil {
		if errs.Code(err) == errs.EINVALID {
			return fail(errs.Message(err))
		}
		return err
	}
	http.Redirect(w, r, "/changes", http.StatusSeeOther)
	return nil
}

// recentChanges are the service page's "recent changes": those of the
// last day to the service or anything it depends on.
func (s *UI) recentChanges(r *http.Request, serviceID string, clk clock) ([]changeRow, error) {
	sus, err := s.d.RecentChanges(r.Context(), serviceID)
	if err != nil {
		return nil, err
	}
	return suspectRows(sus, clk), nil
}

// suspectRows shows suspect changes with what they touch.
func suspectRows(sus []change.Suspect, clk clock) []changeRow {
	var out []changeRow
	for _, su := range sus {
		out = append(out, changeRow{Change: su.Change, When: clk.when(su.Change.Time), Touches: su.Touches})
	}
	return out
}

type impactData struct {
	Entry  string
	Report *change.ImpactReport
	Error  string
	// Entries are the hosts and components of the configuration, to pick
	// from.
	Entries []string
}

// handleImpact renders "/impact?component=host:ID": every service that
// depends on the host, component or service, with owners and who is on
// call now.
func (s *UI) handleImpact(w http.ResponseWriter, r *http.Request, u store.User) error {
	data := impactData{Entry: strings.TrimSpace(r.URL.Query().Get("component"))}
	if cat := s.d.Runtime.Catalog(); cat != nil {
		for _, h := range cat.Hosts() {
			data.Entries = append(data.Entries, "host:"+h.ID)
		}
		for _, c := range cat.Components() {
			data.Entries = append(data.Entries, "component:"+c.ID)
		}
		for _, sv := range cat.Services() {
			data.Entries = append(data.Entries, sv.ID)
		}
	}
	status := http.StatusOK
	if data.Entry != "" {
		rep, err := s.d.Impact(data.Entry)
		if err != nil {
			data.Error, status = errs.Message(err), http.StatusBadRequest
		} else {
			data.Report = &rep
		}
	}
	s.Render(w, r, status, "impact.html", &u, "Impact preview", data)
	return nil
}

// handleCoverage renders "/coverage": how each service is watched, and
// what to fix.
func (s *UI) handleCoverage(w http.ResponseWriter, r *http.Request, u store.User) error {
	s.Render(w, r, http.StatusOK, "coverage.html", &u, "Coverage", s.d.Coverage())
	return nil
}
