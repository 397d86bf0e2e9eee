package agent

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/tocsin/tocsin/internal/probe"
)

// DefaultBufferMax bounds the buffer's size on disk.
const DefaultBufferMax = 64 << 20

// segmentsPerBuffer is how many segments the bound is split in: dropping
// the oldest segment frees about this share of it.
const segmentsPerBuffer = 16

// Buffer keeps the results an agent took until the server acknowledged
// them: JSON lines in segment files, each append fsync'd, so a crash or a
// restart loses nothing written. The results are pushed oldest first and
// acknowledged as a prefix; the last acknowledged sequence number is kept
// in the file "acked". When the segments grow over the bound, the oldest
// segment is dropped and the loss logged.
type Buffer struct {
	dir    string
	max    int64
	segMax int64
	log    *slog.Logger

	mu      sync.Mutex
	segs    []segment // oldest first; the last one is written to
	next    uint64    // sequence number of the next append
	acked   uint64
	dropped int // results dropped over the bound, in total
	cur     *os.File
}

type segment struct {
	first uint64 // sequence number of its first record
	size  int64
}

// Entry is one buffered result with its sequence number.
type Entry struct {
	Seq    uint64       `json:"seq"`
	Result probe.Result `json:"result"`
}

func segName(first uint64) string { return fmt.Sprintf("seg-%020d.jsonl", first) }

// OpenBuffer opens (creating) the buffer in dir, bounded to max bytes
// (DefaultBufferMax when max ≤ 0).
func OpenBuffer(dir string, max int64, log *slog.Logger) (*Buffer, error) {
	if max <= 0 {
		max = DefaultBufferMax
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("buffer: %w", err)
	}
	b := &Buffer{dir: dir, max: max, segMax: max / segmentsPerBuffer, log: log, next: 1}
	if raw, err := os.ReadFile(filepath.Join(dir, "acked")); err == nil {
		if b.acked, err = strconv.ParseUint(strings.TrimSpace(string(raw)), 10, 64); err != nil {
			return nil, fmt.Errorf("buffer: %s/acked: %w", dir, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("buffer: %w", err)
	}
	names, err := filepath.Glob(filepath.Join(dir, "seg-*.jsonl"))
	if err != nil {
		return nil, fmt.Errorf("buffer: %w", err)
	}
	slices.Sort(names)
	for _, name := range names {
		first, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(name), "seg-"), ".jsonl"), 10, 64)
		if err != nil {
			continue
		}
		st, err := os.Stat(name)
		if err != nil {
			return nil, fmt.Errorf("buffer: %w", err)
		}
		b.segs = append(b.segs, segment{first: first, size: st.Size()})
		if last, err := lastSeq(name); err == nil && last >= b.next {
			b.next = last + 1
		}
		if first >= b.next {
			b.next = first
		}
	}
	if b.acked >= b.next {
		b.next = b.acked + 1
	}
	b.dropAcked()
	return b, nil
}

// lastSeq is the sequence number of a segment's last whole record.
func lastSeq(name string) (uint64, error) {
	var last uint64
	err := eachEntry(name, func(e Entry) bool { last = e.Seq; return true })
	return last, err
}

// eachEntry calls fn for every whole record of a segment until fn returns
// false. A line cut short by a crash is skipped.
func eachEntry(name string, fn func(Entry) bool) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), MaxBody)
	for sc.Scan() {
		var e Entry
		if json.Unmarshal(sc.Bytes(), &e) != nil || e.Seq == 0 {
			continue
		}
		if !fn(e) {
			return nil
		}
	}
	return sc.Err()
}

// Append writes results to the buffer and syncs them to disk.
func (b *Buffer) Append(results ...probe.Result) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	var buf []byte
	for _, r := range results {
		line, err := json.Marshal(Entry{Seq: b.next, Result: r})
		if err != nil {
			return fmt.Errorf("buffer: %w", err)
		}
		buf = append(append(buf, line...), '\n')
		b.next++
	}
	first := b.next - uint64(len(results))
	if b.cur == nil || b.segs[len(b.segs)-1].size >= b.segMax {
		if b.cur != nil {
			b.cur.Close()
		}
		f, err := os.OpenFile(filepath.Join(b.dir, segName(first)), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			b.next = first
			return fmt.Errorf("buffer: %w", err)
		}
		b.cur = f
		b.segs = append(b.segs, segment{first: first})
		syncDir(b.dir)
	}
	if _, err := b.cur.Write(buf); err != nil {
		return fmt.Errorf("buffer: %w", err)
	}
	if err := b.cur.Sync(); err != nil {
		return fmt.Errorf("buffer: %w", err)
	}
	b.segs[len(b.segs)-1].size += int64(len(buf))
	b.bound()
	return nil
}

// bound drops the oldest segments while the buffer is over its bound.
func (b *Buffer) bound() {
	for len(b.segs) > 1 && b.size() > b.max {
		old := b.segs[0]
		n := 0
		_ = eachEntry(filepath.Join(b.dir, segName(old.first)), func(e Entry) bool {
			if e.Seq > b.acked {
				n++
			}
			return true
		})
		os.Remove(filepath.Join(b.dir, segName(old.first)))
		b.segs = b.segs[1:]
		if b.segs[0].first-1 > b.acked {
			b.acked = b.segs[0].first - 1
		}
		b.dropped += n
		b.log.Error("agent buffer full: dropped its oldest results, which the server will never see", "dropped", n,
			"dropped_total", b.dropped, "limit_bytes", b.max, "dir", b.dir)
	}
}

func (b *Buffer) size() int64 {
	var n int64
	for _, s := range b.segs {
		n += s.size
	}
	return n
}

// Dropped is how many results the bound dropped since the buffer opened.
func (b *Buffer) Dropped() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dropped
}

// Peek returns up to n of the oldest results not acknowledged.
func (b *Buffer) Peek(n int) ([]Entry, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []Entry
	for i, s := range b.segs {
		if i+1 < len(b.segs) && b.segs[i+1].first <= b.acked+1 {
			continue
		}
		err := eachEntry(filepath.Join(b.dir, segName(s.first)), func(e Entry) bool {
			if e.Seq > b.acked {
				out = append(out, e)
			}
			return len(out) < n
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return out, fmt.Errorf("buffer: %w", err)
		}
		if len(out) >= n {
			break
		}
	}
	return out, nil
}

// Ack forgets every result up to seq: the server has answered for them.
func (b *Buffer) Ack(seq uint64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if seq <= b.acked {
		return nil
	}
	tmp := filepath.Join(b.dir, "acked.tmp")
	if err := os.WriteFile(tmp, []byte(strconv.FormatUint(seq, 10)+"\n"), 0o600); err != nil {
		return fmt.Errorf("buffer: %w", err)
	}
	if f, err := os.Open(tmp); err == nil {
		f.Sync()
		f.Close()
	}
	if err := os.Rename(tmp, filepath.Join(b.dir, "acked")); err != nil {
		return fmt.Errorf("buffer: %w", err)
	}
	syncDir(b.dir)
	b.acked = seq
	b.dropAcked()
	return nil
}

// dropAcked deletes the segments whose every record is acknowledged,
// except the one being written.
func (b *Buffer) dropAcked() {
	for len(b.segs) > 1 && b.segs[1].first <= b.acked+1 {
		os.Remove(filepath.Join(b.dir, segName(b.segs[0].first)))
		b.segs = b.segs[1:]
	}
	if len(b.segs) == 1 && b.cur == nil && b.next-1 <= b.acked {
		os.Remove(filepath.Join(b.dir, segName(b.segs[0].first)))
		b.segs = nil
	}
}

// Pending counts the results not acknowledged.
func (b *Buffer) Pending() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return int(b.next - 1 - b.acked)
}

// Close closes the segment being written.
func (b *Buffer) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cur == nil {
		return nil
	}
	err := b.cur.Close()
	b.cur = nil
	return err
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
