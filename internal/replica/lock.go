package replica

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// Holder describes the process holding a database lock, written into the
// lock file so that a second process can say whom it met.
type Holder struct {
	Replica string    `json:"replica"`
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Address string    `json:"address"`
	Started time.Time `json:"started"`
}

// Lock is an exclusive lock on a SQLite database, held by the serving
// process until Release or its end.
type Lock struct {
	f    *os.File
	path string
}

// ErrLocked says another process holds the database lock.
var ErrLocked = errors.New("database in use by another process")

// LockSQLite takes the lock of the SQLite database file db: an operating
// system lock on db+".lock" (flock on Unix), which the kernel drops when
// the process ends however it ends, so a crash never leaves a stale lock
// behind, as a row in the database or a PID file would. A second process
// gets ErrLocked with the holder's description.
func LockSQLite(db string, h Holder) (*Lock, error) {
	path := db + ".lock"
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the lock file %s: %w", path, err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		if !errors.Is(err, errWouldBlock) {
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		return nil, fmt.Errorf("%w: %s", ErrLocked, describeHolder(db, path))
	}
	b, _ := json.Marshal(h)
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt(append(b, '\n'), 0)
	}
	return &Lock{f: f, path: path}, nil
}

func describeHolder(db, path string) string {
	var h Holder
	who := "another tocsin process"
	if b, err := os.ReadFile(path); err == nil && json.Unmarshal(b, &h) == nil && h.PID != 0 {
		who = fmt.Sprintf("replica %q (pid %d on %s, listening on %s, started %s)", h.Replica, h.PID, h.Host, h.Address, h.Started.Format(time.RFC3339))
	}
	return fmt.Sprintf("the SQLite database %s is served by %s; SQLite serves one process at a time: stop that one, or run several replicas on PostgreSQL (storage.driver: postgres; see docs/high-availability.md)",
		strings.TrimSpace(db), who)
}

// Release drops the lock.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	_ = l.f.Truncate(0)
	err := l.f.Close() // closing drops the lock
	l.f = nil
	return err
}
