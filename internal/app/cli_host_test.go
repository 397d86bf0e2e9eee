package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/testkit"
)

// TestCLICheckHostKinds runs `tocsin check` on ssh, sftp and command
// monitors and checks that no secret reaches its output.
func TestCLICheckHostKinds(t *testing.T) {
	const password = "Cli-Secret-9f2c"
	srv := testkit.NewSSHServer(t, "export", password, nil)
	dir := t.TempDir()
	export := filepath.Join(dir, "export.xml")
	if err := os.WriteFile(export, []byte("<export/>"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-30 * time.Hour)
	if err := os.Chtimes(export, old, old); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pw"), []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "check_disk"), []byte("#!/bin/sh\necho 'DISK WARNING - / 91% used | used=91%;90;95;0;100'\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TOCSIN_TEST_EXPORT_PASSWORD", password)
	path := filepath.Join(dir, "tocsin.yaml")
	writeConfig(t, path, `monitors:
  - id: login
    ssh:
      address: `+srv.Addr+`
      user: export
      password: ${TOCSIN_TEST_EXPORT_PASSWORD}
      host_key: `+srv.Fingerprint+`
  - id: wrong-login
    ssh:
      address: `+srv.Addr+`
      user: nobody
      password: ${TOCSIN_TEST_EXPORT_PASSWORD}
  - id: export
    sftp:
      address: `+srv.Addr+`
      user: export
      password_file: pw
      path: `+filepath.Join(dir, "*.xml")+`
      max_age: 26h
  - id: disk
    command:
      path: ./check_disk
`)
	tests := []struct {
		id       string
		code     int
		fragment string
	}{
		{"login", 0, "logged in as export"},
		{"wrong-login", 2, `failed at auth: user "nobody" was refused (tried password)`},
		{"export", 2, "export.xml is older than max_age 26h"},
		{"disk", 1, "check_disk: DISK WARNING - / 91% used"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "", "check", "--json", "--config", path, tt.id)
			if code != tt.code {
				t.Errorf("exit %d, want %d: %s%s", code, tt.code, stdout, stderr)
			}
			var out checkOutput
			if err := json.Unmarshal([]byte(stdout), &out); err != nil {
				t.Fatalf("--json output does not parse: %v\n%s", err, stdout)
			}
			if !strings.Contains(out.Reason, tt.fragment) {
				t.Errorf("reason %q does not contain %q", out.Reason, tt.fragment)
			}
			if len(out.Metrics) == 0 {
				t.Error("no metrics")
			}
			_, plain, plainErr := runCLI(t, "", "check", "--config", path, tt.id)
			for _, s := range []string{stdout, stderr, plain, plainErr} {
				if strings.Contains(s, password) {
					t.Errorf("the output holds the password:\n%s", s)
				}
			}
		})
	}
}
