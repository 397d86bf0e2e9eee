package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// ServiceOncall is GET /api/v1/services/{id}/oncall: who owns the
// service, who is on call for it now and next, and its escalation path
// resolved now.
type ServiceOncall struct {
	Service string `json:"service"`
	Name    string `json:"name"`
	// OnCallNow are the ids of the people the first escalation step
	// reaches now.
	OnCallNow  []string        `json:"oncall_now"`
	Next       []OncallShift   `json:"next"`
	Policy     *OncallPolicy   `json:"policy"`
	Owners     []catalog.Owner `json:"owners"`
	Runbook    string          `json:"runbook"`
	Tier       *int            `json:"tier"`
	Contacts   []string        `json:"contacts"`
	DependsOn  []string        `json:"depends_on"`
	Dependents []string        `json:"dependents"`
	Monitors   []string        `json:"monitors"`
	Heartbeats []string        `json:"heartbeats"`
	Tags       []string        `json:"tags"`
	Warnings   []string        `json:"warnings"`
}

// OncallShift is a schedule's next handoff: who comes on call, and when.
type OncallShift struct {
	Schedule string    `json:"schedule"`
	From     time.Time `json:"from"`
	People   []string  `json:"people"`
}

// OncallPolicy is an escalation policy with its steps resolved now.
type OncallPolicy struct {
	ID     string       `json:"id"`
	Name   string       `json:"name"`
	Repeat int          `json:"repeat"`
	Steps  []OncallStep `json:"steps"`
}

// OncallStep is one step of a policy.
type OncallStep struct {
	AfterSeconds float64           `json:"after_seconds"`
	Notify       []string          `json:"notify"`
	Recipients   []OncallRecipient `json:"recipients"`
}

// OncallRecipient is whom a step's target reaches now.
type OncallRecipient struct {
	Target   string          `json:"target"`
	Kind     string          `json:"kind"`
	ID       string          `json:"id"`
	Name     string          `json:"name"`
	Contacts []OncallContact `json:"contacts"`
	Problem  string          `json:"problem,omitempty"`
}

// OncallContact is one way a recipient is reached.
type OncallContact struct {
	Channel      string  `json:"channel"`
	AfterSeconds float64 `json:"after_seconds"`
	Address      string  `json:"address,omitempty"`
}

// serveServiceOncall serves GET /api/v1/services/{id}/oncall.
func (s *API) serveServiceOncall(w http.ResponseWriter, r *http.Request, _ store.User) error {
	id := r.PathValue("id")
	cat := s.d.Runtime.Catalog()
	svc, ok := cat.Service(id)
	if !ok {
		return errs.Errorf(errs.ENOTFOUND, "no service %q is configured", id)
	}
	now := s.d.Now()
	out := ServiceOncall{Service: svc.ID, Name: svc.Name, Owners: nonNil(svc.Owners), Runbook: svc.Runbook,
		Contacts: nonNil(svc.Contacts), DependsOn: nonNil(svc.DependsOn), Dependents: nonNil(svc.Dependents),
		Monitors: nonNil(svc.Monitors), Tags: nonNil(svc.Tags), Warnings: nonNil(cat.ServiceWarnings(id, now)), Heartbeats: []string{}}
	if svc.Tier > 0 {
		out.Tier = &svc.Tier
	}
	for _, hv := range s.d.Heartbeats.Heartbeats() {
		if hv.Config.Service == id {
			out.Heartbeats = append(out.Heartbeats, hv.Config.ID)
		}
	}
	onCall, next := cat.ServiceOnCall(id, now)
	out.OnCallNow = nonNil(onCall)
	out.Next = []OncallShift{}
	for _, sh := range next {
		out.Next = append(out.Next, OncallShift{Schedule: sh.Schedule, From: sh.From.UTC(), People: nonNil(sh.People)})
	}
	if p, steps, ok := cat.Path(id, now); ok {
		op := &OncallPolicy{ID: p.ID, Name: p.Name, Repeat: p.Repeat, Steps: []OncallStep{}}
		for _, st := range steps {
			os := OncallStep{AfterSeconds: st.After.Seconds(), Notify: nonNil(st.Notify), Recipients: []OncallRecipient{}}
			for _, rc := range st.Recipients {
				or := OncallRecipient{Target: rc.Target, Kind: rc.Kind, ID: rc.ID, Name: rc.Name, Problem: rc.Problem, Contacts: []OncallContact{}}
				for _, c := range rc.Contacts {
					or.Contacts = append(or.Contacts, OncallContact{Channel: c.Channel, AfterSeconds: c.After.Seconds(), Address: c.Address})
				}
				os.Recipients = append(os.Recipients, or)
			}
			op.Steps = append(op.Steps, os)
		}
		out.Policy = op
	}
	webcore.WriteJSON(w, http.StatusOK, One[ServiceOncall]{Data: out})
	return nil
}

// nonNil returns list, or an empty list for nil, so JSON shows [] rather
// than null.
func nonNil[T any](list []T) []T {
	if list == nil {
		return []T{}
	}
	return list
}

// ServiceEntry is one service of the directory, GET /api/v1/services.
type ServiceEntry struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Owners      []catalog.Owner `json:"owners"`
	Tier        *int            `json:"tier"`
	Tags        []string        `json:"tags"`
	Policy      *string         `json:"policy"`
	OnCallNow   []string        `json:"oncall_now"`
	Warnings    []string        `json:"warnings"`
}

// serveServices serves GET /api/v1/services: every service in config
// order, filtered by ?q= as the directory page is (every word in a name,
// id, tag, contact, owner or person on call now). The list is whole, so
// next is always null.
func (s *API) serveServices(w http.ResponseWriter, r *http.Request, _ store.User) error {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len(q) > webcore.MaxQuery {
		return errs.Errorf(errs.EINVALID, "q is longer than %d characters", webcore.MaxQuery)
	}
	cat := s.d.Runtime.Catalog()
	now := s.d.Now()
	out := List[ServiceEntry]{Data: []ServiceEntry{}}
	for _, svc := range cat.Services() {
		onCall := cat.OnCallNow(svc.ID, now)
		words := webcore.ServiceWords(svc)
		for _, pid := range onCall {
			words = append(words, pid)
			if p, ok := cat.Person(pid); ok {
				words = append(words, p.Name)
			}
		}
		if !webcore.Matches(q, words) {
			continue
		}
		e := ServiceEntry{ID: svc.ID, Name: svc.Name, Description: svc.Description, Owners: nonNil(svc.Owners),
			Tags: nonNil(svc.Tags), OnCallNow: nonNil(onCall), Warnings: nonNil(cat.ServiceWarnings(svc.ID, now))}
		if svc.Tier > 0 {
			e.Tier = &svc.Tier
		}
		if _, ok := cat.Policy(svc.Policy); ok {
			e.Policy = &svc.Policy
		}
		out.Data = append(out.Data, e)
	}
	webcore.WriteJSON(w, http.StatusOK, out)
	return nil
}
