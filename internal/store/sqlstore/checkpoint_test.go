package sqlstore

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/store"
)

// TestWALStaysBounded: commits do not checkpoint (so they never stall on
// one), and the background checkpoint keeps the WAL file from growing
// without end under constant writes.
func TestWALStaysBounded(t *testing.T) {
	d, write, walSize := openWAL(t, 64)
	ctx := t.Context()
	write(100) // about 6 MB: past the 1000 pages (4 MB) of SQLite's own autocheckpoint
	grown := walSize()
	if grown < 5<<20 {
		t.Fatalf("WAL is %d bytes after 6 MB of writes: commits seem to checkpoint", grown)
	}
	// The background checkpoint may hold the WAL at that moment: a
	// RESTART that found it busy is tried again, as the next tick would.
	for i := 0; !d.checkpoint(ctx); i++ {
		if i == 100 {
			t.Fatal("the RESTART checkpoint found the WAL busy 100 times")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The checkpoint emptied or started over the log: the next writes
	// reuse the file from its start instead of appending.
	write(5)
	if after := walSize(); after > grown {
		t.Errorf("WAL grew from %d to %d bytes after a checkpoint", grown, after)
	}
}

// openWAL opens a SQLite store whose checkpoints the test runs itself, and
// returns a writer of n batches of pings (about 60 KB each) and the size of
// the WAL file.
func openWAL(t *testing.T, restartFrames int64) (*DB, func(n int), func() int64) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "t.db")
	d, err := Open(context.Background(), Options{Driver: DriverSQLite, DSN: path, WALRestartFrames: restartFrames})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	d.stopCheckpoints()
	d.stopCheckpoints = nil
	body := []byte(strings.Repeat("y", 3000))
	write := func(n int) {
		for i := range n {
			ps := make([]store.Ping, 20)
			for j := range ps {
				ps[j] = store.Ping{HeartbeatID: "job", Time: time.Unix(int64(i), 0), Kind: "log", Body: body, Transport: "http", Method: "POST", Source: "x"}
			}
			if err := d.SavePings(t.Context(), store.PingBatch{Pings: ps}); err != nil {
				t.Fatal(err)
			}
		}
	}
	walSize := func() int64 {
		fi, err := os.Stat(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	return d, write, walSize
}

// TestWALTruncatedAfterBurst: a burst of writes (an alert storm) grows the
// WAL past walTruncateFrames; the first checkpoint that copies all of it
// empties the file instead of keeping the burst's size until shutdown.
func TestWALTruncatedAfterBurst(t *testing.T) {
	d, write, walSize := openWAL(t, 0)
	write(100) // about 6 MB
	if got := walSize(); got < 5<<20 {
		t.Fatalf("WAL is %d bytes after 6 MB of writes", got)
	}
	for i := 0; !d.checkpoint(t.Context()); i++ {
		if i == 100 {
			t.Fatal("the TRUNCATE checkpoint found the WAL busy 100 times")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := walSize(); got != 0 {
		t.Errorf("WAL is %d bytes after the burst was copied, want 0", got)
	}
	write(2)
	if got := walSize(); got == 0 {
		t.Error("WAL is empty after writes following the truncation")
	}
}

// TestWALTruncatedWhenIdle: a small WAL is left alone while writes go on,
// and emptied once walIdleChecks checkpoints in a row found nothing new.
func TestWALTruncatedWhenIdle(t *testing.T) {
	d, write, walSize := openWAL(t, 0)
	write(5) // about 300 KB: under walTruncateFrames
	d.checkpoint(t.Context())
	small := walSize()
	if small == 0 {
		t.Fatal("a small WAL was emptied while writes go on")
	}
	for range walIdleChecks - 1 {
		write(1)
		d.checkpoint(t.Context())
	}
	if walSize() == 0 {
		t.Fatal("the WAL was emptied although each checkpoint found new writes")
	}
	for range walIdleChecks + 1 {
		d.checkpoint(t.Context())
	}
	if got := walSize(); got != 0 {
		t.Errorf("WAL is %d bytes after %d idle checkpoints, want 0", got, walIdleChecks+1)
	}
}
