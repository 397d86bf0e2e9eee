package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/web/api"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

// TestIncidentsAPI declares a customer-reported incident, lists and reads
// it, adds a note with its own time, marks entries, changes severity,
// state and roles, and refuses bad input with clear errors.
func TestIncidentsAPI(t *testing.T) {
	e := webtest.New(t, nil)
	e.RT.Cfg.Incidents = config.Incidents{ResolveAfter: config.Duration(10 * time.Minute), Severities: config.DefaultSeverities(),
		Roles: config.DefaultIncidentRoles(), Severity: "p2"}
	c := e.Setup()
	tok := webtest.Bearer(e.Token(c, "ops-script"))
	now := e.Clock.Now()
	post := func(path, body string) webtest.Response {
		hdr := map[string]string{"Content-Type": "application/json"}
		for k, v := range tok {
			hdr[k] = v
		}
		return e.Do(e.Client(), "POST", path, strings.NewReader(body), hdr)
	}
	decode := func(r webtest.Response) api.Incident {
		t.Helper()
		var out api.One[api.Incident]
		if err := json.Unmarshal([]byte(r.Body), &out); err != nil {
			t.Fatalf("%v in %d %s", err, r.Status, r.Body)
		}
		return out.Data
	}

	reported := now.Add(-90 * time.Minute).Format(time.RFC3339)
	r := post("/api/v1/incidents", `{"title":"SFTP export blocked","services":["shop"],"severity":"p1",
		"reported_by":{"name":"ACME support","kind":"customer"},"reported_at":"`+reported+`"}`)
	in := decode(r)
	if r.Status != http.StatusCreated || in.ID == 0 || in.State != "investigating" || in.Severity != "p1" || in.ReportedBy.Kind != "customer" ||
		in.ReportedBy.Name != "ACME support" || in.DeclaredBy != "admin" || in.DetectedAt == nil || !in.DetectedAt.Equal(now.Add(-90*time.Minute)) {
		t.Fatalf("declare = %d %s", r.Status, r.Body)
	}
	for body, want := range map[string]string{
		`{"title":""}`:                                 "needs a title",
		`{"title":"x","severity":"sev9"}`:              "not one of p0, p1, p2",
		`{"title":"x","services":["nope"]}`:            "unknown service",
		`{"title":"x","reported_by":{"kind":"robot"}}`: "not one of customer",
		`{"title":"x","surprise":1}`:                   "surprise",
	} {
		if r := post("/api/v1/incidents", body); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, want) {
			t.Errorf("declare %s = %d %s, want 400 with %q", body, r.Status, r.Body, want)
		}
	}

	base := fmt.Sprintf("/api/v1/incidents/%d", in.ID)
	r = post(base+"/timeline", `{"text":"phoned the firewall team","time":"`+now.Add(-time.Hour).Format(time.RFC3339)+`","key":true}`)
	in = decode(r)
	if r.Status != http.StatusCreated || len(in.Timeline) != 3 {
		t.Fatalf("note = %d %s", r.Status, r.Body)
	}
	note := in.Timeline[1]
	if note.Kind != "note" || note.Text != "phoned the firewall team" || !note.Key || note.Who != "admin" || note.ID == 0 {
		t.Errorf("the note, between the report and the declaration: %+v", note)
	}
	in = decode(post(base+"/timeline", fmt.Sprintf(`{"entry_id":%d,"misleading":true}`, note.ID)))
	if !in.Timeline[1].Misleading || !in.Timeline[1].Key {
		t.Errorf("marked misleading: %+v", in.Timeline[1])
	}
	if r := post(base+"/timeline", `{"entry_id":99999,"key":true}`); r.Status != http.StatusNotFound {
		t.Errorf("mark no entry = %d %s", r.Status, r.Body)
	}
	if r := post(base+"/timeline", `{"text":""}`); r.Status != http.StatusBadRequest {
		t.Errorf("empty note = %d %s", r.Status, r.Body)
	}

	in = decode(post(base+"/severity", `{"severity":"p0"}`))
	if in.Severity != "p0" {
		t.Errorf("severity = %s", in.Severity)
	}
	if r := post(base+"/severity", `{"severity":"p9"}`); r.Status != http.StatusBadRequest {
		t.Errorf("unknown severity = %d %s", r.Status, r.Body)
	}
	decode(post(base+"/roles", `{"role":"lead","holder":"ann"}`))
	e.Clock.Add(time.Minute)
	in = decode(post(base+"/roles", `{"role":"lead","holder":"bob"}`))
	if len(in.Roles) != 2 || in.Roles[0].Until == nil || in.Roles[1].Holder != "bob" || in.Roles[1].Until != nil {
		t.Errorf("handover: %+v", in.Roles)
	}
	if r := post(base+"/roles", `{"role":"scribe","holder":"bob"}`); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "lead, comms") {
		t.Errorf("unknown role = %d %s", r.Status, r.Body)
	}
	in = decode(post(base+"/state", `{"state":"identified","text":"firewall rule"}`))
	if in.State != "identified" {
		t.Errorf("state = %s", in.State)
	}
	if r := post(base+"/state", `{"state":"identified"}`); r.Status != http.StatusConflict {
		t.Errorf("same state = %d %s", r.Status, r.Body)
	}
	in = decode(post(base+"/state", `{"state":"resolved"}`))
	if in.State != "resolved" || in.ResolvedBy != "admin" || in.ResolvedAt == nil {
		t.Errorf("resolved: %+v", in)
	}

	in = decode(e.Do(e.Client(), "GET", base, nil, tok))
	var kinds []string
	for _, x := range in.Timeline {
		kinds = append(kinds, x.Kind)
	}
	if got, want := strings.Join(kinds, ","), "note,note,incident.declared,severity,role,role,state,state"; got != want {
		t.Errorf("timeline kinds = %s, want %s", got, want)
	}
	r = e.Do(e.Client(), "GET", "/api/v1/incidents?state=resolved", nil, tok)
	var list api.List[api.Incident]
	if err := json.Unmarshal([]byte(r.Body), &list); err != nil || len(list.Data) != 1 || list.Data[0].Timeline != nil {
		t.Errorf("list = %d %s", r.Status, r.Body)
	}
	if r := e.Do(e.Client(), "GET", "/api/v1/incidents?state=sleeping", nil, tok); r.Status != http.StatusBadRequest {
		t.Errorf("unknown state = %d %s", r.Status, r.Body)
	}
	if r := e.Do(e.Client(), "GET", "/api/v1/incidents/abc", nil, tok); r.Status != http.StatusNotFound {
		t.Errorf("bad id = %d %s", r.Status, r.Body)
	}
	if r := e.Do(e.Client(), "GET", "/api/v1/incidents/1", nil, nil); r.Status != http.StatusUnauthorized {
		t.Errorf("no token = %d", r.Status)
	}
}
