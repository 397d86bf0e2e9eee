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
