package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tocsin/tocsin/internal/config"
	probekinds "github.com/tocsin/tocsin/internal/probe/kinds"
	"github.com/tocsin/tocsin/internal/probe/sftp"
	"github.com/tocsin/tocsin/internal/probe/ssh"
)

// TestSSHSecretsFromEnvAndFiles reads a password from ${ENV} and a key
// with its passphrase from files.
func TestSSHSecretsFromEnvAndFiles(t *testing.T) {
	t.Setenv("TOCSIN_TEST_SSH_PASSWORD", "from-env")
	dir := t.TempDir()
	key, err := os.ReadFile(filepath.Join("testdata", "bad", "encrypted-key.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "key"), key, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pass"), []byte("correct horse\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "tocsin.yaml")
	yaml := `monitors:
  - id: a
    ssh: {address: h, user: u, password: "${TOCSIN_TEST_SSH_PASSWORD}"}
  - id: b
    sftp: {address: h, user: u, private_key_file: key, passphrase_file: pass, path: /x}
`
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(file, probekinds.Config())
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Monitors[0].Block.(*ssh.Check).Password; got != "from-env" {
		t.Errorf("password = %q, want it from the environment", got)
	}
	s := cfg.Monitors[1].Block.(*sftp.Check)
	if s.Passphrase != "correct horse" || !strings.HasPrefix(s.PrivateKey, "-----BEGIN OPENSSH PRIVATE KEY-----") {
		t.Errorf("key or passphrase not read from their files: passphrase %q", s.Passphrase)
	}
	if s.MinCount != 1 || cfg.Monitors[1].Type != "sftp" {
		t.Errorf("defaults: min_count %d, type %q", s.MinCount, cfg.Monitors[1].Type)
	}
}
