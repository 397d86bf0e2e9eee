package app

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/store/storetest"
)

// provisionConfig is a server with auto-provisioning, one configured
// heartbeat with a slug, and the creation limits given in limits (lines
// under server.pings).
func provisionConfig(t *testing.T, driver, limits string) string {
	return `server:
  listen: 127.0.0.1:0
  trusted_proxies: [127.0.0.1]
  pings:
    key: ` + hbPingKey + `
    auto_create: true
    heartbeat_rate: 0
    client_rate: 0
` + limits + storageYAML(t, driver) + `
heartbeats:
  - id: job
    uuid: ` + hbUUID + `
    slug: nightly
    period: 1h
`
}

// pingFrom sends a GET as the client at ip (through the trusted proxy).
func pingFrom(t *testing.T, url, ip string) pingAnswer {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Forwarded-For", ip)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(res.Body)
	return pingAnswer{status: res.StatusCode, body: b.String(), header: res.Header}
}

func storedCount(t *testing.T, r *running) int {
	t.Helper()
	rows, err := r.app.Store().StoredHeartbeats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(rows)
}

// TestCreateFloodStopsAtCap floods ?create=1 with distinct slugs from many
// clients at once, while the configured heartbeat is pinged: no more
// heartbeats are created than the cap (which counts the configured one),
// the rest are told which limit refused them, and the existing heartbeat
// answers 200 throughout.
func TestCreateFloodStopsAtCap(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			const maxHBs, flood = 5, 40
			path := filepath.Join(t.TempDir(), "tocsin.yaml")
			writeConfig(t, path, provisionConfig(t, driver, fmt.Sprintf("    max_heartbeats_per_key: %d\n    create_rate: 0\n    client_create_rate: 0\n", maxHBs)))
			r := startWithClock(t, path, time.Now)
			var wg sync.WaitGroup
			var mu sync.Mutex
			count := map[int]int{}
			var refusals []pingAnswer
			for i := range flood {
				wg.Go(func() {
					a := pingFrom(t, fmt.Sprintf("%s/ping/%s/flood-%d?create=1", r.url, hbPingKey, i), fmt.Sprintf("198.51.100.%d", i+1))
					mu.Lock()
					defer mu.Unlock()
					count[a.status]++
					if a.status != http.StatusCreated {
						refusals = append(refusals, a)
					}
				})
				wg.Go(func() {
					u := r.url + "/ping/" + hbUUID
					if i%2 == 1 {
						u = r.url + "/ping/" + hbPingKey + "/nightly?create=1"
					}
					if a := pingFrom(t, u, "203.0.113.9"); a.status != http.StatusOK || a.body != "OK" {
						t.Errorf("existing heartbeat during the flood: %d %q", a.status, a.body)
					}
				})
			}
			wg.Wait()
			if count[http.StatusCreated] != maxHBs-1 || count[http.StatusTooManyRequests] != flood-(maxHBs-1) {
				t.Errorf("answers %v, want %d × 201 and the rest 429", count, maxHBs-1)
			}
			if n := storedCount(t, r); n != maxHBs-1 {
				t.Errorf("%d heartbeats stored, want %d", n, maxHBs-1)
			}
			for _, a := range refusals {
				if a.status == http.StatusTooManyRequests && (!strings.Contains(a.body, "server.pings.max_heartbeats_per_key") || a.header.Get("Retry-After") != "") {
					t.Errorf("refusal %q (Retry-After %q): want the limit named and no Retry-After", a.body, a.header.Get("Retry-After"))
					break
				}
			}
		})
	}
}

// TestCreateRateLimits checks the creation rates: one client gets 429
// with Retry-After once it has created client_create_rate heartbeats in a
// minute, the ping key once pings from every client together have
// created create_rate, and both recover a minute later. Pings to
// heartbeats that exist are never refused by either.
func TestCreateRateLimits(t *testing.T) {
	clock := storetest.NewClock(time.Date(2026, 3, 28, 10, 0, 0, 0, time.UTC))
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeConfig(t, path, provisionConfig(t, "sqlite", "    create_rate: 5\n    client_create_rate: 3\n"))
	r := startWithClock(t, path, clock.Now)
	create := func(slug, ip string) pingAnswer {
		return pingFrom(t, r.url+"/ping/"+hbPingKey+"/"+slug+"?create=1", ip)
	}
	existing := func() {
		t.Helper()
		if a := create("nightly", "198.51.100.1"); a.status != http.StatusOK {
			t.Errorf("existing heartbeat by slug: %d %q", a.status, a.body)
		}
		if a := pingFrom(t, r.url+"/ping/"+hbUUID, "198.51.100.1"); a.status != http.StatusOK {
			t.Errorf("existing heartbeat by uuid: %d %q", a.status, a.body)
		}
	}
	for i := range 3 {
		if a := create(fmt.Sprintf("a-%d", i), "198.51.100.1"); a.status != http.StatusCreated {
			t.Fatalf("creation %d from one client: %d %q", i+1, a.status, a.body)
		}
	}
	a := create("a-3", "198.51.100.1")
	if a.status != http.StatusTooManyRequests || a.header.Get("Retry-After") == "" || !strings.Contains(a.body, "server.pings.client_create_rate") {
		t.Errorf("4th creation from one client: %d %q Retry-After %q; want 429 naming client_create_rate", a.status, a.body, a.header.Get("Retry-After"))
	}
	existing()
	for i := range 2 {
		if a := create(fmt.Sprintf("b-%d", i), fmt.Sprintf("198.51.100.%d", 10+i)); a.status != http.StatusCreated {
			t.Fatalf("creation from another client: %d %q", a.status, a.body)
		}
	}
	a = create("c-0", "198.51.100.20")
	if a.status != http.StatusTooManyRequests || a.header.Get("Retry-After") == "" || !strings.Contains(a.body, "server.pings.create_rate") {
		t.Errorf("6th creation with the key: %d %q Retry-After %q; want 429 naming create_rate", a.status, a.body, a.header.Get("Retry-After"))
	}
	existing()
	if n := storedCount(t, r); n != 5 {
		t.Errorf("%d heartbeats stored, want 5", n)
	}
	clock.Add(time.Minute)
	if a := create("a-3", "198.51.100.1"); a.status != http.StatusCreated {
		t.Errorf("a minute later: %d %q", a.status, a.body)
	}
}

// TestRunCreateRefusedAtCap: tocsin run --create against a server whose
// ping key has its most heartbeats creates nothing and says why.
func TestRunCreateRefusedAtCap(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeConfig(t, path, provisionConfig(t, "sqlite", "    max_heartbeats_per_key: 1\n"))
	r := startWithClock(t, path, time.Now)
	env := map[string]string{"TOCSIN_URL": r.url, "TOCSIN_PING_KEY": hbPingKey}
	var out, errb bytes.Buffer
	code := Main(context.Background(), []string{"run", "--slug", "fresh-job", "--create", "--retry-for", "1ms", "--", "sh", "-c", "echo ran"},
		Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }})
	if code != 0 || out.String() != "ran\n" {
		t.Errorf("the command's exit and output: %d %q", code, out.String())
	}
	if !strings.Contains(errb.String(), "429") || !strings.Contains(errb.String(), "max_heartbeats_per_key") {
		t.Errorf("tocsin run said %q; want the 429 and the limit", errb.String())
	}
	if n := storedCount(t, r); n != 0 {
		t.Errorf("%d heartbeats created", n)
	}
}
