package app

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/heartbeat"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/notify/channels"
	probekinds "github.com/tocsin/tocsin/internal/probe/kinds"
)

// jsonTarget answers every request with a small JSON document that the
// imported expectations look into.
func jsonTarget(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"status": "UP", "items": [{"state": "in-stock"}], "note": "healthy"}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestImportRoundTrip imports a Gatus configuration, an Uptime Kuma
// backup and a kuma.db whose monitors point at local targets, includes
// the files from a main configuration, serves it on each database, and
// watches the imported monitors come up.
func TestImportRoundTrip(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) { importRoundTrip(t, driver) })
	}
}

func importRoundTrip(t *testing.T, driver string) {
	target := jsonTarget(t)
	host := strings.TrimPrefix(target.URL, "http://")
	port := target.Listener.Addr().(*net.TCPAddr).Port
	dir := t.TempDir()
	gatusFile := filepath.Join(dir, "gatus.yaml")
	writeConfig(t, gatusFile, `endpoints:
  - name: health
    group: core
    url: "`+target.URL+`/health"
    interval: 200ms
    conditions:
      - "[STATUS] == 200"
      - "[BODY].status == UP"
      - "[RESPONSE_TIME] < 5000"
  - name: port
    group: core
    url: "tcp://`+host+`"
    interval: 200ms
    conditions: ["[CONNECTED] == true"]
  - name: grpc
    url: "grpc://`+host+`"
`)
	kumaFile := filepath.Join(dir, "backup.json")
	kuma, _ := json.Marshal(map[string]any{
		"version": "1.23.16",
		"monitorList": []map[string]any{
			{"id": 1, "name": "Health", "type": "keyword", "active": true, "url": target.URL + "/", "interval": 1, "keyword": "healthy", "accepted_statuscodes": []string{"200-299"}, "notificationIDList": map[string]bool{}},
			{"id": 2, "name": "Stock", "type": "json-query", "active": true, "url": target.URL + "/stock", "interval": 1, "jsonPath": "items[0].state", "expectedValue": "in-stock", "notificationIDList": map[string]bool{}},
			{"id": 3, "name": "Port", "type": "port", "active": true, "hostname": "127.0.0.1", "port": port, "interval": 1},
		},
	})
	writeConfig(t, kumaFile, string(kuma))
	// A kuma.db of an old Uptime Kuma: a monitor table and nothing else.
	kumaDB := filepath.Join(dir, "kuma.db")
	db, err := sql.Open("sqlite", kumaDB)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`CREATE TABLE monitor (id INTEGER PRIMARY KEY, name VARCHAR(150), active BOOLEAN NOT NULL DEFAULT 1, interval INTEGER NOT NULL DEFAULT 20,
			url TEXT, type VARCHAR(20), hostname VARCHAR(255), port INTEGER, keyword VARCHAR(255), maxretries INTEGER NOT NULL DEFAULT 0,
			accepted_statuscodes_json TEXT NOT NULL DEFAULT '["200-299"]')`,
		fmt.Sprintf(`INSERT INTO monitor (id, name, type, url, interval, keyword) VALUES (1, 'From the database', 'keyword', '%s/db', 1, 'in-stock')`, target.URL),
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	code, stdout, stderr := runCLI(t, "", "import", "gatus", gatusFile, "--out", filepath.Join(dir, "from-gatus.yaml"))
	if code != 0 || stdout != "" || !strings.Contains(stderr, `endpoint "grpc": not mapped`) {
		t.Fatalf("import gatus: exit %d\n%s%s", code, stdout, stderr)
	}
	code, _, stderr = runCLI(t, "", "import", "uptime-kuma", "--id-prefix", "kuma-", kumaFile, "--out", filepath.Join(dir, "from-kuma.yaml"))
	if code != 0 {
		t.Fatalf("import uptime-kuma backup: exit %d\n%s", code, stderr)
	}
	code, _, stderr = runCLI(t, "", "import", "uptime-kuma", "--id-prefix", "kumadb-", kumaDB, "--out", filepath.Join(dir, "from-kumadb.yaml"))
	if code != 0 {
		t.Fatalf("import uptime-kuma database: exit %d\n%s", code, stderr)
	}
	for _, f := range []string{"from-gatus.yaml", "from-kuma.yaml", "from-kumadb.yaml"} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v, want 0600", f, err, st.Mode().Perm())
		}
	}
	main := filepath.Join(dir, "tocsin.yaml")
	writeConfig(t, main, "server:\n  listen: 127.0.0.1:0\n"+storageYAML(t, driver)+"include: [from-gatus.yaml, from-kuma.yaml, from-kumadb.yaml]\n")
	cfg, err := config.Load(main, channels.Config(probekinds.Config()))
	if err != nil {
		t.Fatalf("the imported files do not load: %v", err)
	}
	if len(cfg.Monitors) != 6 {
		t.Fatalf("%d monitors loaded, want 6", len(cfg.Monitors))
	}
	r := start(t, main)
	for _, id := range []string{"core-health", "core-port", "kuma-health", "kuma-stock", "kuma-port", "kumadb-from-the-database"} {
		waitState(t, r.app, id, monitor.StatusUp)
	}
}

// TestImportedGoldenFilesLoad: the files the importers' golden tests
// hold, every source's mapping at once, load as Tocsin configurations.
func TestImportedGoldenFilesLoad(t *testing.T) {
	t.Setenv("SMTP_PASSWORD", "x")
	t.Setenv("API_TOKEN", "x")
	t.Setenv("SSH_PASSWORD", "x")
	for _, f := range []string{
		"../importer/gatus/testdata/config.golden.yaml",
		"../importer/uptimekuma/testdata/backup.golden.yaml",
		"../importer/uptimekuma/testdata/kumadb.golden.yaml",
	} {
		if _, err := config.Load(f, channels.Config(probekinds.Config())); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// fakeHealthchecks is a Healthchecks site with one check: the management
// API v3 (GET /api/v3/checks/ and /api/v3/channels/ with X-Api-Key) and
// the ping endpoint /<uuid>, which counts the pings it receives.
type fakeHealthchecks struct {
	*httptest.Server
	pings atomic.Int64
}

const (
	hcKey  = "hc-read-write-key"
	hcUUID = "9a1f0c3e-4b6d-4e8a-9c2f-1d3b5a7e9f00"
)

func newFakeHealthchecks(t *testing.T) *fakeHealthchecks {
	hc := &fakeHealthchecks{}
	hc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/"+hcUUID:
			hc.pings.Add(1)
			fmt.Fprint(w, "OK")
		case r.Header.Get("X-Api-Key") != hcKey:
			w.WriteHeader(http.StatusUnauthorized)
		case r.URL.Path == "/api/v3/checks/":
			json.NewEncoder(w).Encode(map[string]any{"checks": []map[string]any{{
				"name": "Nightly DB dump", "slug": "db-dump", "tags": "db", "desc": "", "grace": 600, "status": "up",
				"uuid": hcUUID, "ping_url": hc.URL + "/" + hcUUID, "channels": "", "schedule": "30 2 * * *", "tz": "Europe/Oslo",
			}}})
		case r.URL.Path == "/api/v3/channels/":
			json.NewEncoder(w).Encode(map[string]any{"channels": []any{}})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(hc.Close)
	return hc
}

// cronJob is what a cron job does at its end: GET its ping URL, which is
// the site's base URL and the check's UUID. Moving to Tocsin changes the
// base URL only.
func cronJob(t *testing.T, base string) {
	t.Helper()
	res, err := http.Get(base + "/" + hcUUID)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("ping %s: %s", base, res.Status)
	}
}

// TestImportHealthchecksCronJob: a job pings Healthchecks; its check is
// imported through the API; Tocsin serves the imported heartbeat, and the
// same job, with Tocsin's base URL, brings it up under the same UUID.
func TestImportHealthchecksCronJob(t *testing.T) {
	hc := newFakeHealthchecks(t)
	cronJob(t, hc.URL)
	if hc.pings.Load() != 1 {
		t.Fatal("the job did not ping Healthchecks")
	}
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "hc-key")
	writeConfig(t, keyFile, hcKey+"\n")
	code, _, stderr := runCLI(t, "", "import", "healthchecks", "--url", hc.URL, "--api-key-file", keyFile, "--out", filepath.Join(dir, "hc.yaml"))
	if code != 0 {
		t.Fatalf("import healthchecks: exit %d\n%s", code, stderr)
	}
	main := filepath.Join(dir, "tocsin.yaml")
	writeConfig(t, main, "server:\n  listen: 127.0.0.1:0\n"+storageYAML(t, "sqlite")+"include: [hc.yaml]\n")
	r := start(t, main)
	v, ok := r.app.hb.View("db-dump")
	if !ok || v.UUID != hcUUID || v.Status != heartbeat.StatusNew {
		t.Fatalf("imported heartbeat: %+v, %v", v, ok)
	}
	cronJob(t, r.url+"/ping")
	deadline := time.Now().Add(10 * time.Second)
	for {
		if v, _ := r.app.hb.View("db-dump"); v.Status == heartbeat.StatusUp {
			break
		}
		if time.Now().After(deadline) {
			v, _ := r.app.hb.View("db-dump")
			t.Fatalf("after the job's ping the heartbeat is %+v", v)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if hc.pings.Load() != 1 {
		t.Error("the job pinged Healthchecks again")
	}
	// A wrong key is refused, and nothing is written.
	out := filepath.Join(dir, "wrong.yaml")
	code, _, stderr = runCLI(t, "", "import", "healthchecks", "--url", hc.URL, "--api-key", "nope", "--out", out)
	if code != 1 || !strings.Contains(stderr, "401") {
		t.Errorf("wrong key: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Error("a failed import created its --out file")
	}
}

// TestImportBadInput: broken sources get a clear error, exit 1, and
// write nothing: --out is not created, or left as it was.
func TestImportBadInput(t *testing.T) {
	dir := t.TempDir()
	notDB := filepath.Join(dir, "kuma.db")
	writeConfig(t, notDB, "this is not a database at all")
	truncated := filepath.Join(dir, "backup.json")
	writeConfig(t, truncated, `{"version": "1.23.16", "monitorList": [{"id": 1, "name": "a`)
	cyclic := filepath.Join(dir, "gatus.yaml")
	writeConfig(t, cyclic, "endpoints: &e\n  - name: x\n    url: *e\n")
	wrongType := filepath.Join(dir, "wrong.yaml")
	writeConfig(t, wrongType, "endpoints:\n  - name: [1, 2]\n")
	existing := filepath.Join(dir, "existing.yaml")
	writeConfig(t, existing, "# kept\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"uptime-kuma", notDB}, "neither an Uptime Kuma JSON backup nor an SQLite database"},
		{[]string{"uptime-kuma", truncated}, "truncated"},
		{[]string{"uptime-kuma", filepath.Join(dir, "missing.db")}, "no such file"},
		{[]string{"gatus", cyclic}, "not a Gatus configuration"},
		{[]string{"gatus", wrongType}, "cannot unmarshal"},
	} {
		for _, out := range []string{filepath.Join(dir, "new.yaml"), existing} {
			code, stdout, stderr := runCLI(t, "", append(append([]string{"import"}, tc.args...), "--out", out)...)
			if code != 1 || stdout != "" || !strings.Contains(stderr, tc.want) {
				t.Errorf("import %v: exit %d, stderr %q, want %q", tc.args, code, stderr, tc.want)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "new.yaml")); !os.IsNotExist(err) {
			t.Errorf("import %v created its --out file", tc.args)
		}
		if b, _ := os.ReadFile(existing); string(b) != "# kept\n" {
			t.Errorf("import %v changed an existing --out file", tc.args)
		}
	}
	// A source whose import would exceed the size of a configuration
	// file is refused whole, with what to do.
	var big strings.Builder
	big.WriteString("endpoints:\n")
	for i := range 5 {
		fmt.Fprintf(&big, "  - {name: e%d, url: 'https://e.example.com/', method: POST, body: '%s'}\n", i, strings.Repeat("x", 1<<20))
	}
	bigFile := filepath.Join(t.TempDir(), "big.yaml")
	writeConfig(t, bigFile, big.String())
	code, stdout, stderr := runCLI(t, "", "import", "gatus", bigFile)
	if code != 1 || stdout != "" || !strings.Contains(stderr, "over the 4 MiB a configuration file may hold: import the source in parts") {
		t.Errorf("an import over 4 MiB: exit %d: %s", code, stderr)
	}

	entries, _ := os.ReadDir(dir)
	if len(entries) != 5 {
		t.Errorf("files left in the folder: %d, want the 5 written by the test", len(entries))
	}
	for _, args := range [][]string{{"import"}, {"import", "nagios", "x"}, {"import", "gatus"}, {"import", "healthchecks", "--url", "http://x"}} {
		if code, _, _ := runCLI(t, "", args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

// TestImportProgress: a long import tells how far it has got.
func TestImportProgress(t *testing.T) {
	var b strings.Builder
	b.WriteString("endpoints:\n")
	for i := range 2500 {
		fmt.Fprintf(&b, "  - {name: e%d, url: 'https://e%d.example.com/', conditions: ['[STATUS] == 200']}\n", i, i)
	}
	path := filepath.Join(t.TempDir(), "big.yaml")
	writeConfig(t, path, b.String())
	code, stdout, stderr := runCLI(t, "", "import", "gatus", path)
	if code != 0 || strings.Count(stdout, "type: http") != 2500 {
		t.Fatalf("exit %d, %d monitors\n%s", code, strings.Count(stdout, "type: http"), stderr)
	}
	if !strings.Contains(stderr, "tocsin import: 1000 endpoints read") || !strings.Contains(stderr, "tocsin import: 2000 endpoints read") {
		t.Errorf("no progress:\n%s", stderr)
	}
}

// BenchmarkImport measures a whole `tocsin import` of 10,000 items, the
// check that the file validates included:
// go test -run X -bench Import -benchtime 3x ./internal/app
func BenchmarkImport(b *testing.B) {
	dir := b.TempDir()
	var g strings.Builder
	g.WriteString("alerting:\n  slack:\n    webhook-url: https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX\nendpoints:\n")
	list := make([]map[string]any, 0, 10000)
	for i := range 10000 {
		fmt.Fprintf(&g, "  - {name: e%d, group: g%d, url: 'https://e%d.example.com/health', interval: 30s, conditions: ['[STATUS] == 200', '[BODY].status == UP', '[RESPONSE_TIME] < 300'], alerts: [{type: slack}]}\n", i, i%50, i)
		list = append(list, map[string]any{"id": i + 1, "name": fmt.Sprintf("Monitor %d", i), "type": "keyword", "active": true,
			"url": fmt.Sprintf("https://m%d.example.com/", i), "interval": 60, "keyword": "ok", "accepted_statuscodes": []string{"200-299"},
			"tags": []map[string]any{{"name": "env", "value": "prod"}}})
	}
	gatusFile := filepath.Join(dir, "gatus.yaml")
	kumaFile := filepath.Join(dir, "backup.json")
	kuma, _ := json.Marshal(map[string]any{"version": "1.23.16", "monitorList": list})
	if err := os.WriteFile(gatusFile, []byte(g.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(kumaFile, kuma, 0o600); err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct{ name, source, file string }{{"Gatus10k", "gatus", gatusFile}, {"KumaBackup10k", "uptime-kuma", kumaFile}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				var out, errb strings.Builder
				env := Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
				if code := Main(b.Context(), []string{"import", tc.source, tc.file}, env); code != 0 {
					b.Fatalf("exit %d: %s", code, errb.String())
				}
			}
		})
	}
}
