package catalog

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/config"
	probekinds "github.com/tocsin/tocsin/internal/probe/kinds"
)

const oncallConfig = `
people:
  - {id: ann, name: Ann, email: ann@example.com, timezone: Europe/Oslo}
  - id: bob
    email: bob@example.com
    phone: "+47 555 00 000"
    contacts: [{channel: hook}, {channel: mail, after: 5m}]
  - {id: cat, name: Cat}
  - {id: dan, contacts: [{channel: hook, after: 1m}]}
  - {id: eve, email: eve@example.com}
  - {id: fay, contacts: [{channel: mail}]}
channels:
  - {id: hook, type: webhook, webhook: {url: "https://example.com/hook"}}
  - {id: mail, type: email, email: {host: smtp.example.com, from: tocsin@example.com, to: [ops@example.com]}}
  - {id: room, type: inbox}
teams:
  - {id: support, name: Application support, members: [ann, cat], channels: [room], escalation_policy: std}
  - {id: empty}
schedules:
  - id: tech
    name: Technical support
    timezone: UTC
    layers: [{rotation: daily, handoff: "09:00", start: 2026-01-05, members: [ann, bob]}]
  - id: office
    timezone: UTC
    layers:
      - {rotation: weekly, handoff: "09:00", start: 2026-01-05, members: [dan], restrict: {days: [weekdays], from: "09:00", to: "17:00"}}
escalation_policies:
  - id: std
    name: Standard
    steps:
      - {after: 0s, notify: [schedule:tech]}
      - {after: 15m, notify: [team:support, channel:hook]}
    repeat: 1
  - id: direct
    steps:
      - {after: 0s, notify: [person:cat, team:empty, schedule:office]}
hosts:
  - {id: h1, monitors: [disk]}
components:
  - {id: wan, kind: network}
services:
  - {id: erp, owners: [support], depends_on: [db, host:h1], runbook: "https://wiki.example.com/erp", tier: 1, tags: [erp]}
  - {id: db, owners: [dan], escalation_policy: direct, depends_on: [component:wan, host:h1]}
  - {id: web, owners: [eve], depends_on: [erp]}
  - {id: orphan}
monitors:
  - {id: disk, service: erp, type: tcp, tcp: {address: "h1:22"}}
heartbeats:
  - {id: logship, service: erp, uuid: 3f2a1c9e-7b4d-4e8a-9c1f-2d6b8a0e5f71, period: 1h}
`

func oncallCatalog(t *testing.T) *Catalog {
	t.Helper()
	cfg, err := config.Parse([]byte(oncallConfig), "x.yaml", probekinds.Config())
	if err != nil {
		t.Fatal(err)
	}
	return New(cfg)
}

var (
	mon10   = time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC) // Monday, ann's shift
	tue10   = time.Date(2026, 1, 6, 10, 0, 0, 0, time.UTC) // bob's shift
	sat10   = time.Date(2026, 1, 10, 10, 0, 0, 0, time.UTC)
	before  = time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC) // before the first shift
	annMail = []Contact{{Channel: "mail", Address: "ann@example.com"}}
	bobWays = []Contact{{Channel: "hook"}, {Channel: "mail", After: 5 * time.Minute, Address: "bob@example.com"}}
)

func TestRecipients(t *testing.T) {
	c := oncallCatalog(t)
	tests := []struct {
		target string
		at     time.Time
		want   []Recipient
	}{
		{"person:bob", mon10, []Recipient{{Target: "person:bob", Kind: "person", ID: "bob", Name: "bob", Contacts: bobWays}}},
		// No contacts: the first email channel, at once, to their address.
		{"person:ann", mon10, []Recipient{{Target: "person:ann", Kind: "person", ID: "ann", Name: "Ann", Contacts: annMail}}},
		{"person:cat", mon10, []Recipient{{Target: "person:cat", Kind: "person", ID: "cat", Name: "Cat", Problem: "Cat has no usable contact"}}},
		{"person:fay", mon10, []Recipient{{Target: "person:fay", Kind: "person", ID: "fay", Name: "fay", Problem: "fay has no usable contact"}}},
		{"person:dan", mon10, []Recipient{{Target: "person:dan", Kind: "person", ID: "dan", Name: "dan", Contacts: []Contact{{Channel: "hook", After: time.Minute}}}}},
		{"team:support", mon10, []Recipient{
			{Target: "team:support", Kind: "person", ID: "ann", Name: "Ann", Contacts: annMail},
			{Target: "team:support", Kind: "person", ID: "cat", Name: "Cat", Problem: "Cat has no usable contact"},
			{Target: "team:support", Kind: "channel", ID: "room", Name: "room", Contacts: []Contact{{Channel: "room"}}},
		}},
		{"team:empty", mon10, []Recipient{{Target: "team:empty", Kind: "team", ID: "empty", Name: "empty", Problem: "team empty has no members and no channels"}}},
		{"schedule:tech", mon10, []Recipient{{Target: "schedule:tech", Kind: "person", ID: "ann", Name: "Ann", Contacts: annMail}}},
		{"schedule:tech", tue10, []Recipient{{Target: "schedule:tech", Kind: "person", ID: "bob", Name: "bob", Contacts: bobWays}}},
		{"schedule:tech", before, []Recipient{{Target: "schedule:tech", Kind: "schedule", ID: "tech", Name: "Technical support", Problem: "nobody is on call for tech"}}},
		{"schedule:office", sat10, []Recipient{{Target: "schedule:office", Kind: "schedule", ID: "office", Name: "office", Problem: "nobody is on call for office"}}},
		{"channel:hook", mon10, []Recipient{{Target: "channel:hook", Kind: "channel", ID: "hook", Name: "hook", Contacts: []Contact{{Channel: "hook"}}}}},
		{"channel:gone", mon10, []Recipient{{Target: "channel:gone", Kind: "channel", ID: "gone", Name: "gone", Problem: `unknown channel "gone"`}}},
		{"person:zed", mon10, []Recipient{{Target: "person:zed", Kind: "person", ID: "zed", Name: "zed", Problem: `unknown person "zed"`}}},
		{"team:zed", mon10, []Recipient{{Target: "team:zed", Kind: "team", ID: "zed", Name: "zed", Problem: `unknown team "zed"`}}},
		{"schedule:zed", mon10, []Recipient{{Target: "schedule:zed", Kind: "schedule", ID: "zed", Name: "zed", Problem: `unknown schedule "zed"`}}},
	}
	for _, tt := range tests {
		got := c.Recipients(tt.target, tt.at)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Recipients(%q, %s) (-want +got):\n%s", tt.target, tt.at.Format(time.DateTime), diff)
		}
	}
	for _, bad := range []string{"", "pager", "group:x", "person:"} {
		got := c.Recipients(bad, mon10)
		if len(got) != 1 || got[0].Problem == "" || len(got[0].Contacts) != 0 {
			t.Errorf("Recipients(%q) = %+v, want one recipient with a problem", bad, got)
		}
	}
	if got := New(nil).Recipients("person:ann", mon10); len(got) != 1 || got[0].Problem == "" {
		t.Errorf("the empty catalog reached %+v", got)
	}
}

func TestPolicyFor(t *testing.T) {
	c := oncallCatalog(t)
	tests := []struct{ service, want string }{
		{"erp", "std"},   // the owning team's
		{"db", "direct"}, // its own
		{"web", ""},      // owned by a person only
		{"orphan", ""},   // no owner
		{"nope", ""},     // unknown
	}
	for _, tt := range tests {
		p, ok := c.PolicyFor(tt.service)
		if ok != (tt.want != "") || p.ID != tt.want {
			t.Errorf("PolicyFor(%q) = %q, %v; want %q", tt.service, p.ID, ok, tt.want)
		}
	}
	p, _ := c.PolicyFor("erp")
	if p.Name != "Standard" || p.Repeat != 1 || len(p.Steps) != 2 || p.Steps[1].After.D() != 15*time.Minute {
		t.Errorf("PolicyFor(erp) = %+v", p)
	}
	if p, _ := c.Policy("direct"); p.Name != "direct" {
		t.Errorf("a policy without a name is named %q, want its id", p.Name)
	}
}

func TestPath(t *testing.T) {
	c := oncallCatalog(t)
	p, steps, ok := c.Path("erp", tue10)
	if !ok || p.ID != "std" || len(steps) != 2 {
		t.Fatalf("Path(erp) = %v, %d steps, %v", p.ID, len(steps), ok)
	}
	if steps[0].After != 0 || len(steps[0].Recipients) != 1 || steps[0].Recipients[0].ID != "bob" {
		t.Errorf("step 1 = %+v, want bob from the schedule", steps[0])
	}
	var ids []string
	for _, r := range steps[1].Recipients {
		ids = append(ids, r.Kind+":"+r.ID)
	}
	if diff := cmp.Diff([]string{"person:ann", "person:cat", "channel:room", "channel:hook"}, ids); diff != "" || steps[1].After != 15*time.Minute {
		t.Errorf("step 2 after %s recipients (-want +got):\n%s", steps[1].After, diff)
	}
	if _, _, ok := c.Path("web", tue10); ok {
		t.Error("Path(web) found a policy")
	}
}

func TestServiceOnCall(t *testing.T) {
	c := oncallCatalog(t)
	now, next := c.ServiceOnCall("erp", mon10)
	want := []Shift{{Schedule: "tech", From: time.Date(2026, 1, 6, 9, 0, 0, 0, time.UTC), People: []string{"bob"}}}
	if diff := cmp.Diff([]string{"ann"}, now); diff != "" {
		t.Errorf("now (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, next); diff != "" {
		t.Errorf("next (-want +got):\n%s", diff)
	}
	// db pages cat (no contact) and the office schedule: dan on weekdays.
	now, next = c.ServiceOnCall("db", mon10)
	if diff := cmp.Diff([]string{"cat", "dan"}, now); diff != "" {
		t.Errorf("db now (-want +got):\n%s", diff)
	}
	if len(next) != 1 || !next[0].From.Equal(time.Date(2026, 1, 5, 17, 0, 0, 0, time.UTC)) || next[0].People != nil {
		t.Errorf("db next = %+v, want nobody from 17:00", next)
	}
	if now, next := c.ServiceOnCall("web", mon10); now != nil || next != nil {
		t.Errorf("web, without a policy: %v %v", now, next)
	}
}

func TestServiceFields(t *testing.T) {
	c := oncallCatalog(t)
	erp, _ := c.Service("erp")
	want := Service{ID: "erp", Name: "erp", Owners: erp.Owners, Runbook: "https://wiki.example.com/erp", Tier: 1,
		DependsOn: []string{"db", "host:h1"}, Dependents: []string{"web"}, Policy: "std", Tags: []string{"erp"},
		Monitors: []string{"disk"}, Heartbeats: []string{"logship"}}
	if diff := cmp.Diff(want, erp); diff != "" {
		t.Errorf("Service(erp) (-want +got):\n%s", diff)
	}
	if got := c.AllDependencies("web"); !cmp.Equal(got, []string{"erp", "db", "host:h1", "component:wan"}) {
		t.Errorf("AllDependencies(web) = %v", got)
	}
	if got := c.AllDependents("host:h1"); !cmp.Equal(got, []string{"erp", "db", "web"}) {
		t.Errorf("AllDependents(host:h1) = %v", got)
	}
	if got := c.AllDependents("component:wan"); !cmp.Equal(got, []string{"db", "erp", "web"}) {
		t.Errorf("AllDependents(component:wan) = %v", got)
	}
	if got := c.DependentsOf("db"); !cmp.Equal(got, []string{"erp"}) {
		t.Errorf("DependentsOf(db) = %v", got)
	}
	if h, ok := c.Host("h1"); !ok || h.Name != "h1" || len(c.Hosts()) != 1 {
		t.Errorf("Host(h1) = %+v, %v", h, ok)
	}
	if co, ok := c.Component("wan"); !ok || co.Kind != "network" || len(c.Components()) != 1 {
		t.Errorf("Component(wan) = %+v, %v", co, ok)
	}
	if tm, _ := c.Team("support"); tm.Policy != "std" || !cmp.Equal(tm.Channels, []string{"room"}) {
		t.Errorf("Team(support) = %+v", tm)
	}
	if p, _ := c.Person("bob"); p.Phone != "+47 555 00 000" || !cmp.Equal(p.Contacts, bobWays) {
		t.Errorf("Person(bob) = %+v", p)
	}
	if s, ok := c.Schedule("tech"); !ok || s.Name != "Technical support" || s.Timezone != "UTC" || len(c.Schedules()) != 2 {
		t.Errorf("Schedule(tech) = %+v, %v", s, ok)
	}
}

func TestWarnings(t *testing.T) {
	c := oncallCatalog(t)
	var got []string
	for _, w := range c.Warnings() {
		got = append(got, w.Kind+" "+w.ID)
	}
	want := []string{
		"service_without_escalation_policy web",
		"service_without_owner orphan",
		"service_without_escalation_policy orphan",
		"contact_without_address fay",
		// cat is in support (paged by std) and named by direct.
		"person_without_contact cat",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Warnings (-want +got):\n%s", diff)
	}
	w := c.Warnings()[4].Message
	if !strings.Contains(w, `"std", "direct"`) || !strings.Contains(w, "no contacts and no email address") {
		t.Errorf("warning %q does not name the policies and the reason", w)
	}
	if c.CountWarnings(WarnServiceNoPolicy) != 2 || c.CountWarnings(WarnPersonNoContact) != 1 || c.CountWarnings(WarnServiceNoOwner) != 1 {
		t.Errorf("counts: %d %d %d", c.CountWarnings(WarnServiceNoPolicy), c.CountWarnings(WarnPersonNoContact), c.CountWarnings(WarnServiceNoOwner))
	}
	if len(New(nil).Warnings()) != 0 {
		t.Error("the empty catalog warns")
	}
}

func TestServiceWarnings(t *testing.T) {
	c := oncallCatalog(t)
	if got := c.ServiceWarnings("erp", mon10); !cmp.Equal(got, []string{"step 2 (team:support): Cat has no usable contact"}) {
		t.Errorf("ServiceWarnings(erp, Monday) = %q", got)
	}
	got := c.ServiceWarnings("erp", before)
	if len(got) != 2 || got[0] != "step 1 (schedule:tech): nobody is on call for tech" {
		t.Errorf("ServiceWarnings(erp, before the first shift) = %q", got)
	}
	got = c.ServiceWarnings("orphan", mon10)
	if len(got) != 2 || !strings.Contains(got[0], "no owner") || !strings.Contains(got[1], "no escalation policy") {
		t.Errorf("ServiceWarnings(orphan) = %q", got)
	}
}
