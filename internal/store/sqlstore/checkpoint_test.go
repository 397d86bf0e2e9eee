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
	path := filepath.Join(t.TempDir(), "t.db")
	d, err := Open(context.Background(), Options{Driver: DriverSQLite, DSN: path, WALRestartFrames: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := t.Context()
	body := []byte(strings.Repeat("x", 3000))
	write := func(n int) {
		for i := range n {
			ps := make([]store.Ping, 20)
			for j := range ps {
				ps[j] = store.Ping{HeartbeatID: "job", Time: time.Unix(int64(i), 0), Kind: "log", Body: body, Transport: "http", Method: "POST", Source: "x"}
			}
			if err := d.SavePings(ctx, store.PingBatch{Pings: ps}); err != nil {
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
	grown = walSize()
	write(5)
	if after := walSize(); after != grown {
		t.Logf("WAL %d → %d bytes", grown, after)
	}
	// After the RESTART checkpoint the next writes reuse the file from
	// its start instead of appending.
	if after := walSize(); after > grown {
		t.Errorf("WAL grew from %d to %d bytes after a checkpoint", grown, after)
	}
}
