package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHostKindErrorsHideSecrets checks that no password or passphrase
// written in a bad file reaches an error message.
func TestHostKindErrorsHideSecrets(t *testing.T) {
	_, err := Load(filepath.Join("testdata", "bad", "remote_kinds.yaml"), testKinds)
	if err == nil {
		t.Fatal("the bad file loaded")
	}
	key, rerr := os.ReadFile(filepath.Join("testdata", "bad", "encrypted-key.txt"))
	if rerr != nil {
		t.Fatal(rerr)
	}
	body := strings.Split(strings.TrimSpace(string(key)), "\n")[1]
	for _, secret := range []string{"hunter2-secret", "not-the-passphrase", "correct horse", body} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("an error quotes the secret %q:\n%v", secret, err)
		}
	}
}

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
	cfg, err := Load(file, testKinds)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Monitors[0].SSH.Password; got != "from-env" {
		t.Errorf("password = %q, want it from the environment", got)
	}
	s := cfg.Monitors[1].SFTP
	if s.Passphrase != "correct horse" || !strings.HasPrefix(s.PrivateKey, "-----BEGIN OPENSSH PRIVATE KEY-----") {
		t.Errorf("key or passphrase not read from their files: passphrase %q", s.Passphrase)
	}
	if s.MinCount != 1 || cfg.Monitors[1].Type != "sftp" {
		t.Errorf("defaults: min_count %d, type %q", s.MinCount, cfg.Monitors[1].Type)
	}
}
