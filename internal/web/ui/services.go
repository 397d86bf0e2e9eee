package ui

import (
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/cron"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/heartbeat/schedule"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// personView is a person as the who-to-contact page and the directory
// show them: how to reach them and what time it is where they are.
type personView struct {
	catalog.Person
	// Local is the time now in the person's zone ("14:02 CET"); "" when
	// they have no zone.
	Local string
	// OnCall names the schedules the person is on call for now.
	OnCall []string
}

// shiftView is a schedule's next handoff.
type shiftView struct {
	Schedule string
	When     template.HTML
	People   []personView
}

// stepView is one escalation step resolved now.
type stepView struct {
	N          int
	After      string
	Notify     []string
	Recipients []recipientView
}

type recipientView struct {
	catalog.Recipient
	Person *personView
	// Contacts in words: "hook at once, mail after 5m".
	Ways string
}

// dependencyView is one thing a service depends on, or one dependent.
type dependencyView struct {
	Kind, ID, Name string
	URL            string
	Status         string
	Contacts       []string
}

// watcherView is one monitor or heartbeat of the service.
type watcherView struct {
	ID, Name, Kind, URL, Status string
}

type serviceData struct {
	Service    catalog.Service
	RunbookURL string
	Now        template.HTML
	OnCall     []personView
	Next       []shiftView
	Policy     *config.EscalationPolicy
	Steps      []stepView
	DependsOn  []dependencyView
	Dependents []dependencyView
	Watchers   []watcherView
	Warnings   []string
	// Alerts are the service's paged alerts not yet resolved.
	Alerts activeAlerts
	// Changes are the changes of the last day to the service or anything
	// it depends on.
	Changes []changeRow
}

func (serviceData) refresh() bool { return true }

// handleService renders "/services/{id}", the who-to-contact page: who
// owns the service, who is on call now and next, whom each escalation
// step reaches now, the runbook, contacts, dependencies and dependents,
// and what watches it.
func (s *UI) handleService(w http.ResponseWriter, r *http.Request, u store.User) error {
	id := r.PathValue("id")
	cat := s.d.Runtime.Catalog()
	svc, ok := cat.Service(id)
	if !ok {
		return errs.Errorf(errs.ENOTFOUND, "There is no service %q in the running configuration.", id)
	}
	now := s.d.Now()
	clk := clock{now: now, loc: viewerZone(r)}
	data := serviceData{Service: svc, Now: clk.when(now), Warnings: cat.ServiceWarnings(id, now)}
	if rb := strings.TrimSpace(svc.Runbook); (strings.HasPrefix(rb, "https://") || strings.HasPrefix(rb, "http://")) && !strings.ContainsAny(rb, " \t\n") {
		data.RunbookURL = rb
	}
	onCallNow, next := cat.ServiceOnCall(id, now)
	for _, pid := range onCallNow {
		data.OnCall = append(data.OnCall, s.person(cat, pid, now))
	}
	for _, sh := range next {
		sv := shiftView{Schedule: sh.Schedule, When: clk.when(sh.From)}
		if sc, ok := cat.Schedule(sh.Schedule); ok {
			sv.Schedule = sc.Name
		}
		for _, pid := range sh.People {
			sv.People = append(sv.People, s.person(cat, pid, now))
		}
		data.Next = append(data.Next, sv)
	}
	if p, steps, ok := cat.Path(id, now); ok {
		data.Policy = &p
		for i, st := range steps {
			sv := stepView{N: i + 1, After: afterWords(st.After), Notify: st.Notify}
			for _, rc := range st.Recipients {
				rv := recipientView{Recipient: rc, Ways: waysWords(rc.Contacts)}
				if rc.Kind == catalog.KindPerson {
					if _, known := cat.Person(rc.ID); known {
						pv := s.person(cat, rc.ID, now)
						rv.Person = &pv
					}
				}
				sv.Recipients = append(sv.Recipients, rv)
			}
			data.Steps = append(data.Steps, sv)
		}
	}
	for _, d := range svc.DependsOn {
		data.DependsOn = append(data.DependsOn, s.dependency(cat, d))
	}
	for _, d := range svc.Dependents {
		data.Dependents = append(data.Dependents, s.dependency(cat, d))
	}
	for _, mid := range svc.Monitors {
		wv := watcherView{ID: mid, Name: mid, Kind: "monitor", URL: "/monitors/" + mid, Status: s.status(mid)}
		if mv, ok := s.d.Runtime.Monitor(mid); ok && mv.Config.Name != "" {
			wv.Name = mv.Config.Name
		}
		data.Watchers = append(data.Watchers, wv)
	}
	for _, hv := range s.d.Heartbeats.Heartbeats() {
		if hv.Config.Service == id {
			data.Watchers = append(data.Watchers, watcherView{ID: hv.Config.ID, Name: orDefault(hv.Config.Name, hv.Config.ID),
				Kind: "heartbeat", URL: heartbeatURL(hv.Config.ID), Status: hv.DisplayStatus()})
		}
	}
	var err error
	if data.Alerts, err = s.activeAlerts(r.Context(), id, clk); err != nil {
		return err
	}
	if data.Changes, err = s.recentChanges(r, id, clk); err != nil {
		return err
	}
	s.Render(w, r, http.StatusOK, "service.html", &u, "Who to contact: "+svc.Name, data)
	return nil
}

// person describes a person now: their contacts, local time and the
// schedules they are on call for.
func (s *UI) person(cat *catalog.Catalog, id string, now time.Time) personView {
	p, ok := cat.Person(id)
	if !ok {
		return personView{Person: catalog.Person{ID: id, Name: id}}
	}
	pv := personView{Person: p}
	if p.Timezone != "" {
		if loc, err := cron.LoadLocation(p.Timezone); err == nil {
			pv.Local = now.In(loc).Format("Mon 15:04 MST")
		}
	}
	for _, sc := range cat.Schedules() {
		if slices.Contains(cat.OnCall(sc.ID, now), id) {
			pv.OnCall = append(pv.OnCall, sc.Name)
		}
	}
	return pv
}

// dependency describes a depends_on entry with the state of what watches it.
func (s *UI) dependency(cat *catalog.Catalog, entry string) dependencyView {
	kind, id := config.ParseDependency(entry)
	dv := dependencyView{Kind: kind, ID: id, Name: id}
	var monitors []string
	switch kind {
	case config.DependHost:
		if h, ok := cat.Host(id); ok {
			dv.Name = orDefault(h.Name, id)
			monitors = h.Monitors
			if h.Address != "" {
				dv.Contacts = []string{h.Address}
			}
		}
	case config.DependComponent:
		if c, ok := cat.Component(id); ok {
			dv.Name = orDefault(c.Name, id)
			monitors = c.Monitors
			dv.Contacts = c.Contacts
		}
	default:
		dv.URL = "/services/" + id
		if svc, ok := cat.Service(id); ok {
			dv.Name = svc.Name
			monitors = svc.Monitors
			dv.Contacts = svc.Contacts
			for _, hv := range s.d.Heartbeats.Heartbeats() {
				if hv.Config.Service == id {
					monitors = append(monitors, hv.Config.ID)
				}
			}
		}
	}
	dv.Status = s.worst(monitors)
	return dv
}

// statusRank orders statuses from best to worst for worst.
var statusRank = map[string]int{"": 0, "pending": 1, "new": 1, "paused": 1, "up": 2, "running": 2, "warning": 3, "late": 3, "down": 4}

// worst returns the worst status among the monitors and heartbeats named,
// "" when there are none.
func (s *UI) worst(ids []string) string {
	out := ""
	for _, id := range ids {
		if st := s.status(id); statusRank[st] > statusRank[out] {
			out = st
		}
	}
	return out
}

// status returns the shown status of a monitor or heartbeat, "" when
// neither runs with that id.
func (s *UI) status(id string) string {
	if mv, ok := s.d.Runtime.Monitor(id); ok {
		return webcore.StatusOf(mv.State)
	}
	if hv, ok := s.d.Heartbeats.Heartbeat(id); ok {
		return hv.DisplayStatus()
	}
	return ""
}

func afterWords(d time.Duration) string {
	if d == 0 {
		return "at once"
	}
	return "after " + schedule.FormatDuration(d)
}

// waysWords says how a recipient is reached: "hook at once, mail after 5m".
func waysWords(cs []catalog.Contact) string {
	parts := make([]string, 0, len(cs))
	for _, c := range cs {
		w := c.Channel
		if c.Address != "" {
			w += " (" + c.Address + ")"
		}
		parts = append(parts, w+" "+afterWords(c.After))
	}
	return strings.Join(parts, ", ")
}

func orDefault(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

// directoryService is one row of the directory's services.
type directoryService struct {
	catalog.Service
	OnCall   []personView
	Warnings int
}

type directoryTeam struct {
	catalog.Team
}

type directoryData struct {
	Query    string
	Services []directoryService
	People   []personView
	Teams    []directoryTeam
	Total    int
	// Warnings are every catalog warning, shown with the whole directory.
	Warnings []catalog.Warning
}

// handleDirectory renders "/services": every service, person and team,
// filtered by ?q= (a word of a name, id, tag, email, phone or owner).
func (s *UI) handleDirectory(w http.ResponseWriter, r *http.Request, u store.User) error {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len(q) > webcore.MaxQuery {
		return errs.Errorf(errs.EINVALID, "The search is longer than %d characters.", webcore.MaxQuery)
	}
	cat := s.d.Runtime.Catalog()
	now := s.d.Now()
	data := directoryData{Query: q}
	for _, svc := range cat.Services() {
		words := webcore.ServiceWords(svc)
		onCall := cat.OnCallNow(svc.ID, now)
		ds := directoryService{Service: svc, Warnings: len(cat.ServiceWarnings(svc.ID, now))}
		for _, pid := range onCall {
			pv := s.person(cat, pid, now)
			ds.OnCall = append(ds.OnCall, pv)
			words = append(words, pv.ID, pv.Name)
		}
		if webcore.Matches(q, words) {
			data.Services = append(data.Services, ds)
		}
	}
	for _, p := range cat.People() {
		pv := s.person(cat, p.ID, now)
		words := append([]string{p.ID, p.Name, p.Email, p.Phone, p.Timezone}, p.Teams...)
		words = append(words, pv.OnCall...)
		if webcore.Matches(q, words) {
			data.People = append(data.People, pv)
		}
	}
	for _, t := range cat.Teams() {
		words := []string{t.ID, t.Name}
		for _, m := range t.Members {
			words = append(words, m.ID, m.Name)
		}
		if webcore.Matches(q, words) {
			data.Teams = append(data.Teams, directoryTeam{Team: t})
		}
	}
	data.Total = len(data.Services) + len(data.People) + len(data.Teams)
	if q == "" {
		data.Warnings = cat.Warnings()
	}
	s.Render(w, r, http.StatusOK, "directory.html", &u, "Directory", data)
	return nil
}
