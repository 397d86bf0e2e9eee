package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// AuditEntry is an entry of the audit log as GET /api/v1/audit shows it.
type AuditEntry struct {
	ID         int64     `json:"id"`
	Time       time.Time `json:"time"`
	Actor      string    `json:"actor"`
	User       string    `json:"user,omitempty"`
	TokenID    int64     `json:"token_id,omitempty"`
	IP         string    `json:"ip,omitempty"`
	Action     string    `json:"action"`
	ObjectKind string    `json:"object_kind,omitempty"`
	ObjectID   string    `json:"object_id,omitempty"`
	Summary    string    `json:"summary,omitempty"`
}

func toAPIAudit(e store.AuditEntry) AuditEntry {
	return AuditEntry{ID: e.ID, Time: e.Time.UTC(), Actor: e.Actor, User: e.User, TokenID: e.TokenID, IP: e.IP,
		Action: e.Action, ObjectKind: e.ObjectKind, ObjectID: e.ObjectID, Summary: e.Summary}
}

// serveAudit serves GET /api/v1/audit: the audit log, newest first, for
// administrators; ?format=csv exports every entry the filters select.
func (s *API) serveAudit(w http.ResponseWriter, r *http.Request, u store.User) error {
	if err := webcore.RequireAdmin(u, "the audit log"); err != nil {
		return err
	}
	f, err := webcore.AuditFilter(r)
	if err != nil {
		return err
	}
	switch format := r.URL.Query().Get("format"); format {
	case "", "json":
	case "csv":
		limit := 0
		if r.URL.Query().Get("limit") != "" {
			limit = f.Page.Limit
		}
		return webcore.WriteAuditCSV(r.Context(), w, s.d.Store, f, limit)
	default:
		return errs.Errorf(errs.EINVALID, "format is json or csv, not %q", format)
	}
	es, err := s.d.Store.AuditLog(r.Context(), f)
	if err != nil {
		return fmt.Errorf("reading the audit log: %w", err)
	}
	webcore.WriteJSON(w, http.StatusOK, pageList(es, f.Page.Limit, toAPIAudit, func(e store.AuditEntry) int64 { return e.ID }))
	return nil
}
