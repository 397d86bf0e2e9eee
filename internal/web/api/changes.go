package api

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/change"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// Change is a change event as /api/v1/changes shows it.
type Change struct {
	ID         int64     `json:"id"`
	Title      string    `json:"title"`
	Author     string    `json:"author"`
	Time       time.Time `json:"time"`
	Services   []string  `json:"services"`
	Components []string  `json:"components"`
	Link       string    `json:"link,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	CreatedBy  string    `json:"created_by"`
}

func toAPIChange(c store.Change) Change {
	out := Change{ID: c.ID, Title: c.Title, Author: c.Author, Time: c.Time, Services: c.Services, Components: c.Components,
		Link: c.Link, CreatedAt: c.CreatedAt, CreatedBy: c.CreatedBy}
	if out.Services == nil {
		out.Services = []string{}
	}
	if out.Components == nil {
		out.Components = []string{}
	}
	return out
}

// changeRequest is the body of POST /api/v1/changes. Time is RFC 3339,
// default now.
type changeRequest struct {
	Title      string   `json:"title"`
	Author     string   `json:"author"`
	Time       string   `json:"time"`
	Services   []string `json:"services"`
	Components []string `json:"components"`
	Link       string   `json:"link"`
}

// serveChangeCreate serves POST /api/v1/changes.
func (s *API) serveChangeCreate(w http.ResponseWriter, r *http.Request, u store.User) error {
	var req changeRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	at, err := webcore.ChangeTime(req.Time)
	if err != nil {
		return err
	}
	c, err := s.d.RecordChange(r.Context(), u, store.Change{Title: req.Title, Author: req.Author, Time: at,
		Services: req.Services, Components: req.Components, Link: req.Link})
	if err != nil {
		return err
	}
	webcore.WriteJSON(w, http.StatusCreated, One[Change]{Data: toAPIChange(c)})
	return nil
}

// serveChanges serves GET /api/v1/changes: change events, newest recorded
// first, ?service= touching a service, ?since= at or after an RFC 3339
// time, paged by ?limit= and ?before=.
func (s *API) serveChanges(w http.ResponseWriter, r *http.Request, _ store.User) error {
	p, err := webcore.PageParams(r)
	if err != nil {
		return err
	}
	f := store.ChangeFilter{Service: r.URL.Query().Get("service"), Page: p}
	if v := r.URL.Query().Get("since"); v != "" {
		if f.Since, err = webcore.ChangeTime(v); err != nil {
			return err
		}
	}
	cs, err := s.d.Store.ChangeList(r.Context(), f)
	if err != nil {
		return fmt.Errorf("reading changes: %w", err)
	}
	webcore.WriteJSON(w, http.StatusOK, pageList(cs, p.Limit, toAPIChange, func(c store.Change) int64 { return c.ID }))
	return nil
}

// serveChange serves GET /api/v1/changes/{id}.
func (s *API) serveChange(w http.ResponseWriter, r *http.Request, _ store.User) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return errs.Errorf(errs.ENOTFOUND, "no change %q: change ids are positive numbers", r.PathValue("id"))
	}
	c, err := s.d.Store.Change(r.Context(), id)
	if err != nil {
		return err
	}
	webcore.WriteJSON(w, http.StatusOK, One[Change]{Data: toAPIChange(c)})
	return nil
}

// Suspect is a change that touched a service or what it depends on,
// shortly before now.
type Suspect struct {
	Change  Change   `json:"change"`
	Touches []string `json:"touches"`
}

// serveServiceChanges serves GET /api/v1/services/{id}/changes: the
// changes of the last 24 hours to the service and everything it depends
// on, newest first, each with what of that it touched.
func (s *API) serveServiceChanges(w http.ResponseWriter, r *http.Request, _ store.User) error {
	id := r.PathValue("id")
	if cat := s.d.Runtime.Catalog(); cat == nil || !hasService(cat, id) {
		return errs.Errorf(errs.ENOTFOUND, "no service %q is configured", id)
	}
	sus, err := s.d.RecentChanges(r.Context(), id)
	if err != nil {
		return err
	}
	out := List[Suspect]{Data: make([]Suspect, 0, len(sus))}
	for _, su := range sus {
		out.Data = append(out.Data, Suspect{Change: toAPIChange(su.Change), Touches: su.Touches})
	}
	webcore.WriteJSON(w, http.StatusOK, out)
	return nil
}

func hasService(cat *catalog.Catalog, id string) bool {
	_, ok := cat.Service(id)
	return ok
}

// Impact is GET /api/v1/impact's answer: what depends on an entry.
type Impact struct {
	Entry    string           `json:"entry"`
	Name     string           `json:"name"`
	Monitors []string         `json:"monitors"`
	Affected []ImpactAffected `json:"affected"`
}

// ImpactAffected is one service that needs the entry.
type ImpactAffected struct {
	Service string `json:"service"`
	Name    string `json:"name"`
	// Direct is true when the service names the entry itself in
	// depends_on.
	Direct bool            `json:"direct"`
	Owners []catalog.Owner `json:"owners"`
	// OnCall are the people paged first for the service now.
	OnCall   []Responder `json:"on_call"`
	Problems []string    `json:"problems"`
}

// Responder is someone on call, with the ways to reach them by phone or
// mail that the configuration gives.
type Responder struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
}

// ToAPIImpact shows an impact preview; the command line prints the same
// shape from the configuration alone.
func ToAPIImpact(r change.ImpactReport) Impact {
	out := Impact{Entry: r.Entry, Name: r.Name, Monitors: r.Monitors, Affected: make([]ImpactAffected, 0, len(r.Affected))}
	if out.Monitors == nil {
		out.Monitors = []string{}
	}
	for _, a := range r.Affected {
		ia := ImpactAffected{Service: a.Service.ID, Name: a.Service.Name, Direct: a.Direct, Owners: nonNil(a.Service.Owners),
			OnCall: []Responder{}, Problems: a.Problems}
		for _, p := range a.OnCall {
			ia.OnCall = append(ia.OnCall, Responder{ID: p.ID, Name: p.Name, Email: p.Email, Phone: p.Phone})
		}
		if ia.Problems == nil {
			ia.Problems = []string{}
		}
		out.Affected = append(out.Affected, ia)
	}
	return out
}

// serveImpact serves GET /api/v1/impact?component=host:ID (or
// component:ID, or a service id).
func (s *API) serveImpact(w http.ResponseWriter, r *http.Request, _ store.User) error {
	rep, err := s.d.Impact(r.URL.Query().Get("component"))
	if err != nil {
		return err
	}
	webcore.WriteJSON(w, http.StatusOK, One[Impact]{Data: ToAPIImpact(rep)})
	return nil
}

// Coverage is GET /api/v1/coverage's answer.
type Coverage struct {
	// Clean is true when there is nothing to fix.
	Clean    bool              `json:"clean"`
	Services []ServiceCoverage `json:"services"`
	Findings []Finding         `json:"findings"`
}

// ServiceCoverage is how one service is watched.
type ServiceCoverage struct {
	ID         string          `json:"id"`
	Name       string          `json:"name"`
	Functional bool            `json:"functional"`
	HasOwner   bool            `json:"has_owner"`
	HasPolicy  bool            `json:"has_policy"`
	Checks     []CoverageCheck `json:"checks"`
}

// CoverageCheck is one monitor or heartbeat of a service and its class,
// "functional" or "liveness".
type CoverageCheck struct {
	Kind  string `json:"kind"`
	ID    string `json:"id"`
	Type  string `json:"type"`
	Class string `json:"class"`
}

// Finding is one thing the coverage report asks someone to fix.
type Finding struct {
	Kind    string `json:"kind"`
	Subject string `json:"subject"`
	Message string `json:"message"`
}

// ToAPICoverage shows a coverage report; the command line prints the
// same shape from the configuration alone.
func ToAPICoverage(r change.Report) Coverage {
	out := Coverage{Clean: r.Clean(), Services: make([]ServiceCoverage, 0, len(r.Services)), Findings: make([]Finding, 0, len(r.Findings))}
	for _, s := range r.Services {
		sc := ServiceCoverage{ID: s.ID, Name: s.Name, Functional: s.Functional, HasOwner: s.HasOwner, HasPolicy: s.HasPolicy,
			Checks: make([]CoverageCheck, 0, len(s.Checks))}
		for _, c := range s.Checks {
			sc.Checks = append(sc.Checks, CoverageCheck{Kind: c.Kind, ID: c.ID, Type: c.Type, Class: string(c.Class)})
		}
		out.Services = append(out.Services, sc)
	}
	for _, f := range r.Findings {
		out.Findings = append(out.Findings, Finding(f))
	}
	return out
}

// serveCoverage serves GET /api/v1/coverage.
func (s *API) serveCoverage(w http.ResponseWriter, _ *http.Request, _ store.User) error {
	webcore.WriteJSON(w, http.StatusOK, One[Coverage]{Data: ToAPICoverage(s.d.Coverage())})
	return nil
}
