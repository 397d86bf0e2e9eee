package healthchecks

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tocsin/tocsin/internal/importer"
)

const (
	rwKey = "rw-key-0123456789"
	roKey = "ro-key-0123456789"
)

// project is a Healthchecks project as its management API v3 shows it,
// after the API's documentation.
type project struct {
	checks   []map[string]any
	channels []map[string]any
	// v1 leaves out uuid, as the first API version did.
	v1 bool
}

// serve answers GET /api/v3/checks/ and /api/v3/channels/ as the API
// does: the read-write key sees uuid, ping_url and channels, the
// read-only key unique_key instead; no key or another key gets 401.
func (p *project) serve(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("X-Api-Key")
		if key != rwKey && key != roKey {
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(map[string]string{"error": "missing, invalid or revoked API key"})
			return
		}
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/api/v3/checks/":
			var out []map[string]any
			for _, c := range p.checks {
				cc := map[string]any{}
				for k, v := range c {
					cc[k] = v
				}
				id := c["uuid"].(string)
				cc["ping_url"] = "https://hc-ping.example.com/" + id
				cc["update_url"] = "http://" + r.Host + "/api/v3/checks/" + id
				if key == roKey {
					for _, k := range []string{"uuid", "ping_url", "update_url", "channels"} {
						delete(cc, k)
					}
					cc["unique_key"] = strings.ReplaceAll(id, "-", "")[:20]
				} else if p.v1 {
					delete(cc, "uuid")
				}
				out = append(out, cc)
			}
			json.NewEncoder(w).Encode(map[string]any{"checks": out})
		case r.Method == http.MethodGet && r.URL.Path == "/api/v3/channels/":
			if key == roKey {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			json.NewEncoder(w).Encode(map[string]any{"channels": p.channels})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func sample() *project {
	return &project{
		checks: []map[string]any{
			{"name": "Filesystem Backup", "slug": "filesystem-backup", "tags": "backup fs", "desc": "Runs incremental backup every hour",
				"grace": 600, "status": "up", "uuid": "31365bce-8da9-4729-8ff3-aaa71d56b712", "timeout": 3600,
				"channels": "1bdea468-03bf-47b8-ab27-29a9dd0e4b94,51c6eb2b-2ae1-456b-99fe-6f1e0a36cd3c"},
			{"name": "Database Backup", "slug": "database-backup", "tags": "", "desc": "", "grace": 1200, "status": "paused",
				"uuid": "803f680d-e89b-492b-82ef-2be7b774a92d", "schedule": "15 5 * * *", "tz": "Europe/Riga", "channels": ""},
			{"name": "Odd Slug", "slug": "Odd.Slug", "grace": 60, "status": "new", "uuid": "0a0b0c0d-0000-4000-8000-000000000001", "timeout": 60},
		},
		channels: []map[string]any{
			{"id": "1bdea468-03bf-47b8-ab27-29a9dd0e4b94", "name": "Email to Alice", "kind": "email"},
			{"id": "51c6eb2b-2ae1-456b-99fe-6f1e0a36cd3c", "name": "", "kind": "slack"},
		},
	}
}

func TestReadWriteKey(t *testing.T) {
	srv := sample().serve(t)
	s, err := Fetch(context.Background(), srv.Client(), srv.URL+"/", rwKey)
	if err != nil {
		t.Fatal(err)
	}
	frag, notes := Map(s, Options{})
	doc, err := importer.Write(frag)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"uuid: 31365bce-8da9-4729-8ff3-aaa71d56b712", "slug: filesystem-backup", "period: 1h", "grace: 10m",
		"channels: [email-to-alice, slack]", "# tags: backup fs", "# Runs incremental backup every hour",
		"uuid: 803f680d-e89b-492b-82ef-2be7b774a92d", "cron: 15 5 * * *", "timezone: Europe/Riga", "paused: true",
		"type: inbox",
	} {
		if !strings.Contains(string(doc), want) {
			t.Errorf("the file lacks %q:\n%s", want, doc)
		}
	}
	text := ""
	for _, n := range notes {
		text += n.String() + "\n"
	}
	for _, want := range []string{`check "Odd Slug": slug "Odd.Slug" not kept`, `integration "Email to Alice" (email): imported as an inbox channel`, `check "Filesystem Backup": tags "backup fs" kept as a comment`} {
		if !strings.Contains(text, want) {
			t.Errorf("notes lack %q:\n%s", want, text)
		}
	}
}

// TestUUIDFromPingURL: an answer without uuid (the first API version)
// still keeps each check's UUID, read from its ping URL.
func TestUUIDFromPingURL(t *testing.T) {
	p := sample()
	p.v1 = true
	srv := p.serve(t)
	s, err := Fetch(context.Background(), srv.Client(), srv.URL, rwKey)
	if err != nil {
		t.Fatal(err)
	}
	frag, _ := Map(s, Options{})
	if len(frag.Heartbeats) != 3 || frag.Heartbeats[0].UUID != "31365bce-8da9-4729-8ff3-aaa71d56b712" {
		t.Fatalf("heartbeats %+v", frag.Heartbeats)
	}
}

// TestReadOnlyKey: a read-only key hides the UUIDs; the checks are
// imported with stable new UUIDs and their slugs, and each says so.
func TestReadOnlyKey(t *testing.T) {
	srv := sample().serve(t)
	s, err := Fetch(context.Background(), srv.Client(), srv.URL+"/api/v3/", roKey)
	if err != nil {
		t.Fatal(err)
	}
	frag, notes := Map(s, Options{})
	again, _ := Map(s, Options{})
	if len(frag.Heartbeats) != 3 || frag.Heartbeats[0].UUID == "31365bce-8da9-4729-8ff3-aaa71d56b712" ||
		frag.Heartbeats[0].UUID != again.Heartbeats[0].UUID || frag.Heartbeats[0].Slug != "filesystem-backup" {
		t.Fatalf("heartbeats %+v", frag.Heartbeats)
	}
	found := false
	for _, n := range notes {
		found = found || strings.Contains(n.Reason, "read-only API key hides its UUID")
	}
	if !found {
		t.Errorf("notes %v", notes)
	}
}

func TestBadAnswers(t *testing.T) {
	srv := sample().serve(t)
	if _, err := Fetch(context.Background(), srv.Client(), srv.URL, "wrong"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("wrong key: %v", err)
	}
	if _, err := Fetch(context.Background(), srv.Client(), "ftp://x", rwKey); err == nil {
		t.Error("an ftp URL was accepted")
	}
	for name, body := range map[string]string{
		"truncated":  `{"checks": [{"name": "a"`,
		"wrong type": `{"checks": "many"}`,
		"no checks":  `{"projects": []}`,
	} {
		bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(body)) }))
		_, err := Fetch(context.Background(), bad.Client(), bad.URL, rwKey)
		bad.Close()
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
