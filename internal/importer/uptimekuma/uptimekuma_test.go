package uptimekuma

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/importer"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s differs (-want +got); rerun with -update if the change is right:\n%s", name, d)
	}
}

func notesText(ns importer.Notes) []byte {
	var b bytes.Buffer
	for _, n := range ns {
		b.WriteString(n.String() + "\n")
	}
	return b.Bytes()
}

// TestBackupGolden imports the JSON backup fixture, written by hand after
// the format Uptime Kuma's settings page exports.
func TestBackupGolden(t *testing.T) {
	f, err := os.Open("testdata/backup.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := ReadBackup(f)
	if err != nil {
		t.Fatal(err)
	}
	frag, notes := Map(s, Options{Source: "backup.json"})
	doc, err := importer.Write(frag)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "backup.golden.yaml", doc)
	golden(t, "backup.notes.txt", notesText(notes))
}

// kumaSchema is the part of kuma.db's schema the importer reads, written
// by hand from Uptime Kuma's table definitions.
const kumaSchema = `
CREATE TABLE monitor (
  id INTEGER PRIMARY KEY AUTOINCREMENT, name VARCHAR(150), active BOOLEAN NOT NULL DEFAULT 1,
  user_id INTEGER, interval INTEGER NOT NULL DEFAULT 20, url TEXT, type VARCHAR(20),
  weight INTEGER DEFAULT 2000, hostname VARCHAR(255), port INTEGER,
  created_date DATETIME NOT NULL DEFAULT (DATETIME('now')), keyword VARCHAR(255),
  maxretries INTEGER NOT NULL DEFAULT 0, ignore_tls BOOLEAN NOT NULL DEFAULT 0,
  upside_down BOOLEAN NOT NULL DEFAULT 0, maxredirects INTEGER NOT NULL DEFAULT 10,
  accepted_statuscodes_json TEXT NOT NULL DEFAULT '["200-299"]', dns_resolve_type VARCHAR(5),
  dns_resolve_server VARCHAR(255), retry_interval INTEGER NOT NULL DEFAULT 0,
  push_token VARCHAR(32) DEFAULT NULL, method TEXT NOT NULL DEFAULT 'GET', body TEXT DEFAULT NULL,
  headers TEXT DEFAULT NULL, basic_auth_user TEXT, basic_auth_pass TEXT, expiry_notification BOOLEAN DEFAULT 1,
  auth_method VARCHAR(250), http_body_encoding VARCHAR(25), description TEXT, parent INTEGER,
  invert_keyword BOOLEAN NOT NULL DEFAULT 0, json_path TEXT, expected_value VARCHAR(255),
  json_path_operator VARCHAR(255), timeout DOUBLE DEFAULT 0);
CREATE TABLE notification (id INTEGER PRIMARY KEY AUTOINCREMENT, name VARCHAR(255), config TEXT,
  active BOOLEAN NOT NULL DEFAULT 1, user_id INTEGER, is_default BOOLEAN NOT NULL DEFAULT 0);
CREATE TABLE monitor_notification (id INTEGER PRIMARY KEY AUTOINCREMENT, monitor_id INTEGER NOT NULL,
  notification_id INTEGER NOT NULL);
CREATE TABLE tag (id INTEGER PRIMARY KEY AUTOINCREMENT, name VARCHAR(255) NOT NULL, color VARCHAR(255) NOT NULL,
  created_date DATETIME DEFAULT (DATETIME('now')) NOT NULL);
CREATE TABLE monitor_tag (id INTEGER PRIMARY KEY AUTOINCREMENT, monitor_id INTEGER NOT NULL, tag_id INTEGER NOT NULL, value TEXT);
CREATE TABLE maintenance (id INTEGER PRIMARY KEY AUTOINCREMENT, title VARCHAR(150) NOT NULL, description TEXT NOT NULL,
  user_id INTEGER, active BOOLEAN NOT NULL DEFAULT 1, strategy VARCHAR(50) NOT NULL DEFAULT 'single',
  start_date DATETIME, end_date DATETIME, start_time TIME, end_time TIME, weekdays VARCHAR(250) DEFAULT '[]',
  days_of_month TEXT DEFAULT '[]', interval_day INTEGER, cron TEXT, timezone VARCHAR(255), duration INTEGER);
CREATE TABLE monitor_maintenance (id INTEGER PRIMARY KEY AUTOINCREMENT, monitor_id INTEGER NOT NULL, maintenance_id INTEGER NOT NULL);
CREATE TABLE heartbeat (id INTEGER PRIMARY KEY AUTOINCREMENT, monitor_id INTEGER NOT NULL, status SMALLINT NOT NULL,
  msg TEXT, time DATETIME NOT NULL);
`

const kumaRows = `
INSERT INTO monitor (id, name, type, url, interval, maxretries, accepted_statuscodes_json, parent) VALUES
  (1, 'Payments', 'group', NULL, 60, 0, '["200-299"]', NULL),
  (2, 'Payments API', 'json-query', 'https://pay.example.com/health', 30, 1, '["200-299","401"]', 1);
UPDATE monitor SET json_path = '$.db', expected_value = 'ok', json_path_operator = '==', timeout = 12.5 WHERE id = 2;
INSERT INTO monitor (id, name, type, hostname, port, interval, active) VALUES
  (3, 'SMTP port', 'port', 'mail.example.com', 25, 120, 0),
  (4, 'Grafana', 'docker', NULL, NULL, 60, 1);
INSERT INTO monitor (id, name, type, interval, retry_interval, maxretries, push_token) VALUES
  (5, 'Hourly export', 'push', 3600, 300, 2, 'export-hourly');
INSERT INTO notification (id, name, config, active) VALUES
  (1, 'Slack', '{"name":"Slack","type":"slack","slackwebhookURL":"https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"}', 1),
  (2, 'Broken', 'this is not JSON', 1);
INSERT INTO monitor_notification (monitor_id, notification_id) VALUES (2, 1), (5, 1), (2, 2);
INSERT INTO tag (id, name, color) VALUES (1, 'pci', '#000'), (2, 'region', '#111');
INSERT INTO monitor_tag (monitor_id, tag_id, value) VALUES (2, 1, ''), (2, 2, 'eu west');
INSERT INTO maintenance (id, title, description, strategy, start_date, end_date, timezone) VALUES
  (1, 'DB upgrade', '', 'single', '2026-12-28 22:00:00', '2026-12-29 01:00:00', 'Europe/Oslo');
INSERT INTO maintenance (id, title, description, strategy, start_time, end_time, weekdays, timezone) VALUES
  (2, 'Patching', '', 'recurring-weekday', '23:30', '01:00', '[0,3]', 'UTC');
INSERT INTO maintenance (id, title, description, strategy, cron, duration, timezone) VALUES
  (3, 'Backups', '', 'cron', '0 4 * * *', 45, 'SAME_AS_SERVER'),
  (4, 'By hand', '', 'manual', NULL, NULL, NULL);
INSERT INTO maintenance (id, title, description, strategy, start_time, end_time, days_of_month) VALUES
  (5, 'Month end', '', 'recurring-day-of-month', '20:00', '22:00', '[1,"lastDay1","lastDay2"]');
INSERT INTO monitor_maintenance (monitor_id, maintenance_id) VALUES (2, 1), (3, 2), (2, 3), (2, 4), (5, 5), (4, 5);
INSERT INTO heartbeat (monitor_id, status, msg, time) VALUES (2, 1, 'OK', '2026-12-01 10:00:00');
`

// makeKumaDB writes a kuma.db with the schema and rows above.
func makeKumaDB(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "kuma.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{kumaSchema, kumaRows} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func snapshot(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	out := map[string][32]byte{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = sha256.Sum256(b)
	}
	return out
}

// TestDatabase reads a kuma.db made with the schema written by hand, maps
// it, and leaves the file and its folder exactly as they were.
func TestDatabase(t *testing.T) {
	dir := t.TempDir()
	path := makeKumaDB(t, dir)
	before := snapshot(t, dir)
	if err := os.Chmod(path, 0o444); err != nil {
		t.Fatal(err)
	}
	ticks := 0
	s, warnings, err := ReadDB(context.Background(), path, func() { ticks++ })
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 || ticks == 0 {
		t.Errorf("warnings %v, %d rows counted", warnings, ticks)
	}
	if after := snapshot(t, dir); !cmp.Equal(before, after) {
		t.Errorf("reading kuma.db changed its folder:\nbefore %v\nafter  %v", before, after)
	}
	frag, notes := Map(s, Options{Source: "kuma.db"})
	doc, err := importer.Write(frag)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "kumadb.golden.yaml", doc)
	golden(t, "kumadb.notes.txt", notesText(notes))
}

// TestDatabaseWAL: changes still in the write-ahead log are not read, and
// a warning says so; nothing is written beside the file.
func TestDatabaseWAL(t *testing.T) {
	dir := t.TempDir()
	path := makeKumaDB(t, dir)
	if err := os.WriteFile(path+"-wal", []byte("not empty"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, dir)
	_, warnings, err := ReadDB(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "stop Uptime Kuma") {
		t.Errorf("warnings %v", warnings)
	}
	if after := snapshot(t, dir); !cmp.Equal(before, after) {
		t.Error("reading kuma.db changed its folder")
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	notDB := filepath.Join(dir, "kuma.db")
	if err := os.WriteFile(notDB, []byte("PK\x03\x04 a zip file, not a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadDB(context.Background(), notDB, nil); err == nil || !strings.Contains(err.Error(), "is not an SQLite database") {
		t.Errorf("a file that is not SQLite: %v", err)
	}
	other := filepath.Join(dir, "other.db")
	db, _ := sql.Open("sqlite", other)
	if _, err := db.Exec("CREATE TABLE t (x)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, _, err := ReadDB(context.Background(), other, nil); err == nil || !strings.Contains(err.Error(), "no monitor table") {
		t.Errorf("an SQLite file of another program: %v", err)
	}
	full, err := os.ReadFile("testdata/backup.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, data, want string
	}{
		{"truncated", string(full[:len(full)/2]), "truncated"},
		{"syntax", "{\n  \"monitorList\": [1,,2]\n}", "line 2, column"},
		{"wrong type", `{"monitorList": "all of them"}`, "cannot unmarshal"},
		{"other JSON", `{"checks": []}`, "neither monitorList nor notificationList"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadBackup(strings.NewReader(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	huge := io.MultiReader(strings.NewReader(`{"monitorList": [`), io.LimitReader(spaces{}, MaxBackupSize))
	if _, err := ReadBackup(huge); err == nil || !strings.Contains(err.Error(), "larger than the 64 MiB limit") {
		t.Errorf("a huge backup: %v", err)
	}
	// Odd but valid values map or are noted, never panic.
	s, err := ReadBackup(strings.NewReader(`{"monitorList": [{"id": "7", "name": null, "type": "http", "url": 5, "active": "yes",
		"tags": "none", "notificationIDList": [1]}, {"id": 8, "type": "group", "parent": 8}, {"id": 9, "type": "http", "parent": 8, "url": "https://x.example.com"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	frag, notes := Map(s, Options{})
	if len(frag.Monitors) != 1 || frag.Monitors[0].Service == "" || !slices.ContainsFunc(notes, func(n importer.Note) bool { return strings.Contains(n.Reason, "not an http(s) URL") }) {
		t.Errorf("monitors %+v, notes %v", frag.Monitors, notes)
	}
}

// spaces reads as an endless run of blanks.
type spaces struct{}

func (spaces) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}
