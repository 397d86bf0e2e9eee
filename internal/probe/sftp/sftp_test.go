package sftp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/sftp"
	"github.com/tocsin/tocsin/internal/probe/ssh"
	"github.com/tocsin/tocsin/internal/testkit"
)

const secret = "export-Pa55word"

// ref is the probes' clock: whole seconds, as SFTP gives file times.
var ref = time.Now().Truncate(time.Second)

// file writes name under dir with content, last modified age ago.
func file(t *testing.T, dir, name, content string, age time.Duration) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	mt := ref.Add(-age)
	if err := os.Chtimes(p, mt, mt); err != nil {
		t.Fatal(err)
	}
	return p
}

func check(t *testing.T, c sftp.Check) probe.Result {
	t.Helper()
	if c.MinCount == 0 {
		c.MinCount = 1 // the loader's default
	}
	p, err := sftp.New(&c)
	if err != nil {
		t.Fatal(err)
	}
	p.SetClock(func() time.Time { return ref })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r := p.Probe(ctx)
	b, _ := json.Marshal(r)
	if strings.Contains(string(b), secret) {
		t.Errorf("the result holds the password: %s", b)
	}
	return r
}

func want(t *testing.T, r probe.Result, status probe.Status, fragments ...string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("status %s, want %s (reason %q)", r.Status, status, r.Reason)
	}
	for _, f := range fragments {
		if !strings.Contains(r.Reason, f) {
			t.Errorf("reason %q does not contain %q", r.Reason, f)
		}
	}
}

func metric(r probe.Result, name string) (float64, bool) {
	for _, m := range r.Metrics {
		if m.Name == name {
			return m.Value, true
		}
	}
	return 0, false
}

func TestExportFreshness(t *testing.T) {
	srv := testkit.NewSSHServer(t, "export", secret, nil)
	login := ssh.Connection{Address: srv.Addr, User: "export", Password: secret, HostKey: srv.Fingerprint}
	dir := t.TempDir()
	file(t, dir, "export-2026-11-29.xml", "<?xml version='1.0'?><export day='29'/>", 50*time.Hour)
	file(t, dir, "export-2026-11-30.xml", "<?xml version='1.0'?><export day='30'/>", 2*time.Hour)
	file(t, dir, "notes.txt", "newest, but not an export", time.Minute)
	stale := t.TempDir()
	file(t, stale, "export.xml", "<export/>", 30*time.Hour)
	glob := filepath.Join(dir, "export-*.xml")

	tests := []struct {
		name      string
		c         sftp.Check
		status    probe.Status
		fragments []string
	}{
		{"fresh export", sftp.Check{Connection: login, Path: glob, MaxAge: config.Duration(26 * time.Hour), ContentContains: "<export", ContentRegex: `^<\?xml`},
			probe.OK, []string{"2 files, newest export-2026-11-30.xml", "2h0m0s old"}},
		{"stale export", sftp.Check{Connection: login, Path: filepath.Join(stale, "export.xml"), MaxAge: config.Duration(26 * time.Hour)},
			probe.Critical, []string{"failed at sftp: export.xml is older than max_age 26h0m0s", "30h0m0s old"}},
		{"stale warns first", sftp.Check{Connection: login, Path: filepath.Join(stale, "*.xml"), WarnAge: config.Duration(25 * time.Hour), MaxAge: config.Duration(48 * time.Hour)},
			probe.Warning, []string{"older than warn_age 25h0m0s"}},
		{"folder", sftp.Check{Connection: login, Path: dir, MaxCount: 2},
			probe.Critical, []string{"3 files, expected at most 2"}},
		{"missing file", sftp.Check{Connection: login, Path: filepath.Join(dir, "nope.xml")},
			probe.Critical, []string{"failed at sftp: does not exist"}},
		{"no match", sftp.Check{Connection: login, Path: filepath.Join(dir, "*.csv")},
			probe.Critical, []string{"failed at sftp: no file matches"}},
		{"missing folder", sftp.Check{Connection: login, Path: filepath.Join(dir, "gone", "*.xml")},
			probe.Critical, []string{"does not exist"}},
		{"too few", sftp.Check{Connection: login, Path: glob, MinCount: 3},
			probe.Critical, []string{"2 files, expected at least 3"}},
		{"too small", sftp.Check{Connection: login, Path: glob, MinSize: 1024},
			probe.Critical, []string{"export-2026-11-30.xml has 39 B, expected at least 1.0 KiB"}},
		{"too large", sftp.Check{Connection: login, Path: glob, MaxSize: 10},
			probe.Critical, []string{"expected at most 10 B"}},
		{"content", sftp.Check{Connection: login, Path: glob, ContentRegex: `day='31'`},
			probe.Critical, []string{"export-2026-11-30.xml does not match /day='31'/"}},
		{"refused login", sftp.Check{Connection: ssh.Connection{Address: srv.Addr, User: "export", Password: "wrong"}, Path: glob},
			probe.Critical, []string{`failed at auth: user "export" was refused`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := check(t, tt.c)
			want(t, r, tt.status, tt.fragments...)
			if r.Status == probe.OK {
				if v, _ := metric(r, "stage"); ssh.Stage(v) != ssh.StageDone {
					t.Errorf("stage %v on success", v)
				}
			}
		})
	}
}

func TestContentReadIsBounded(t *testing.T) {
	srv := testkit.NewSSHServer(t, "export", secret, nil)
	dir := t.TempDir()
	file(t, dir, "big.xml", strings.Repeat("x", 1<<20)+"<end/>", time.Hour)
	r := check(t, sftp.Check{Connection: ssh.Connection{Address: srv.Addr, User: "export", Password: secret}, Path: filepath.Join(dir, "big.xml"), ContentContains: "<end/>"})
	want(t, r, probe.Critical, `does not contain "<end/>" (first 65536 bytes read)`)
}

// TestHugeFolder lists a folder of 100,000 files; the listing is streamed,
// so only the count and the newest entry are kept.
func TestHugeFolder(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 100,000 files")
	}
	srv := testkit.NewSSHServer(t, "export", secret, nil)
	dir := t.TempDir()
	for i := range 100_000 {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("part-%06d.xml", i)))
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	old := ref.Add(-48 * time.Hour)
	for i := range 100_000 {
		if i == 4242 {
			continue
		}
		if i%1000 == 0 { // a sample of old files; the rest share one time
			_ = os.Chtimes(filepath.Join(dir, fmt.Sprintf("part-%06d.xml", i)), old, old)
		}
	}
	file(t, dir, "part-004242.xml", "<export/>", -time.Hour) // the newest
	r := check(t, sftp.Check{Connection: ssh.Connection{Address: srv.Addr, User: "export", Password: secret}, Path: filepath.Join(dir, "part-*.xml"), MaxAge: config.Duration(time.Hour)})
	want(t, r, probe.OK, "100000 files, newest part-004242.xml")
	if n, _ := metric(r, "files"); n != 100_000 {
		t.Errorf("files = %v, want 100000", n)
	}
}
