package ui

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"

	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// auditRow is one entry of the audit log on the page.
type auditRow struct {
	store.AuditEntry
	When template.HTML
}

type auditData struct {
	Rows   []auditRow
	Filter url.Values
	// Older is the link to the next page; "" on the last.
	Older string
	// CSV and JSON are the exports of what the filters select.
	CSV, JSON string
}

// handleAudit renders "/audit": the audit log for administrators, newest
// first, filtered as GET /api/v1/audit filters it, with its CSV export.
func (s *UI) handleAudit(w http.ResponseWriter, r *http.Request, u store.User) error {
	if err := webcore.RequireAdmin(u, "the audit log"); err != nil {
		return err
	}
	f, err := webcore.AuditFilter(r)
	if err != nil {
		return err
	}
	es, err := s.d.Store.AuditLog(r.Context(), f)
	if err != nil {
		return fmt.Errorf("reading the audit log: %w", err)
	}
	q := url.Values{}
	for _, k := range []string{"since", "until", "actor", "action", "kind", "object"} {
		if v := r.URL.Query().Get(k); v != "" {
			q.Set(k, v)
		}
	}
	data := auditData{Filter: q}
	clk := clock{now: s.d.Now(), loc: viewerZone(r)}
	for _, e := range es {
		data.Rows = append(data.Rows, auditRow{AuditEntry: e, When: clk.when(e.Time)})
	}
	if n := len(es); n > 0 && n == f.Page.Limit {
		older := url.Values{}
		for k, v := range q {
			older[k] = v
		}
		older.Set("before", strconv.FormatInt(es[n-1].ID, 10))
		data.Older = "/audit?" + older.Encode()
	}
	csv := url.Values{"format": {"csv"}}
	for k, v := range q {
		csv[k] = v
	}
	data.CSV = "/api/v1/audit?" + csv.Encode()
	data.JSON = "/api/v1/audit?" + q.Encode()
	s.Render(w, r, http.StatusOK, "audit.html", &u, "Audit log", data)
	return nil
}
