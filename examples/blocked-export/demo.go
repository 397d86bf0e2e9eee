package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/tocsin/tocsin/internal/app"
	"github.com/tocsin/tocsin/internal/store"
)

// options shape one run of the demo.
type options struct {
	// Dir holds the database, the configuration, the export and the
	// postmortem draft the demo writes.
	Dir string
	// Listen is the address of Tocsin's web server.
	Listen string
	// Interval is how often the export is checked; ResolveAfter how long
	// the incident stays in monitoring once the export is back.
	Interval, ResolveAfter time.Duration
	// Wait bounds each step.
	Wait time.Duration
	// Log receives Tocsin's own log; nil discards it.
	Log io.Writer
	// Keep, when not nil, keeps Tocsin serving after the replay until it
	// is closed.
	Keep <-chan struct{}
}

// outcome is what a run leaves behind, for the test to check.
type outcome struct {
	URL        string
	IncidentID int64
	Pages      []string
	StatusPage statusJSON
	Postmortem string
}

type statusJSON struct {
	State      string `json:"state"`
	Components []struct {
		Name  string `json:"name"`
		State string `json:"state"`
	} `json:"components"`
	Events []struct {
		Time  time.Time `json:"time"`
		Title string    `json:"title"`
		Text  string    `json:"text"`
	} `json:"events"`
}

type incidentJSON struct {
	ID         int64      `json:"id"`
	Title      string     `json:"title"`
	State      string     `json:"state"`
	Severity   string     `json:"severity"`
	DetectedAt *time.Time `json:"detected_at"`
	Alerts     []int64    `json:"alerts"`
	Timeline   []struct {
		Time time.Time `json:"time"`
		Kind string    `json:"kind"`
		Text string    `json:"text"`
		Who  string    `json:"who"`
	} `json:"timeline"`
}

const (
	partnerUser     = "partner-probe"
	partnerPassword = "export-demo-password"
	apiToken        = "tocsin_demo-blocked-export-token"
)

// run replays the second founding incident against a real SFTP server
// and a real Tocsin, narrating each step to out; ctx ends it early.
func run(ctx context.Context, out io.Writer, o options) (outcome, error) {
	var res outcome
	say := func(format string, args ...any) {
		fmt.Fprintf(out, "%s  "+format+"\n", append([]any{time.Now().UTC().Format("15:04:05")}, args...)...)
	}
	exports := filepath.Join(o.Dir, "exports")
	if err := os.MkdirAll(exports, 0o755); err != nil {
		return res, err
	}
	xml := "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<catalogue>\n" + strings.Repeat("  <record id=\"x\">a partner's record</record>\n", 40) + "</catalogue>\n"
	name := "catalogue-" + time.Now().UTC().Format("2006-01-02") + ".xml"
	if err := os.WriteFile(filepath.Join(exports, name), []byte(xml), 0o644); err != nil {
		return res, err
	}
	files, err := startExportServer(partnerUser, partnerPassword)
	if err != nil {
		return res, fmt.Errorf("start the export server: %w", err)
	}
	defer files.Close()
	fw, err := startFirewall(files.addr)
	if err != nil {
		return res, fmt.Errorf("start the firewall: %w", err)
	}
	defer fw.Close()
	pager, err := startPager()
	if err != nil {
		return res, fmt.Errorf("start the pager: %w", err)
	}
	defer pager.Close()
	say("file server up; partners reach it through the campus firewall at %s", fw.addr)

	cfgPath := filepath.Join(o.Dir, "tocsin.yaml")
	if err := os.WriteFile(cfgPath, []byte(config(o, fw.addr, files.fingerprint, exports, pager.url)), 0o600); err != nil {
		return res, err
	}
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return res, fmt.Errorf("listen on %s: %w", o.Listen, err)
	}
	logOut := o.Log
	if logOut == nil {
		logOut = io.Discard
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	a, err := app.New(ctx, app.Options{ConfigPath: cfgPath, Listener: ln, Logger: slog.New(slog.NewTextHandler(logOut, nil))})
	if err != nil {
		ln.Close()
		return res, err
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() { cancel(); <-done }()
	res.URL = "http://" + ln.Addr().String()
	say("Tocsin is at %s (configuration: %s)", res.URL, cfgPath)
	if err := demoUser(ctx, a.Store()); err != nil {
		return res, err
	}
	api := &client{base: res.URL, token: apiToken}

	var st statusJSON
	if err := waitFor(ctx, o.Wait, "the export to be checked and found operational", func() (bool, error) {
		err := api.get(ctx, "/status/library.json", &st)
		return err == nil && st.State == "operational", err
	}); err != nil {
		return res, err
	}
	say("status page /status/library: %s; last night's %s is there", st.State, name)

	change := map[string]any{
		"title":      "firewall: block inbound SSH from outside the campus network",
		"author":     "netops",
		"components": []string{"host:files"},
		"link":       "https://tickets.example.org/NET-4711",
	}
	if err := api.post(ctx, "/api/v1/changes", change, nil); err != nil {
		return res, fmt.Errorf("record the change: %w", err)
	}
	say("network team records change NET-4711 on host files (nobody maps it to the export)")
	fw.Block()
	say("the firewall now drops SSH from outside")

	var in incidentJSON
	if err := waitFor(ctx, o.Wait, "an incident to open", func() (bool, error) {
		var list []incidentJSON
		if err := api.get(ctx, "/api/v1/incidents?state=active", &list); err != nil {
			return false, err
		}
		if len(list) == 0 {
			return false, nil
		}
		in = list[0]
		return true, nil
	}); err != nil {
		return res, err
	}
	res.IncidentID = in.ID
	say("incident %d opened: %q, severity %s", in.ID, in.Title, in.Severity)
	if err := waitFor(ctx, o.Wait, "the owner to be paged", func() (bool, error) { return len(pager.events()) > 0, nil }); err != nil {
		return res, err
	}
	for _, p := range pager.events() {
		say("paged: %s", p)
	}
	if len(in.Alerts) > 0 {
		if err := api.post(ctx, fmt.Sprintf("/api/v1/alerts/%d/ack", in.Alerts[0]), map[string]any{}, nil); err != nil {
			return res, fmt.Errorf("acknowledge: %w", err)
		}
		say("Dana acknowledges alert %d", in.Alerts[0])
	}
	update := map[string]any{
		"status":  "identified",
		"public":  true,
		"message": "Partners outside the campus cannot fetch the nightly catalogue export since a firewall change. We are reverting it.",
	}
	if err := api.post(ctx, fmt.Sprintf("/api/v1/incidents/%d/updates", in.ID), update, nil); err != nil {
		return res, fmt.Errorf("post the status update: %w", err)
	}
	if err := waitFor(ctx, o.Wait, "the status page to show the update", func() (bool, error) {
		err := api.get(ctx, "/status/library.json", &st)
		return err == nil && st.State != "operational" && len(st.Events) >= 2, err
	}); err != nil {
		return res, err
	}
	say("status page /status/library: %s", st.State)
	for _, e := range st.Events {
		say("  public: %s %s — %s", e.Time.Format("15:04:05"), e.Title, e.Text)
	}
	res.StatusPage = st

	fw.Allow()
	say("the change is reverted: SSH from outside is allowed again")
	if err := waitFor(ctx, o.Wait, "the incident to resolve", func() (bool, error) {
		err := api.get(ctx, fmt.Sprintf("/api/v1/incidents/%d", in.ID), &in)
		return err == nil && in.State == "resolved", err
	}); err != nil {
		return res, err
	}
	say("incident %d resolved; its timeline has %d entries", in.ID, len(in.Timeline))
	for _, e := range in.Timeline {
		say("  %s  %-20s %s", e.Time.Format("15:04:05.000"), e.Kind, e.Text)
	}

	md, err := api.raw(ctx, fmt.Sprintf("/api/v1/incidents/%d/postmortem.md", in.ID))
	if err != nil {
		return res, fmt.Errorf("postmortem draft: %w", err)
	}
	res.Postmortem = md
	pmPath := filepath.Join(o.Dir, "postmortem.md")
	if err := os.WriteFile(pmPath, []byte(md), 0o644); err != nil {
		return res, err
	}
	say("postmortem draft written to %s (%d lines): open %s/incidents/%d/postmortem to edit it", pmPath, strings.Count(md, "\n"), res.URL, in.ID)
	res.Pages = pager.events()
	if o.Keep != nil {
		say("Tocsin keeps running at %s; the status page is %s/status/library. To sign in, add an account:", res.URL, res.URL)
		say("  go run ./cmd/tocsin user add --config %s ada", cfgPath)
		say("Ctrl-C stops it.")
		<-o.Keep
	}
	return res, nil
}

// config is the demo's Tocsin configuration: the export as a service on
// host files, checked over SFTP through the firewall the way partners
// fetch it, owned by Dana, paged by webhook, shown on a status page.
func config(o options, addr, fingerprint, exports, pagerURL string) string {
	return fmt.Sprintf(`# Written by examples/blocked-export; see its README.
server:
  listen: %[1]s
storage:
  driver: sqlite
  dsn: %[2]s
people:
  - id: dana
    name: Dana (data services)
    email: dana@example.org
    contacts: [{channel: pager}]
channels:
  - id: pager
    type: webhook
    webhook: {url: %[3]q}
hosts:
  - id: files
    name: files.example.org
escalation_policies:
  - id: data-services
    steps:
      - {notify: ["person:dana"]}
services:
  - id: catalogue-export
    name: Nightly catalogue export
    description: Fetched over SFTP by 25 partner institutions.
    owners: [dana]
    escalation_policy: data-services
    depends_on: ["host:files"]
status_pages:
  - id: library
    slug: library
    title: Library services
    components:
      - service: catalogue-export
incidents:
  severity: p1
  resolve_after: %[4]s
monitors:
  - id: export-fresh
    name: Last night's export is there
    service: catalogue-export
    type: sftp
    interval: %[5]s
    timeout: %[6]s
    failure_threshold: 2
    sftp:
      address: %[7]s
      user: %[8]s
      password: %[9]s
      host_key: %[10]s
      path: %[11]s/catalogue-*.xml
      max_age: 26h
      min_size: 1024
      content_regex: '^<\?xml'
`, o.Listen, filepath.Join(o.Dir, "tocsin.db"), pagerURL, o.ResolveAfter, o.Interval, o.Interval*8/10,
		addr, partnerUser, partnerPassword, fingerprint, exports)
}

// demoUser creates the account the demo acts as, with its API token.
func demoUser(ctx context.Context, st store.Store) error {
	u, err := st.CreateUser(ctx, store.User{Name: "dana", PasswordHash: "!", Role: store.RoleAdmin})
	if err != nil {
		return fmt.Errorf("create the demo user: %w", err)
	}
	h := sha256.Sum256([]byte(apiToken))
	_, err = st.CreateAPIToken(ctx, store.APIToken{UserID: u.ID, Name: "demo", TokenHash: h[:], Prefix: apiToken[:12], CreatedAt: time.Now().UTC()})
	return err
}

// waitFor polls ok until it is true, ctx ends or limit passes.
func waitFor(ctx context.Context, limit time.Duration, what string, ok func() (bool, error)) error {
	deadline := time.Now().Add(limit)
	var last error
	for {
		done, err := ok()
		if done {
			return nil
		}
		last = err
		if time.Now().After(deadline) {
			if last != nil {
				return fmt.Errorf("waited %s for %s: %w", limit, what, last)
			}
			return fmt.Errorf("waited %s for %s", limit, what)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// client calls Tocsin's API with a bearer token.
type client struct {
	base, token string
}

func (c *client) do(ctx context.Context, method, path string, body any) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		js, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(b)))
	}
	return b, nil
}

func (c *client) raw(ctx context.Context, path string) (string, error) {
	b, err := c.do(ctx, http.MethodGet, path, nil)
	return string(b), err
}

// get decodes a response: the API's {"data": ...} envelope, or the
// public JSON of a status page as it is.
func (c *client) get(ctx context.Context, path string, v any) error {
	b, err := c.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	return decode(path, b, v)
}

func (c *client) post(ctx context.Context, path string, body, v any) error {
	b, err := c.do(ctx, http.MethodPost, path, body)
	if err != nil || v == nil {
		return err
	}
	return decode(path, b, v)
}

func decode(path string, b []byte, v any) error {
	if strings.HasPrefix(path, "/api/") {
		var env struct {
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(b, &env); err != nil {
			return err
		}
		b = env.Data
	}
	return json.Unmarshal(b, v)
}

// pager is the webhook the owner's pages reach: it keeps one line per
// notification.
type pager struct {
	url string
	srv *http.Server
	mu  sync.Mutex
	got []string
}

func startPager() (*pager, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &pager{url: "http://" + ln.Addr().String() + "/page"}
	p.srv = &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e struct {
			Event   string `json:"event"`
			Service string `json:"service_id"`
			Reason  string `json:"reason"`
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&e); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		p.mu.Lock()
		p.got = append(p.got, fmt.Sprintf("%s %s: %s", e.Event, e.Service, e.Reason))
		p.mu.Unlock()
	})}
	go func() {
		if err := p.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, "pager:", err)
		}
	}()
	return p, nil
}

func (p *pager) events() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.got...)
}

func (p *pager) Close() error { return p.srv.Close() }
