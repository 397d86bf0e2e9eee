package replica

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLockSQLite(t *testing.T) {
	db := filepath.Join(t.TempDir(), "tocsin.db")
	h := Holder{Replica: "web-1", PID: 4242, Host: "box", Address: "127.0.0.1:8080", Started: t0}
	l, err := LockSQLite(db, h)
	if err != nil {
		t.Fatal(err)
	}
	_, err = LockSQLite(db, Holder{Replica: "web-2"})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second lock: %v, want ErrLocked", err)
	}
	for _, want := range []string{`replica "web-1"`, "pid 4242 on box", "127.0.0.1:8080", t0.Format(time.RFC3339), "storage.driver: postgres", "high-availability.md"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not say %q", err, want)
		}
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	l2, err := LockSQLite(db, Holder{Replica: "web-2"})
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	defer l2.Release()
}
