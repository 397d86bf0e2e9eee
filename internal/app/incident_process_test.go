package app

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/testkit"
)

// TestIncidentProcessEndToEnd runs the whole incident process against a
// real server, a real SMTP server and a real webhook, on each database: a
// change is recorded, a probe fails, the alert pages the on-call person
// and opens an incident; the page is acknowledged; a public update moves
// the incident to identified and reaches the status page, its feed and a
// confirmed subscriber's inbox; the probe recovers and the incident
// resolves; the postmortem draft holds the timeline, the measured
// detection and acknowledgement times and the suspect change. A customer
// report declared by hand then counts in the response metrics beside the
// one monitoring found.
func TestIncidentProcessEndToEnd(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			ms := testkit.StartMail(t, testkit.MailOptions{})
			target := testkit.NewTarget(t)
			pager := testkit.NewWebhook(t)
			path := filepath.Join(t.TempDir(), "tocsin.yaml")
			writeConfig(t, path, `server:
  listen: 127.0.0.1:0
  base_url: https://status.example.com
`+storageYAML(t, driver)+`
channels:
  - id: pager
    type: webhook
    webhook: {url: `+pager.URL+`}
  - id: mail
    type: email
    email: {host: 127.0.0.1, port: `+ms.SMTPAddr[strings.LastIndexByte(ms.SMTPAddr, ':')+1:]+`, tls: none, from: status@example.com, to: [oncall@example.com]}
people:
  - {id: ana, name: Ana, email: ana@example.org, contacts: [{channel: pager}]}
escalation_policies:
  - id: web-oncall
    steps:
      - {notify: ["person:ana"]}
hosts:
  - {id: web1, name: web1.example.org}
services:
  - {id: shop, name: Shop, owners: [ana], escalation_policy: web-oncall, depends_on: ["host:web1"]}
status_pages:
  - id: public
    slug: acme
    title: Acme status
    components: [{service: shop}]
    subscriptions: {email_channel: mail}
incidents:
  severity: p2
  resolve_after: 1s
monitors:
  - id: site
    service: shop
    type: http
    interval: 200ms
    timeout: 150ms
    failure_threshold: 2
    http: {url: `+target.URL+`}
`)
			r := runApp(t, Options{ConfigPath: path})
			token, _ := signIn(t, r.app.Store())
			call := func(method, p string, body any, out any) int {
				t.Helper()
				var rd io.Reader
				if body != nil {
					js, _ := json.Marshal(body)
					rd = bytes.NewReader(js)
				}
				req, _ := http.NewRequestWithContext(t.Context(), method, r.url+p, rd)
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				if out != nil && resp.StatusCode/100 == 2 {
					if strings.HasPrefix(p, "/api/") && !strings.HasSuffix(p, ".md") {
						var env struct{ Data json.RawMessage }
						if err := json.Unmarshal(b, &env); err != nil {
							t.Fatalf("%s %s: %v: %s", method, p, err, b)
						}
						b = env.Data
					}
					if s, ok := out.(*string); ok {
						*s = string(b)
					} else if err := json.Unmarshal(b, out); err != nil {
						t.Fatalf("%s %s: %v: %s", method, p, err, b)
					}
				}
				if resp.StatusCode/100 != 2 {
					t.Logf("%s %s = %d: %s", method, p, resp.StatusCode, b)
				}
				return resp.StatusCode
			}
			eventually := func(what string, ok func() bool) {
				t.Helper()
				deadline := time.Now().Add(30 * time.Second)
				for !ok() {
					if time.Now().After(deadline) {
						t.Fatalf("waited 30s for %s", what)
					}
					time.Sleep(50 * time.Millisecond)
				}
			}

			// A reader subscribes to the status page and confirms.
			resp, err := http.PostForm(r.url+"/status/acme/subscribe", url.Values{"email": {"reader@example.net"}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			_, body := waitMail(t, ms, 1)
			link := regexp.MustCompile(`https://status\.example\.com(/status/acme/confirm/\S+)`).FindStringSubmatch(body)
			if link == nil {
				t.Fatalf("no confirmation link in:\n%s", body)
			}
			if resp, err = http.PostForm(r.url+link[1], nil); err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("confirm: %v %v", resp, err)
			}
			resp.Body.Close()

			// The firewall ticket touches web1, which the shop depends on.
			change := map[string]any{"title": "firewall: close 443 from outside on web1", "author": "netops", "components": []string{"host:web1"}}
			if code := call("POST", "/api/v1/changes", change, nil); code != http.StatusCreated && code != http.StatusOK {
				t.Fatalf("record the change: %d", code)
			}

			target.SetFailing(true)
			type incidentJSON struct {
				ID             int64      `json:"id"`
				State          string     `json:"state"`
				Alerts         []int64    `json:"alerts"`
				DetectedAt     *time.Time `json:"detected_at"`
				AcknowledgedAt *time.Time `json:"acknowledged_at"`
				ReportedBy     struct{ Kind string }
				Timeline       []struct{ Kind, Text string }
				Suspects       []json.RawMessage `json:"suspects"`
			}
			var in incidentJSON
			eventually("an incident to open", func() bool {
				var list []incidentJSON
				call("GET", "/api/v1/incidents?state=active", nil, &list)
				if len(list) == 0 || len(list[0].Alerts) == 0 {
					return false
				}
				in = list[0]
				return true
			})
			page := pager.WaitFor(t, 30*time.Second, func(d testkit.Delivery) bool { return d.Event["event"] == "alert.opened" })
			if page.Event["to"] != nil && page.Event["to"] != "" && page.Event["to"] != "person:ana" {
				t.Logf("page addressed to %v", page.Event["to"])
			}
			if code := call("POST", "/api/v1/alerts/"+strconv.FormatInt(in.Alerts[0], 10)+"/ack", map[string]any{}, nil); code != http.StatusOK {
				t.Fatalf("acknowledge: %d", code)
			}
			const msg = "Customers outside our network cannot reach the shop since a firewall change; we are reverting it."
			if code := call("POST", "/api/v1/incidents/"+strconv.FormatInt(in.ID, 10)+"/updates", map[string]any{"status": "identified", "public": true, "message": msg}, nil); code/100 != 2 {
				t.Fatalf("post the update: %d", code)
			}
			call("GET", "/api/v1/incidents/"+strconv.FormatInt(in.ID, 10), nil, &in)
			if in.State != "identified" {
				t.Errorf("state after an update with status identified = %s", in.State)
			}
			if len(in.Suspects) != 1 || !strings.Contains(string(in.Suspects[0]), "firewall: close 443") {
				t.Errorf("suspects = %s", in.Suspects)
			}

			// The public hears: the page, its feed and the subscriber.
			eventually("the update on the status page", func() bool {
				var s string
				call("GET", "/status/acme.json", nil, &s)
				return strings.Contains(s, msg)
			})
			var feed string
			call("GET", "/status/acme/feed.atom", nil, &feed)
			if !strings.Contains(feed, "we are reverting it") {
				t.Errorf("the Atom feed lacks the update:\n%s", feed)
			}
			h, body := waitMail(t, ms, 2)
			if !strings.Contains(body, msg) || h.Get("List-Unsubscribe") == "" || !strings.Contains(h.Get("To"), "reader@example.net") {
				t.Errorf("the subscriber's mail: To %q, List-Unsubscribe %q:\n%s", h.Get("To"), h.Get("List-Unsubscribe"), body)
			}

			target.SetFailing(false)
			eventually("the incident to resolve", func() bool {
				call("GET", "/api/v1/incidents/"+strconv.FormatInt(in.ID, 10), nil, &in)
				return in.State == "resolved"
			})
			var kinds []string
			for _, e := range in.Timeline {
				kinds = append(kinds, e.Kind)
			}
			for _, k := range []string{"alert.opened", "incident.opened", "alert.notified", "notification.delivered", "alert.acknowledged", "update", "alert.recovered", "state"} {
				if !slices.Contains(kinds, k) {
					t.Errorf("the timeline %v lacks %s", kinds, k)
				}
			}
			if in.DetectedAt == nil || in.AcknowledgedAt == nil || in.AcknowledgedAt.Before(*in.DetectedAt) {
				t.Errorf("detected %v, acknowledged %v", in.DetectedAt, in.AcknowledgedAt)
			}

			var md string
			if code := call("GET", "/api/v1/incidents/"+strconv.FormatInt(in.ID, 10)+"/postmortem.md", nil, &md); code != http.StatusOK {
				t.Fatalf("postmortem draft: %d", code)
			}
			for _, want := range []string{
				"firewall: close 443 from outside on web1", // the suspect change
				"after the first failure",                  // the measured detection
				"| Time | Key | Event | Who |",             // the timeline table
				"acknowledged",
				"public update (identified): " + msg,
				"recovered",
			} {
				if !strings.Contains(md, want) {
					t.Errorf("the postmortem draft lacks %q:\n%s", want, md)
				}
			}
			if !regexp.MustCompile(`Detected: \S+ \S+ \(\d+(\.\d+)?m?s after the first failure\)`).MatchString(md) {
				t.Errorf("the draft does not measure the detection:\n%s", md)
			}

			// A customer's report, declared by hand, counts too.
			decl := map[string]any{"title": "Checkout slow for a partner", "services": []string{"shop"}, "severity": "p2",
				"reported_by": map[string]string{"name": "University of Basel", "kind": "customer"}, "reported_at": time.Now().UTC().Add(-time.Minute)}
			if code := call("POST", "/api/v1/incidents", decl, nil); code/100 != 2 {
				t.Fatalf("declare: %d", code)
			}
			var m struct {
				Overall struct {
					Count      int                `json:"count"`
					ReportedBy map[string]int     `json:"reported_by"`
					Share      map[string]float64 `json:"share"`
				} `json:"overall"`
			}
			call("GET", "/api/v1/incidents/metrics?window=30d", nil, &m)
			if m.Overall.Count != 2 || m.Overall.ReportedBy["monitor"] != 1 || m.Overall.ReportedBy["customer"] != 1 || m.Overall.Share["customer"] != 0.5 {
				t.Errorf("metrics = %+v, want one incident found by monitoring and one by a customer", m.Overall)
			}
		})
	}
}
