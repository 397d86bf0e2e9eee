package app

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/testkit"
)

// TestAuditLog: actions through the API (a token) and through the pages
// (a session) are recorded with who made them and from where — behind a
// trusted proxy, the client it names —, a reload with what it changed, a
// rejected reload with why; the log is read through the API as JSON and
// CSV, filtered, and on its page, by administrators only. On each
// database.
func TestAuditLog(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			target := testkit.NewTarget(t)
			hook := testkit.NewWebhook(t)
			path := filepath.Join(t.TempDir(), "tocsin.yaml")
			cfg := strings.Replace(baseConfig(t, driver, target.URL, hook.URL), "  listen: 127.0.0.1:0\n",
				"  listen: 127.0.0.1:0\n  trusted_proxies: [127.0.0.1]\n", 1)
			writeConfig(t, path, cfg)
			r := runApp(t, Options{ConfigPath: path, WatchInterval: -1})
			st := r.app.Store()
			token, cookie := signIn(t, st)
			tok, err := st.APITokenByHash(t.Context(), sha(token))
			if err != nil {
				t.Fatal(err)
			}
			do := func(method, p, body string, asUser bool, from string) (int, string) {
				t.Helper()
				req, _ := http.NewRequest(method, r.url+p, strings.NewReader(body))
				if asUser {
					req.AddCookie(&http.Cookie{Name: "tocsin_session", Value: cookie})
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				} else {
					req.Header.Set("Authorization", "Bearer "+token)
				}
				if from != "" {
					req.Header.Set("X-Forwarded-For", from)
				}
				c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
				res, err := c.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				b, _ := io.ReadAll(res.Body)
				return res.StatusCode, string(b)
			}

			// Through the API, with a token, from a client behind the proxy.
			if code, body := do("POST", "/api/v1/monitors/site/pause", "", false, "203.0.113.9"); code != http.StatusOK {
				t.Fatalf("pause: %d %s", code, body)
			}
			if code, body := do("POST", "/api/v1/tokens", `{"name": "ci"}`, false, ""); code != http.StatusCreated {
				t.Fatalf("token: %d %s", code, body)
			}
			// A refused request changed nothing and is not recorded.
			if code, _ := do("POST", "/api/v1/monitors/nope/pause", "", false, ""); code != http.StatusNotFound {
				t.Fatalf("pause of an unknown monitor: %d", code)
			}
			// Through the pages, with a session, from another client.
			if code, body := do("POST", "/monitors/site/resume", "", true, "198.51.100.4"); code != http.StatusSeeOther {
				t.Fatalf("resume in the UI: %d %s", code, body)
			}
			// A reload that changes something, then one that is refused.
			changed := strings.Replace(cfg, "name: Website", "name: The website", 1)
			changed = strings.Replace(changed, "    failure_threshold: 2\n", "    failure_threshold: 3\n", 1)
			changed += `  - id: db
    type: tcp
    tcp: {address: "127.0.0.1:1"}
`
			writeConfig(t, path, changed)
			if err := r.app.Reload(t.Context()); err != nil {
				t.Fatal(err)
			}
			writeConfig(t, path, cfg+"bogus: 1\n")
			if err := r.app.Reload(t.Context()); err == nil {
				t.Fatal("a bad file was loaded")
			}

			code, body := do("GET", "/api/v1/audit", "", false, "")
			if code != http.StatusOK {
				t.Fatalf("GET /api/v1/audit: %d %s", code, body)
			}
			var list struct{ Data []map[string]any }
			if err := json.Unmarshal([]byte(body), &list); err != nil {
				t.Fatal(err)
			}
			type row struct{ actor, user, ip, action, kind, id string }
			var got []row
			for _, e := range list.Data {
				s := func(k string) string { v, _ := e[k].(string); return v }
				got = append(got, row{s("actor"), s("user"), s("ip"), s("action"), s("object_kind"), s("object_id")})
			}
			// The reload's summary names what it changed, the monitors from
			// the reload's own fingerprints.
			if s, want := list.Data[1]["summary"], "added monitor db; changed monitor site, service web"; s != want {
				t.Errorf("the reload's summary = %q, want %q", s, want)
			}
			tokenActor := "token:" + itoa(tok.ID)
			want := []row{
				{"system", "", "", "config.reload_rejected", "config", path},
				{"system", "", "", "config.reload", "config", path},
				{"user:ada", "ada", "198.51.100.4", "monitor.resume", "monitor", "site"},
				{tokenActor, "ada", "127.0.0.1", "token.create", "token", ""},
				{tokenActor, "ada", "203.0.113.9", "monitor.pause", "monitor", "site"},
			}
			if len(got) != len(want) {
				t.Fatalf("%d entries, want %d: %v", len(got), len(want), got)
			}
			for i := range want {
				w, g := want[i], got[i]
				if w.kind == "token" {
					w.id = g.id // the new token's id
				}
				if g != w {
					t.Errorf("entry %d = %+v, want %+v", i, g, w)
				}
			}
			if s, _ := list.Data[0]["summary"].(string); !strings.Contains(s, "the running configuration stays") || !strings.Contains(s, "bogus") {
				t.Errorf("the rejected reload's summary = %q", s)
			}
			if s, _ := list.Data[3]["summary"].(string); !strings.Contains(s, `API token "ci"`) {
				t.Errorf("the token's summary = %q", s)
			}

			// CSV, filtered by action prefix, parses.
			code, body = do("GET", "/api/v1/audit?format=csv&action=monitor.", "", false, "")
			rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
			if code != http.StatusOK || err != nil || len(rows) != 3 || rows[0][0] != "id" || rows[1][6] != "monitor.resume" || rows[2][5] != "203.0.113.9" {
				t.Fatalf("CSV: %d %v %q", code, err, rows)
			}
			// Filtered by actor and by object.
			if code, body := do("GET", "/api/v1/audit?actor="+url.QueryEscape(tokenActor)+"&kind=monitor&object=site", "", false, ""); code != http.StatusOK ||
				strings.Count(body, `"action"`) != 1 || !strings.Contains(body, "monitor.pause") {
				t.Errorf("filtered: %d %s", code, body)
			}
			if code, _ := do("GET", "/api/v1/audit?since=yesterday", "", false, ""); code != http.StatusBadRequest {
				t.Errorf("a bad since: %d, want 400", code)
			}
			// The page.
			code, body = do("GET", "/audit?action=monitor.", "", true, "")
			if code != http.StatusOK || strings.Count(body, "data-audit=") != 2 || !strings.Contains(body, "198.51.100.4") {
				t.Errorf("the page: %d %.500s", code, body)
			}

			// Someone who is not an administrator reads none of it.
			u, err := st.CreateUser(t.Context(), store.User{Name: "bea", PasswordHash: "x"})
			if err != nil {
				t.Fatal(err)
			}
			other := "tocsin_test-token-bea-0123456789"
			if _, err := st.CreateAPIToken(t.Context(), store.APIToken{UserID: u.ID, Name: "t", TokenHash: sha(other), Prefix: "tocsin_test"}); err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest("GET", r.url+"/api/v1/audit", nil)
			req.Header.Set("Authorization", "Bearer "+other)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusForbidden {
				t.Errorf("a user who is not an administrator: %d, want 403", res.StatusCode)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
