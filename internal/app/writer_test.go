package app

import (
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/testkit"
)

// configDSN returns the quoted storage dsn of a config from baseConfig.
func configDSN(t *testing.T, cfg string) string {
	t.Helper()
	dsn := cfg[strings.Index(cfg, "dsn: ")+len("dsn: "):]
	dsn, err := strconv.Unquote(strings.TrimSpace(dsn[:strings.Index(dsn, "\n")]))
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}

// waitHeld waits until the engine holds at least n results (exactly 0
// when n is 0) waiting to be written, and returns how many.
func waitHeld(t *testing.T, a *App, n int) int {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		held := a.eng.Backlog().Results
		if n == 0 && held == 0 || n > 0 && held >= n {
			return held
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d results held, want %d", held, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// get fetches url and returns the status and body.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// waitReady polls /readyz until it answers want and its body contains
// text, and returns the body.
func waitReady(t *testing.T, r *running, want int, text string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, body := get(t, r.url+"/readyz")
		if code == want && strings.Contains(body, text) {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz answers %d %q, want %d with %q", code, body, want, text)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestReadyzWhileWritesFail makes the real PostgreSQL database refuse
// every write as a full disk does (SQLSTATE 53100, from triggers on the
// tables Tocsin writes) while reads keep working: /readyz must go 503 and
// say why, /metrics must count the failed batches, and both must come back
// once the database takes writes again, with nothing lost in between.
func TestReadyzWhileWritesFail(t *testing.T) {
	target := testkit.NewTarget(t)
	hook := testkit.NewWebhook(t)
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	cfg := baseConfig(t, "postgres", target.URL, hook.URL)
	writeConfig(t, path, cfg)
	dsn := configDSN(t, cfg)
	r := start(t, path)
	waitState(t, r.app, "site", monitor.StatusUp)
	waitReady(t, r, http.StatusOK, "ok")

	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	tables := []string{"results", "monitor_states", "transitions", "outbox", "pings"}
	exec := func(q string) {
		t.Helper()
		if _, err := admin.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full'; END $$`)
	for _, tb := range tables {
		exec("CREATE TRIGGER disk_full BEFORE INSERT OR UPDATE ON " + tb + " FOR EACH ROW EXECUTE FUNCTION disk_full()")
	}
	body := waitReady(t, r, http.StatusServiceUnavailable, "the results writer cannot write to the database")
	if !strings.Contains(body, "No space left on device") {
		t.Errorf("/readyz does not say why: %q", body)
	}
	if code, _ := get(t, r.url+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d while writes fail; the process is alive", code)
	}
	before, err := r.app.store.Results(t.Context(), "site", store.Page{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	_, metrics := get(t, r.url+"/metrics")
	for _, want := range []string{`tocsin_writer_failed_batches_total{writer="results"}`, `tocsin_writer_queue_depth{writer="results"}`, `tocsin_store_dropped_rows_total`, `tocsin_result_flush_errors_total`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(metrics, `tocsin_writer_failed_batches_total{writer="results"} 0`) {
		t.Error("no failed batch counted while writes fail")
	}

	// Results go on arriving and are held.
	held := waitHeld(t, r.app, 2)
	for _, tb := range tables {
		exec("DROP TRIGGER disk_full ON " + tb)
	}
	waitReady(t, r, http.StatusOK, "ok")
	waitHeld(t, r.app, 0)
	after, err := r.app.store.Results(t.Context(), "site", store.Page{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(after) < len(before)+held {
		t.Errorf("results stored: %d before the outage ended, %d after, with %d held; want the held ones written", len(before), len(after), held)
	}
	_, metrics = get(t, r.url+"/metrics")
	if strings.Contains(metrics, `tocsin_store_dropped_rows_total{writer="results"}`) && !strings.Contains(metrics, `tocsin_store_dropped_rows_total{writer="results"} 0`) {
		t.Error("rows were dropped during an outage; they must be kept and retried")
	}
}

// TestReadyzWhileSQLiteIsFull fills the SQLite database up to its size
// limit from another connection, as a full disk would: a ping with a body
// then cannot be stored (SQLITE_FULL), its sender gets 503, /readyz goes
// 503 and says why, and both recover once space is freed.
func TestReadyzWhileSQLiteIsFull(t *testing.T) {
	target := testkit.NewTarget(t)
	hook := testkit.NewWebhook(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "tocsin.db")
	path := filepath.Join(dir, "tocsin.yaml")
	const maxPages = 2000 // 8 MiB of 4 KiB pages
	cfg := baseConfig(t, "sqlite", target.URL, hook.URL)
	cfg = regexp.MustCompile(`(?m)^  dsn: .*$`).ReplaceAllString(cfg, fmt.Sprintf("  dsn: %s?_pragma=max_page_count(%d)", file, maxPages))
	cfg += "heartbeats:\n  - id: job\n    uuid: " + hbUUID + "\n    period: 1h\n    grace: 10m\n"
	writeConfig(t, path, cfg)
	r := start(t, path)
	waitState(t, r.app, "site", monitor.StatusUp)
	waitReady(t, r, http.StatusOK, "ok")
	ping := func() int {
		t.Helper()
		resp, err := http.Post(r.url+"/ping/"+hbUUID, "text/plain", strings.NewReader(strings.Repeat("log line\n", 8000)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := ping(); code != http.StatusOK {
		t.Fatalf("ping before the disk fills: %d", code)
	}

	raw, err := sql.Open("sqlite", file+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var pageSize, pages int64
	if err := raw.QueryRow("PRAGMA page_size").Scan(&pageSize); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec("CREATE TABLE filler (b BLOB)"); err != nil {
		t.Fatal(err)
	}
	for pages < maxPages {
		if _, err := raw.Exec("INSERT INTO filler VALUES (zeroblob(?))", 256*pageSize); err != nil {
			t.Fatal(err)
		}
		if err := raw.QueryRow("PRAGMA page_count").Scan(&pages); err != nil {
			t.Fatal(err)
		}
	}
	if code := ping(); code != http.StatusServiceUnavailable {
		t.Errorf("ping while the database is full: %d, want 503", code)
	}
	body := waitReady(t, r, http.StatusServiceUnavailable, "the pings writer cannot write to the database")
	if !strings.Contains(body, "full") {
		t.Errorf("/readyz does not say the database is full: %q", body)
	}
	if _, err := raw.Exec("DROP TABLE filler"); err != nil {
		t.Fatal(err)
	}
	if code := ping(); code != http.StatusOK {
		t.Errorf("ping once space is freed: %d, want 200", code)
	}
	waitReady(t, r, http.StatusOK, "ok")
	if n, err := r.app.store.CountPings(t.Context(), "job"); err != nil || n != 2 {
		t.Errorf("stored pings: %d, %v; want the two sent while there was space", n, err)
	}
}

// TestRefusedPingAnswers400 adds a constraint to the real PostgreSQL
// database that refuses one kind of ping: that ping is answered 400 with
// the reason, a ping of the same heartbeat right after it 200, and /readyz
// stays ready (the database works; it refused one row).
func TestRefusedPingAnswers400(t *testing.T) {
	target := testkit.NewTarget(t)
	hook := testkit.NewWebhook(t)
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	cfg := baseConfig(t, "postgres", target.URL, hook.URL) + "heartbeats:\n  - id: job\n    uuid: " + hbUUID + "\n    period: 1h\n    grace: 10m\n"
	writeConfig(t, path, cfg)
	dsn := configDSN(t, cfg)
	r := start(t, path)
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(t.Context(), "ALTER TABLE pings ADD CONSTRAINT no_robots CHECK (user_agent <> 'robot/1')"); err != nil {
		t.Fatal(err)
	}
	ping := func(ua string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", r.url+"/ping/"+hbUUID, nil)
		req.Header.Set("User-Agent", ua)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := ping("robot/1"); code != http.StatusBadRequest || !strings.Contains(body, "the ping was not stored") || !strings.Contains(body, "no_robots") {
		t.Errorf("refused ping answered %d %q, want 400 saying why", code, body)
	}
	if code, body := ping("curl/8"); code != http.StatusOK {
		t.Errorf("good ping answered %d %q", code, body)
	}
	waitReady(t, r, http.StatusOK, "ok")
	if n, err := r.app.store.CountPings(t.Context(), "job"); err != nil || n != 1 {
		t.Errorf("stored pings: %d, %v; want 1", n, err)
	}
	_, metrics := get(t, r.url+"/metrics")
	if !strings.Contains(metrics, `tocsin_store_dropped_rows_total{writer="pings"} 1`) {
		t.Error(`/metrics lacks tocsin_store_dropped_rows_total{writer="pings"} 1`)
	}
}
