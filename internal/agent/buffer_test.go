package agent_test

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/agent"
	"github.com/tocsin/tocsin/internal/probe"
)

func result(i int) probe.Result {
	return probe.Result{MonitorID: "disk", Time: time.Unix(1_700_000_000+int64(i), 0).UTC(), Status: probe.OK, Reason: strings.Repeat("x", 100)}
}

// TestBufferOrderAndRestart: results come back oldest first, an ack
// forgets exactly a prefix, and a reopened buffer (after a crash that cut
// its last line short) keeps what was not acknowledged.
func TestBufferOrderAndRestart(t *testing.T) {
	dir := t.TempDir()
	b, err := agent.OpenBuffer(dir, 1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if err := b.Append(result(i)); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := b.Peek(4)
	if len(got) != 4 || !got[0].Result.Time.Equal(result(0).Time) || !got[3].Result.Time.Equal(result(3).Time) {
		t.Fatalf("Peek(4) = %+v", got)
	}
	if err := b.Ack(got[3].Seq); err != nil {
		t.Fatal(err)
	}
	b.Close()
	// A crash in the middle of a write leaves half a line.
	segs, _ := filepath.Glob(filepath.Join(dir, "seg-*.jsonl"))
	f, _ := os.OpenFile(segs[len(segs)-1], os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"seq":11,"result":{"monitor_id":"di`)
	f.Close()

	b, err = agent.OpenBuffer(dir, 1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if n := b.Pending(); n != 6 {
		t.Errorf("Pending after reopen = %d, want 6", n)
	}
	b.Append(result(10))
	got, _ = b.Peek(100)
	if len(got) != 7 {
		t.Fatalf("Peek after reopen = %d results, want 7", len(got))
	}
	for i, e := range got {
		if !e.Result.Time.Equal(result(i + 4).Time) {
			t.Errorf("entry %d at %v, want %v", i, e.Result.Time, result(i+4).Time)
		}
		if i > 0 && e.Seq <= got[i-1].Seq {
			t.Errorf("sequence numbers not increasing: %d after %d", e.Seq, got[i-1].Seq)
		}
	}
}

// TestBufferBound: over its bound the buffer drops its oldest results
// first and says so.
func TestBufferBound(t *testing.T) {
	var logs bytes.Buffer
	b, err := agent.OpenBuffer(t.TempDir(), 16*1024, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for i := range 1000 {
		if err := b.Append(result(i)); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := b.Peek(1000)
	if len(got) == 0 || len(got) >= 1000 || b.Dropped() != 1000-len(got) {
		t.Fatalf("kept %d, dropped %d of 1000", len(got), b.Dropped())
	}
	if !got[len(got)-1].Result.Time.Equal(result(999).Time) {
		t.Errorf("the newest result was dropped")
	}
	for i := 1; i < len(got); i++ {
		if !got[i].Result.Time.After(got[i-1].Result.Time) {
			t.Fatalf("kept results not contiguous in order at %d", i)
		}
	}
	if !strings.Contains(logs.String(), "agent buffer full: dropped its oldest results") {
		t.Errorf("no loud log line: %s", logs.String())
	}
}
