package app

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/mail"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/alert"
	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/monitor"
	probekinds "github.com/tocsin/tocsin/internal/probe/kinds"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/testkit"
)

// TestEmailChannelAddressedToAPerson sends a down notification through the
// email channel the app builds, to a real SMTP server, and reads the mail:
// it names the service's owners and description, and shows the time in
// the timezone of the person it is addressed to, with UTC beside it.
func TestEmailChannelAddressedToAPerson(t *testing.T) {
	ms := testkit.StartMail(t, testkit.MailOptions{})
	cfg, err := config.Parse([]byte(`
people:
  - {id: alice, name: Alice Example, email: alice@example.com, timezone: Europe/Paris}
  - {id: bob, name: Bob, email: bob@example.com, timezone: America/New_York}
teams:
  - {id: ops, name: Operations, members: [bob]}
channels:
  - id: alice-mail
    type: email
    email: {host: 127.0.0.1, port: `+ms.SMTPAddr[strings.LastIndexByte(ms.SMTPAddr, ':')+1:]+`, tls: none, from: tocsin@example.com, people: [alice]}
services:
  - {id: shop, name: Shop, description: The public shop., owners: [alice, ops], channels: [alice-mail]}
monitors:
  - {id: checkout, service: shop, type: tcp, tcp: {address: "127.0.0.1:80"}}
`), "x.yaml", probekinds.Config())
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 15, 13, 2, 0, 0, time.UTC)
	a, ok := alert.Raise(cfg, monitor.Transition{MonitorID: "checkout", From: monitor.StatusUp, To: monitor.StatusDown, Time: at, Reason: "connection refused"}, "")
	if !ok || len(a.Channels) != 1 {
		t.Fatalf("raised %v for channels %q, want one channel", ok, a.Channels)
	}
	a.Event.ID = "n-1"
	n := buildNotifiers(cfg, slog.New(slog.DiscardHandler))["alice-mail"]
	if _, err := n.Notify(context.Background(), a.Event); err != nil {
		t.Fatal(err)
	}
	got := ms.Drop.Messages()
	if len(got) != 1 {
		t.Fatalf("the server received %d mails, want 1", len(got))
	}
	m, err := mail.ReadMessage(strings.NewReader(string(got[0])))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(m.Body)
	body := strings.ReplaceAll(string(raw), "\r\n", "\n")
	for _, want := range []string{
		"Time:     2026-01-15 14:02:00 CET (13:02:00 UTC)\n",
		"Service:  Shop (shop)\n          The public shop.\n",
		"Owners:   Alice Example <alice@example.com>\n          Operations (team): Bob <bob@example.com>\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("mail body lacks %q:\n%s", want, body)
		}
	}
}

// TestHeartbeatShowsServiceOwners checks that a heartbeat's page and its
// API object name its service's owners and description, like a monitor's.
func TestHeartbeatShowsServiceOwners(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	cfg := pingConfig(t, "sqlite", `people:
  - {id: alice, name: Alice Example, email: alice@example.com}
services:
  - {id: exports, description: Nightly partner exports., owners: [alice]}
`)
	// Put pingConfig's heartbeat "job" into the service.
	writeConfig(t, path, strings.Replace(cfg, "  - id: job\n", "  - id: job\n    service: exports\n", 1))
	r := start(t, path)
	token, cookie := signIn(t, r.app.Store())
	get := func(p string, session bool) string { t.Helper(); return signedIn(t, r.url, p, session, token, cookie) }
	var api struct {
		Data struct {
			ServiceDescription string          `json:"service_description"`
			Owners             []catalog.Owner `json:"owners"`
		} `json:"data"`
	}
	raw := get("/api/v1/heartbeats/job", false)
	if err := json.Unmarshal([]byte(raw), &api); err != nil {
		t.Fatal(err)
	}
	want := []catalog.Owner{{ID: "alice", Name: "Alice Example", Kind: "person", Email: "alice@example.com"}}
	if api.Data.ServiceDescription != "Nightly partner exports." || !cmp.Equal(api.Data.Owners, want) {
		t.Errorf("heartbeat API: %s", raw)
	}
	page := get("/heartbeats/job", true)
	for _, w := range []string{`<p class="owners">Owners: `, `<a href="mailto:alice@example.com">`, "Nightly partner exports."} {
		if !strings.Contains(page, w) {
			t.Errorf("heartbeat page lacks %q", w)
		}
	}

	// A reload that hands the service to a team shows the new owners.
	reloaded := strings.Replace(cfg, "  - id: job\n", "  - id: job\n    service: exports\n", 1)
	reloaded = strings.Replace(reloaded, "owners: [alice]}", "owners: [night]}\nteams:\n  - {id: night, name: Night shift, members: [alice]}", 1)
	writeConfig(t, path, reloaded)
	if err := r.app.Reload(context.Background()); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	raw = get("/api/v1/heartbeats/job", false)
	api.Data.Owners = nil
	if err := json.Unmarshal([]byte(raw), &api); err != nil {
		t.Fatal(err)
	}
	want = []catalog.Owner{{ID: "night", Name: "Night shift", Kind: "team", Members: want}}
	if !cmp.Equal(api.Data.Owners, want) {
		t.Errorf("heartbeat API after the reload: %s", raw)
	}
}

// signIn creates an admin with an API token and a session in st and
// returns the token and the session cookie's value.
func signIn(t testing.TB, st store.Store) (token, cookie string) {
	t.Helper()
	ctx := t.Context()
	u, err := st.CreateUser(ctx, store.User{Name: "ada", PasswordHash: "x", Role: store.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	token, cookie = "tocsin_test-token-0123456789", "session-cookie-0123456789"
	if _, err := st.CreateAPIToken(ctx, store.APIToken{UserID: u.ID, Name: "t", TokenHash: sha(token), Prefix: "tocsin_test"}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateSession(ctx, store.Session{TokenHash: sha(cookie), UserID: u.ID, CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	return token, cookie
}
