package app

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/testkit"
)

// lockedBuffer is a log destination safe for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestHostSecretsStayOutOfLogs runs a server with an ssh monitor whose
// login is refused and checks the logs, the API and /metrics for the
// password.
func TestHostSecretsStayOutOfLogs(t *testing.T) {
	const password = "Log-Secret-31c7"
	srv := testkit.NewSSHServer(t, "backup", "another-password", nil)
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	t.Setenv("TOCSIN_TEST_LOG_PASSWORD", password)
	writeConfig(t, path, `server:
  listen: 127.0.0.1:0
`+storageYAML(t, "sqlite")+`
monitors:
  - id: backup-login
    type: ssh
    interval: 2s
    timeout: 2s
    ssh:
      address: `+srv.Addr+`
      user: backup
      password: ${TOCSIN_TEST_LOG_PASSWORD}
`)
	logs := &lockedBuffer{}
	r := runApp(t, Options{ConfigPath: path, Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	a := r.app
	waitState(t, a, "backup-login", monitor.StatusDown)

	resp, err := http.Get(r.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// The transition is logged as it is written, a moment after the
	// state changed.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(logs.String(), `failed at auth: user \"backup\" was refused`); {
		if time.Now().After(deadline) {
			t.Errorf("the transition's reason is not in the logs:\n%s", logs)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(string(metrics), `tocsin_monitor_metric{metric="stage",monitor="backup-login",unit=""} 3`) {
		t.Errorf("/metrics lacks the ssh stage")
	}
	for name, s := range map[string]string{"logs": logs.String(), "metrics": string(metrics)} {
		if strings.Contains(s, password) {
			t.Errorf("the %s hold the password", name)
		}
	}
}
