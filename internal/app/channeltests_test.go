package app

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestSendTestNotification sends test notifications through the API and
// the channel's page to a working ntfy server and to a webhook that
// refuses: the ntfy server receives one notification labelled as a test,
// the refusal comes back as the outcome with the receiver's answer, and
// both show on the channel's page and in its API object. An unknown
// channel is a 404. On each database.
func TestSendTestNotification(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			var mu sync.Mutex
			var got []string
			ntfy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				got = append(got, r.URL.Path+"\n"+r.Header.Get("Title")+"\n"+string(b))
				mu.Unlock()
				io.WriteString(w, `{"id":"1","event":"message"}`)
			}))
			defer ntfy.Close()
			refuse := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "no such hook", http.StatusNotFound)
			}))
			defer refuse.Close()

			path := filepath.Join(t.TempDir(), "tocsin.yaml")
			writeConfig(t, path, "server:\n  listen: 127.0.0.1:0\n  base_url: https://tocsin.example.com\n"+storageYAML(t, driver)+`
channels:
  - id: phone
    ntfy: {server: "`+strings.TrimPrefix(ntfy.URL, "http://")+`", topic: oncall, insecure: true}
  - id: broken
    webhook: {url: "`+refuse.URL+`/hook"}
`)
			r := start(t, path)
			token, cookie := signIn(t, r.app.Store())

			post := func(p string, session bool) (int, string) {
				t.Helper()
				req, _ := http.NewRequest("POST", r.url+p, nil)
				if session {
					req.AddCookie(&http.Cookie{Name: "tocsin_session", Value: cookie})
				} else {
					req.Header.Set("Authorization", "Bearer "+token)
				}
				client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
				res, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				b, _ := io.ReadAll(res.Body)
				if loc := res.Header.Get("Location"); loc != "" {
					return res.StatusCode, loc
				}
				return res.StatusCode, string(b)
			}
			type outcome struct {
				Data struct {
					ID      int64  `json:"id"`
					Channel string `json:"channel"`
					OK      bool   `json:"ok"`
					Error   string `json:"error"`
					By      string `json:"by"`
				} `json:"data"`
			}

			code, body := post("/api/v1/channels/phone/test", false)
			var ok outcome
			if err := json.Unmarshal([]byte(body), &ok); err != nil || code != 200 {
				t.Fatalf("POST test phone: %d %s", code, body)
			}
			if !ok.Data.OK || ok.Data.Error != "" || ok.Data.By != "ada" || ok.Data.Channel != "phone" {
				t.Errorf("phone outcome = %s", body)
			}
			mu.Lock()
			if len(got) != 1 || !strings.HasPrefix(got[0], "/oncall\nTEST: Channel phone") || !strings.Contains(got[0], "test notification") ||
				!strings.Contains(got[0], "https://tocsin.example.com/channels/phone") {
				t.Errorf("ntfy received %q", got)
			}
			mu.Unlock()

			code, body = post("/api/v1/channels/broken/test", false)
			var bad outcome
			if err := json.Unmarshal([]byte(body), &bad); err != nil || code != 200 {
				t.Fatalf("POST test broken: %d %s", code, body)
			}
			if bad.Data.OK || !strings.Contains(bad.Data.Error, "404") || !strings.Contains(bad.Data.Error, "no such hook") {
				t.Errorf("broken outcome = %s", body)
			}

			// From the page: the button posts, the page shows the outcome.
			code, loc := post("/channels/broken/test", true)
			if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/channels/broken?tested=") {
				t.Fatalf("POST /channels/broken/test: %d %s", code, loc)
			}
			page := signedIn(t, r.url, loc, true, token, cookie)
			for _, w := range []string{`id="test-outcome"`, "The test notification failed", "no such hook", `id="send-test"`, "<td>ada</td>"} {
				if !strings.Contains(page, w) {
					t.Errorf("channel page lacks %q", w)
				}
			}

			raw := signedIn(t, r.url, "/api/v1/channels/broken", false, token, cookie)
			var detail struct {
				Data struct {
					Type  string `json:"type"`
					Tests []struct {
						OK bool `json:"ok"`
					} `json:"tests"`
				} `json:"data"`
			}
			if err := json.Unmarshal([]byte(raw), &detail); err != nil || detail.Data.Type != "webhook" || len(detail.Data.Tests) != 2 || detail.Data.Tests[0].OK {
				t.Errorf("GET /api/v1/channels/broken = %s", raw)
			}
			list := signedIn(t, r.url, "/api/v1/channels", false, token, cookie)
			if !strings.Contains(list, `"id": "phone",`) || !strings.Contains(list, `"type": "ntfy"`) {
				t.Errorf("GET /api/v1/channels = %s", list)
			}
			if code, body := post("/api/v1/channels/nope/test", false); code != 404 || !strings.Contains(body, `no channel \"nope\" is configured`) {
				t.Errorf("unknown channel: %d %s", code, body)
			}
			if code, _ := post("/channels/nope/test", true); code != 404 {
				t.Errorf("POST /channels/nope/test: %d, want 404", code)
			}
			req, _ := http.NewRequest("GET", r.url+"/channels/nope", nil)
			req.AddCookie(&http.Cookie{Name: "tocsin_session", Value: cookie})
			if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 404 {
				t.Errorf("GET /channels/nope: %v, %v; want 404", res, err)
			} else {
				res.Body.Close()
			}
		})
	}
}

// TestChannelKindsEndToEnd: a monitor of a service whose channels are
// ntfy and PagerDuty fails and recovers; the ntfy topic receives both
// notifications in words, and PagerDuty a trigger then a resolve under one
// dedup key, through the outbox like any channel. On each database.
func TestChannelKindsEndToEnd(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			type hit struct{ title, body string }
			ntfyHits := make(chan hit, 10)
			ntfy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				ntfyHits <- hit{r.Header.Get("Title"), string(b)}
				io.WriteString(w, `{"id":"1","event":"message"}`)
			}))
			defer ntfy.Close()
			pdHits := make(chan map[string]any, 10)
			pd := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var body map[string]any
				if err := json.NewDecoder(r.Body).Decode(&body); err != nil || r.URL.Path != "/v2/enqueue" {
					http.Error(w, `{"status":"invalid event","message":"Event object is invalid"}`, http.StatusBadRequest)
					return
				}
				pdHits <- body
				w.WriteHeader(http.StatusAccepted)
				io.WriteString(w, `{"status":"success","message":"Event processed","dedup_key":"x"}`)
			}))
			defer pd.Close()
			var failing atomic.Bool
			target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if failing.Load() {
					http.Error(w, "unavailable", http.StatusServiceUnavailable)
					return
				}
				io.WriteString(w, "ok")
			}))
			defer target.Close()

			path := filepath.Join(t.TempDir(), "tocsin.yaml")
			writeConfig(t, path, "server:\n  listen: 127.0.0.1:0\n"+storageYAML(t, driver)+`
channels:
  - id: phone
    digest: off
    ntfy: {server: "`+strings.TrimPrefix(ntfy.URL, "http://")+`", topic: shop, insecure: true}
  - id: pager
    pagerduty: {routing_key: 0123456789abcdef0123456789abcdef, url: "`+pd.URL+`/v2/enqueue"}
services:
  - id: shop
    name: Shop
    channels: [phone, pager]
monitors:
  - id: site
    service: shop
    type: http
    interval: 300ms
    timeout: 250ms
    http:
      url: `+target.URL+`
`)
			r := start(t, path)
			waitState(t, r.app, "site", "up")
			failing.Store(true)
			wait := func(what string) {
				t.Helper()
				select {
				case h := <-ntfyHits:
					if !strings.HasPrefix(h.title, what+": site") || !strings.Contains(h.body, "Service: Shop (shop)") {
						t.Errorf("ntfy got %+v, want %s", h, what)
					}
				case <-time.After(10 * time.Second):
					t.Fatalf("no %s notification reached ntfy", what)
				}
			}
			wait("DOWN")
			var trigger map[string]any
			select {
			case trigger = <-pdHits:
			case <-time.After(10 * time.Second):
				t.Fatal("no trigger reached PagerDuty")
			}
			failing.Store(false)
			wait("UP")
			var resolve map[string]any
			select {
			case resolve = <-pdHits:
			case <-time.After(10 * time.Second):
				t.Fatal("no resolve reached PagerDuty")
			}
			if trigger["event_action"] != "trigger" || resolve["event_action"] != "resolve" || trigger["dedup_key"] != resolve["dedup_key"] {
				t.Errorf("PagerDuty got %v then %v", trigger, resolve)
			}
		})
	}
}
