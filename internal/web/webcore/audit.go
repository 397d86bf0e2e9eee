package webcore

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/audit"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// maxAuditExport bounds the entries one CSV export writes: past it the
// caller narrows the window.
const maxAuditExport = 1_000_000

// AuditFilter reads the audit log's filters from the query: since and
// until (RFC 3339, or a date, UTC), actor (an actor or a user name),
// action (exact, or a prefix ending in "."), kind, object, and the page.
func AuditFilter(r *http.Request) (store.AuditFilter, error) {
	q := r.URL.Query()
	p, err := PageParams(r)
	if err != nil {
		return store.AuditFilter{}, err
	}
	f := store.AuditFilter{Page: p, Actor: strings.TrimSpace(q.Get("actor")), Action: strings.TrimSpace(q.Get("action")),
		ObjectKind: strings.TrimSpace(q.Get("kind")), ObjectID: strings.TrimSpace(q.Get("object"))}
	for _, v := range []string{f.Actor, f.Action, f.ObjectKind, f.ObjectID} {
		if len(v) > 200 {
			return f, errs.Errorf(errs.EINVALID, "a filter of the audit log is at most 200 bytes")
		}
	}
	if f.Since, err = auditTime("since", q.Get("since")); err != nil {
		return f, err
	}
	if f.Until, err = auditTime("until", q.Get("until")); err != nil {
		return f, err
	}
	return f, nil
}

func auditTime(name, v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	return time.Time{}, errs.Errorf(errs.EINVALID, "%s is a time such as 2026-03-02T09:00:00Z or a date such as 2026-03-02, not %q", name, v)
}

// RequireAdmin refuses a user who is not an administrator: the audit log
// says who did what, which only administrators read.
func RequireAdmin(u store.User, what string) error {
	if !u.Can(store.RoleAdmin) {
		return errs.Errorf(errs.EFORBIDDEN, "%s is for administrators", what)
	}
	return nil
}

// WriteAuditCSV streams every entry f selects (ignoring its page size but
// for a limit the caller asked for) as CSV, newest first.
func WriteAuditCSV(ctx context.Context, w http.ResponseWriter, st store.Audit, f store.AuditFilter, limit int) error {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="tocsin-audit.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	if limit <= 0 {
		limit = maxAuditExport
	}
	header := true
	for written := 0; written < limit; {
		f.Page.Limit = min(1000, limit-written)
		es, err := st.AuditLog(ctx, f)
		if err != nil {
			if header {
				return err // nothing written yet: an error answer
			}
			return nil // the body has started; the cut-off CSV says it
		}
		if err := audit.WriteCSV(w, es, header); err != nil {
			return nil // the client went away
		}
		header = false
		written += len(es)
		if len(es) < f.Page.Limit {
			break
		}
		f.Page.Before = es[len(es)-1].ID
	}
	if header {
		return audit.WriteCSV(w, nil, true)
	}
	return nil
}
