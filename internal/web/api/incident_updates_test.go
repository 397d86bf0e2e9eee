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

// TestIncidentUpdatesAPI posts updates, refuses bad input with clear
// errors, and restricts posting to the comms role when configured.
func TestIncidentUpdatesAPI(t *testing.T) {
	e := webtest.New(t, nil)
	e.RT.Cfg.Incidents = config.Incidents{ResolveAfter: config.Duration(10 * time.Minute), Severities: config.DefaultSeverities(),
		Roles: config.DefaultIncidentRoles(), Severity: "p2", UpdatesBy: config.UpdatesByAnyone}
	c := e.Setup()
	tok := webtest.Bearer(e.Token(c, "ops-script"))
	post := func(path, body string) webtest.Response {
		hdr := map[string]string{"Content-Type": "application/json"}
		for k, v := range tok {
			hdr[k] = v
		}
		return e.Do(e.Client(), "POST", path, strings.NewReader(body), hdr)
	}
	var in api.One[api.Incident]
	r := post("/api/v1/incidents", `{"title":"SFTP export blocked","services":["shop"],"severity":"p1"}`)
	if err := json.Unmarshal([]byte(r.Body), &in); err != nil || r.Status != http.StatusCreated {
		t.Fatalf("declare = %d %s", r.Status, r.Body)
	}
	base := fmt.Sprintf("/api/v1/incidents/%d", in.Data.ID)

	r = post(base+"/updates", `{"message":"  Exports to partners are delayed.  ","status":"identified","public":true}`)
	var up api.One[api.IncidentUpdate]
	if err := json.Unmarshal([]byte(r.Body), &up); err != nil || r.Status != http.StatusCreated || up.Data.ID == 0 ||
		up.Data.Message != "Exports to partners are delayed." || up.Data.Status != "identified" || !up.Data.Public || up.Data.Who != "admin" {
		t.Fatalf("update = %d %s", r.Status, r.Body)
	}
	for body, want := range map[string]string{
		`{"message":"","status":"identified"}`:      "needs a message",
		`{"message":"   ","status":"identified"}`:   "needs a message",
		`{"message":"x","status":"sleeping"}`:       `sleeping\" is not one of investigating, identified, monitoring, resolved`,
		`{"message":"x"}`:                           "is not one of",
		`{"message":"x","status":"resolved","p":1}`: "p",
		`{"message":"x","status":"postmortem"}`:     "is not one of",
	} {
		if r := post(base+"/updates", body); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, want) {
			t.Errorf("update %s = %d %s, want 400 with %q", body, r.Status, r.Body, want)
		}
	}
	if r := post("/api/v1/incidents/999/updates", `{"message":"x","status":"resolved"}`); r.Status != http.StatusNotFound {
		t.Errorf("no such incident = %d %s", r.Status, r.Body)
	}

	// Restricted to the comms role: refused until admin holds it.
	e.RT.Cfg.Incidents.UpdatesBy = config.UpdatesByComms
	if r := post(base+"/updates", `{"message":"x","status":"monitoring"}`); r.Status != http.StatusForbidden || !strings.Contains(r.Body, "communications lead") {
		t.Errorf("not comms = %d %s, want 403", r.Status, r.Body)
	}
	if r := post(base+"/roles", `{"role":"comms","holder":"admin"}`); r.Status != http.StatusOK {
		t.Fatalf("assign comms = %d %s", r.Status, r.Body)
	}
	if r := post(base+"/updates", `{"message":"A fix is deployed.","status":"monitoring"}`); r.Status != http.StatusCreated {
		t.Errorf("comms holder = %d %s", r.Status, r.Body)
	}
	if r := post(base+"/roles", `{"role":"comms","holder":"ann"}`); r.Status != http.StatusOK {
		t.Fatalf("hand over comms = %d %s", r.Status, r.Body)
	}
	if r := post(base+"/updates", `{"message":"x","status":"monitoring"}`); r.Status != http.StatusForbidden {
		t.Errorf("after the handover = %d %s, want 403", r.Status, r.Body)
	}

	var got api.One[api.Incident]
	r = e.Do(e.Client(), "GET", base, nil, tok)
	if err := json.Unmarshal([]byte(r.Body), &got); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, x := range got.Data.Timeline {
		if x.Kind == "update" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("timeline has %d updates, want 2: %s", n, r.Body)
	}
}
