package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/web/api"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

// TestAPIChanges records changes through the API, lists them with their
// filters and pages, refuses bad ones with a clear message, and shows a
// change to a dependency as a recent change of the service.
func TestAPIChanges(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	webtest.OncallShop(e)
	c := e.Setup()
	now := e.Clock.Now()

	post := func(body string) (int, api.Change, string) {
		t.Helper()
		r := e.Do(c, "POST", "/api/v1/changes", strings.NewReader(body), jsonHdr)
		var one api.One[api.Change]
		if r.Status == 201 {
			if err := json.Unmarshal([]byte(r.Body), &one); err != nil {
				t.Fatal(err)
			}
		}
		return r.Status, one.Data, r.Body
	}
	st, fw, body := post(fmt.Sprintf(`{"title":"allow SFTP on db1","author":"ann","time":%q,"components":["host:db1","core switch"],"link":"https://tickets.example.com/4711"}`,
		now.Add(-2*time.Hour).Format(time.RFC3339)))
	if st != 201 || fw.ID == 0 || fw.Author != "ann" || fw.CreatedBy != "admin" || !fw.Time.Equal(now.Add(-2*time.Hour)) ||
		strings.Join(fw.Components, ",") != "host:db1,core switch" || len(fw.Services) != 0 {
		t.Fatalf("create: %d %s", st, body)
	}
	e.Clock.Add(time.Minute)
	st, deploy, body := post(`{"title":"deploy shop 2.1","services":["shop"]}`)
	if st != 201 || deploy.Author != "admin" || !deploy.Time.Equal(e.Clock.Now()) {
		t.Fatalf("create without author and time: %d %s", st, body)
	}
	st, old, _ := post(fmt.Sprintf(`{"title":"old db change","services":["db"],"time":%q}`, now.Add(-30*time.Hour).Format(time.RFC3339)))
	if st != 201 {
		t.Fatalf("create old: %d", st)
	}

	for _, tc := range []struct{ body, want string }{
		{`{"services":["shop"]}`, "a change needs a title"},
		{`{"title":"  ","services":["shop"]}`, "a change needs a title"},
		{`{"title":"x","services":["shp"]}`, `unknown service "shp"`},
		{`{"title":"x","components":["host:db9"]}`, `unknown host "db9" in component "host:db9"`},
		{`{"title":"x","components":["component:wan"]}`, `unknown component "wan"`},
		{`{"title":"x","components":[""]}`, "a component of a change is 1 to 200 characters"},
		{`{"title":"x","link":"javascript:alert(1)"}`, "must be an http or https URL"},
		{`{"title":"x","time":"yesterday"}`, "RFC 3339"},
		{`{"title":"x","colour":"red"}`, "unknown field"},
		{`{"title":"` + strings.Repeat("x", 501) + `"}`, "at most 500 characters"},
	} {
		r := e.Do(c, "POST", "/api/v1/changes", strings.NewReader(tc.body), jsonHdr)
		if r.Status != 400 || !strings.Contains(webtest.APIError(t, r).Message, tc.want) {
			t.Errorf("%.60s: %d %s, want 400 saying %q", tc.body, r.Status, r.Body, tc.want)
		}
	}

	list := func(q string) []int64 {
		t.Helper()
		r := e.Get(c, "/api/v1/changes"+q)
		var l api.List[api.Change]
		if r.Status != 200 {
			t.Fatalf("list %s: %d %s", q, r.Status, r.Body)
		}
		if err := json.Unmarshal([]byte(r.Body), &l); err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, ch := range l.Data {
			ids = append(ids, ch.ID)
		}
		return ids
	}
	for q, want := range map[string][]int64{
		"":              {old.ID, deploy.ID, fw.ID},
		"?service=shop": {deploy.ID},
		"?service=db":   {old.ID},
		"?since=" + now.Add(-3*time.Hour).Format(time.RFC3339): {deploy.ID, fw.ID},
		"?limit=2": {old.ID, deploy.ID},
		fmt.Sprintf("?limit=2&before=%d", deploy.ID): {fw.ID},
	} {
		if got := fmt.Sprint(list(q)); got != fmt.Sprint(want) {
			t.Errorf("list %q = %s, want %v", q, got, want)
		}
	}
	if r := e.Get(c, "/api/v1/changes?since=noon"); r.Status != 400 {
		t.Errorf("a bad since: %d", r.Status)
	}
	if r := e.Get(c, fmt.Sprintf("/api/v1/changes/%d", fw.ID)); r.Status != 200 || !strings.Contains(r.Body, "tickets.example.com/4711") {
		t.Errorf("one change: %d %s", r.Status, r.Body)
	}
	for _, p := range []string{"/api/v1/changes/999", "/api/v1/changes/x", "/api/v1/services/nope/changes"} {
		if r := e.Get(c, p); r.Status != 404 {
			t.Errorf("%s: %d, want 404", p, r.Status)
		}
	}

	r := e.Get(c, "/api/v1/services/shop/changes")
	var sus api.List[api.Suspect]
	if err := json.Unmarshal([]byte(r.Body), &sus); err != nil || r.Status != 200 {
		t.Fatalf("service changes: %d %s", r.Status, r.Body)
	}
	var got []string
	for _, s := range sus.Data {
		got = append(got, fmt.Sprintf("%d:%s", s.Change.ID, strings.Join(s.Touches, ",")))
	}
	if want := []string{fmt.Sprintf("%d:shop", deploy.ID), fmt.Sprintf("%d:host:db1", fw.ID)}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("recent changes of shop = %v, want %v (the old db change is over a day old)", got, want)
	}
}

// TestAPIImpactAndCoverage previews what depends on a host and reports
// the coverage of the running configuration.
func TestAPIImpactAndCoverage(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	webtest.OncallShop(e)
	c := e.Setup()

	r := e.Get(c, "/api/v1/impact?component=host:db1")
	var imp api.One[api.Impact]
	if err := json.Unmarshal([]byte(r.Body), &imp); err != nil || r.Status != 200 {
		t.Fatalf("impact: %d %s", r.Status, r.Body)
	}
	if d := imp.Data; d.Entry != "host:db1" || d.Name != "db1.example.com" || len(d.Affected) != 1 {
		t.Fatalf("impact of db1: %+v", d)
	}
	a := imp.Data.Affected[0]
	if a.Service != "shop" || !a.Direct || len(a.OnCall) != 1 || a.OnCall[0].Name != "Ann Berg" || a.OnCall[0].Phone != "+47 555 01 234" ||
		len(a.Owners) != 1 || a.Owners[0].ID != "appsupport" {
		t.Errorf("shop in the impact of db1: %+v", a)
	}
	if r := e.Get(c, "/api/v1/impact?component=db"); !strings.Contains(r.Body, `"service": "shop"`) || !strings.Contains(r.Body, `"direct": true`) {
		t.Errorf("impact of the db service: %d %s", r.Status, r.Body)
	}
	for q, want := range map[string]string{
		"":                         "name what to preview",
		"?component=host:nope":     `unknown host "nope": the configuration's hosts are "db1"`,
		"?component=component:wan": `unknown component "wan": the configuration's components are none`,
	} {
		r := e.Get(c, "/api/v1/impact"+q)
		if r.Status != 400 || !strings.Contains(webtest.APIError(t, r).Message, want) {
			t.Errorf("impact%s: %d %s, want 400 saying %q", q, r.Status, r.Body, want)
		}
	}

	r = e.Get(c, "/api/v1/coverage")
	var cov api.One[api.Coverage]
	if err := json.Unmarshal([]byte(r.Body), &cov); err != nil || r.Status != 200 {
		t.Fatalf("coverage: %d %s", r.Status, r.Body)
	}
	if cov.Data.Clean || len(cov.Data.Services) != 3 || cov.Data.Services[0].Functional || cov.Data.Services[0].Checks[0].Class != "liveness" {
		t.Errorf("coverage: %+v", cov.Data)
	}
	var kinds []string
	for _, f := range cov.Data.Findings {
		kinds = append(kinds, f.Kind+" "+f.Subject)
	}
	want := []string{"liveness_only service:shop", "no_check service:db", "no_check service:stray",
		"service_without_owner service:stray", "service_without_escalation_policy service:stray"}
	if fmt.Sprint(kinds) != fmt.Sprint(want) {
		t.Errorf("findings %v, want %v", kinds, want)
	}
}
