package chat_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/notify/channels"
	"github.com/tocsin/tocsin/internal/notify/chat"
)

// request is what a test server received.
type request struct {
	Method, Path, Query, Body string
	Header                    http.Header
}

// server records every request and answers with status and body.
type server struct {
	*httptest.Server
	mu     sync.Mutex
	got    []request
	status int
	answer func(r *http.Request) string
}

func newServer(t *testing.T, answer func(r *http.Request) string) *server {
	s := &server{status: http.StatusOK, answer: answer}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.got = append(s.got, request{r.Method, r.URL.Path, r.URL.RawQuery, string(b), r.Header.Clone()})
		status := s.status
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		if status >= 400 {
			io.WriteString(w, `{"error":"refused","message":"refused"}`)
			return
		}
		io.WriteString(w, s.answer(r))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) requests() []request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]request(nil), s.got...)
}

func (s *server) setStatus(code int) {
	s.mu.Lock()
	s.status = code
	s.mu.Unlock()
}

func (s *server) host() string { return strings.TrimPrefix(s.URL, "http://") }

// build loads a configuration holding one channel and returns its
// notifier.
func build(t *testing.T, channel string) notify.Notifier {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	data := "storage: {driver: sqlite, dsn: \":memory:\"}\nchannels:\n  - id: c\n" + channel
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, channels.Config(nil))
	if err != nil {
		t.Fatal(err)
	}
	n, err := channels.All().Build(&cfg.Channels[0], cfg)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

var event = notify.Event{
	ID: "n-1", Event: notify.EventMonitorDown, MonitorID: "checkout", MonitorName: "Checkout API",
	ServiceID: "shop", ServiceName: "Shop", Status: "down", PreviousStatus: "up",
	Reason: "GET https://shop.example.com/health: 503, expected 200",
	Owners: []catalog.Owner{{ID: "appsupport", Name: "Application support", Kind: catalog.OwnerTeam}},
	Time:   time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC), URL: "https://tocsin.example.com/monitors/checkout",
}

const wantTitle = "DOWN: Checkout API (checkout) — GET https://shop.example.com/health: 503, expected 200"

// TestNtfy: the topic gets the event in words, title apart, over plain
// HTTP to a self-hosted server; a 5xx is retried, a 4xx is not.
func TestNtfy(t *testing.T) {
	s := newServer(t, func(*http.Request) string { return `{"id":"x","event":"message"}` })
	n := build(t, "    ntfy: {server: \""+s.host()+"\", topic: tocsin-alerts, insecure: true}\n")
	if retry, err := n.Notify(context.Background(), event); err != nil {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	got := s.requests()
	if len(got) != 1 {
		t.Fatalf("got %d requests, want 1", len(got))
	}
	r := got[0]
	if r.Method != http.MethodPost {
		t.Errorf("method %s", r.Method)
	}
	var msg struct {
		Topic, Title, Message string
	}
	if err := json.Unmarshal([]byte(r.Body), &msg); err == nil && msg.Topic != "" {
		if msg.Topic != "tocsin-alerts" || msg.Title != wantTitle || !strings.Contains(msg.Message, "Service: Shop (shop)") {
			t.Errorf("ntfy message = %+v", msg)
		}
	} else {
		if r.Path != "/tocsin-alerts" || r.Header.Get("Title") != wantTitle || !strings.Contains(r.Body, "Service: Shop (shop)") {
			t.Errorf("ntfy request = %+v", r)
		}
	}
	for _, c := range []struct {
		code  int
		retry bool
	}{{500, true}, {503, true}, {429, true}, {404, false}, {401, false}} {
		s.setStatus(c.code)
		retry, err := n.Notify(context.Background(), event)
		if err == nil || retry != c.retry {
			t.Errorf("answer %d: Notify = %v, %v; want retry %v and an error", c.code, retry, err, c.retry)
		}
	}
}

// TestGotify: the message goes to /message with the application token,
// which never shows in an error.
func TestGotify(t *testing.T) {
	s := newServer(t, func(*http.Request) string { return `{"id":1}` })
	const token = "AbCdEfGhIjKlMnO"
	n := build(t, "    gotify: {server: \""+s.host()+"\", token: "+token+", insecure: true}\n")
	if _, err := n.Notify(context.Background(), event); err != nil {
		t.Fatal(err)
	}
	got := s.requests()
	if len(got) != 1 || got[0].Path != "/message" {
		t.Fatalf("requests = %+v", got)
	}
	var msg struct {
		Title, Message string
	}
	if err := json.Unmarshal([]byte(got[0].Body), &msg); err != nil {
		t.Fatal(err)
	}
	if msg.Title != wantTitle || !strings.Contains(msg.Message, "Owners: Application support (team)") {
		t.Errorf("gotify message = %+v", msg)
	}
	if !strings.Contains(got[0].Query, token) && got[0].Header.Get("X-Gotify-Key") != token {
		t.Errorf("token not sent: %+v", got[0])
	}
	s.setStatus(401)
	retry, err := n.Notify(context.Background(), event)
	if err == nil || retry {
		t.Fatalf("401: Notify = %v, %v; want a final error", retry, err)
	}
	if strings.Contains(err.Error(), token) {
		t.Errorf("error shows the token: %v", err)
	}
}

// TestMattermost: an incoming webhook gets the text.
func TestMattermost(t *testing.T) {
	s := newServer(t, func(*http.Request) string { return `ok` })
	n := build(t, "    mattermost: {url: \"mattermost://"+s.host()+"/hooktoken123/ops\", insecure: true}\n")
	if _, err := n.Notify(context.Background(), event); err != nil {
		t.Fatal(err)
	}
	got := s.requests()
	if len(got) != 1 || got[0].Path != "/hooks/hooktoken123" {
		t.Fatalf("requests = %+v", got)
	}
	var msg map[string]any
	if err := json.Unmarshal([]byte(got[0].Body), &msg); err != nil {
		t.Fatal(err)
	}
	text, _ := msg["text"].(string)
	if !strings.Contains(text, "Reason: GET https://shop.example.com/health: 503") || msg["channel"] != "ops" {
		t.Errorf("mattermost message = %v", msg)
	}
}

// TestMatrix: with an access token the room is joined and the message
// put into it.
func TestMatrix(t *testing.T) {
	s := newServer(t, func(r *http.Request) string {
		switch {
		case strings.Contains(r.URL.Path, "/join/"):
			return `{"room_id":"!ops:example.com"}`
		case strings.Contains(r.URL.Path, "/joined_rooms"):
			return `{"joined_rooms":["!ops:example.com"]}`
		case strings.Contains(r.URL.Path, "/send/m.room.message/"):
			return `{"event_id":"$1"}`
		}
		return `{}`
	})
	n := build(t, "    matrix: {url: \"matrix://:syt_token@"+s.host()+"/?rooms="+url.QueryEscape("!ops:example.com")+"\", insecure: true}\n")
	if _, err := n.Notify(context.Background(), event); err != nil {
		t.Fatal(err)
	}
	var sent *request
	for _, r := range s.requests() {
		if strings.Contains(r.Path, "/send/m.room.message/") {
			sent = &r
		}
	}
	if sent == nil || sent.Method != http.MethodPut {
		t.Fatalf("no message sent: %+v", s.requests())
	}
	if sent.Header.Get("Authorization") != "Bearer syt_token" {
		t.Errorf("authorization = %q", sent.Header.Get("Authorization"))
	}
	if !strings.Contains(sent.Body, "Checkout API") {
		t.Errorf("message = %s", sent.Body)
	}
}

// TestURLs: the services that cannot be pointed at a local server: their
// documented URL forms pass validation, and the friendly keys build URLs
// shoutrrr accepts.
func TestURLs(t *testing.T) {
	for _, ch := range []string{
		"    slack: {url: \"slack://hook:T00000000-B00000000-XXXXXXXXXXXXXXXXXXXXXXXX@webhook\"}\n",
		"    slack: {url: \"slack://xoxb:123456789012-1234567890123-4mt0t4l1YL3g1T5L4cK70k3N@C001CH4NN3L\"}\n",
		"    teams: {url: \"teams://?host=https%3A%2F%2Fprod-00.westus.logic.azure.com%3A443%2Fworkflows%2Fabc123%2Ftriggers%2Fmanual%2Fpaths%2Finvoke%3Fapi-version%3D2016-06-00%26sig%3DXXXXXXXX\"}\n",
		"    teams: {webhook_url: \"https://prod-00.westus.logic.azure.com:443/workflows/abc123/triggers/manual/paths/invoke?api-version=2016-06-01&sig=XX\"}\n",
		"    slack: {webhook_url: \"https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX\"}\n",
		"    discord: {webhook_url: \"https://discord.com/api/webhooks/123456789012345678/tokenvalue\"}\n",
		"    mattermost: {webhook_url: \"https://chat.example.com/hooks/bywsw8zt5jgpte3nm65qjiru6h\"}\n",
		"    discord: {url: \"discord://tokenvalue@123456789012345678\"}\n",
		"    telegram: {token: \"110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw\", chats: [\"@ops\", \"-100123\"]}\n",
		"    pushover: {token: azGDORePK8gMaC0QOYAMyEEuzJnyUi, user: uQiRzpo4DXghDmr9QzzfQu27cmVRsG}\n",
		"    opsgenie: {url: \"opsgenie://api.opsgenie.com/eb243592-faa2-4ba2-a551q-1afdf565c889\"}\n",
		"    googlechat: {url: \"googlechat://chat.googleapis.com/v1/spaces/FOO/messages?key=bar&token=baz\"}\n",
		"    rocketchat: {url: \"rocketchat://rocket.example.com/8eGdRzc9r4YYNyvge/2XYQcX9NBwJBKfQnphpebPcnXZcPEi32Nt4NKJfrnbhsbRfX\"}\n",
		"    zulip: {url: \"zulip://bot-name%40example.com:correcthorsebatterystaple@example.zulipchat.com/?stream=alerts\"}\n",
		"    ntfy: {topic: alerts}\n",
	} {
		build(t, ch)
	}
}

// TestRetryable: refusals are final, the rest is tried again.
func TestRetryable(t *testing.T) {
	for msg, want := range map[string]bool{
		"failed to send: got unexpected HTTP status: 404 Not Found": false,
		"server returned response status code 401":                  false,
		"got unexpected HTTP status: 502 Bad Gateway":               true,
		"HTTP 429":                     true,
		"dial tcp: connection refused": true,
	} {
		if got := chat.Retryable(errString(msg)); got != want {
			t.Errorf("Retryable(%q) = %v, want %v", msg, got, want)
		}
	}
}

type errString string

func (e errString) Error() string { return string(e) }
