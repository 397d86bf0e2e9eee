package importer

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Write renders f as a configuration file: a heading naming the source,
// then its lists in the order of docs/configuration.md, each entry's keys
// in the order of the reference, with the entry's comment above it. The
// same fragment always gives the same bytes.
func Write(f *Fragment) ([]byte, error) {
	sections := []struct {
		key   string
		items []item
	}{
		{"channels", items(f.Channels, func(c Channel) item { return item{c, c.Type, c.Block, c.Comment} })},
		{"services", items(f.Services, func(s Service) item { return item{s, "", nil, s.Comment} })},
		{"monitors", items(f.Monitors, func(m Monitor) item { return item{m, m.Type, m.Block, m.Comment} })},
		{"heartbeats", items(f.Heartbeats, func(h Heartbeat) item { return item{h, "", nil, h.Comment} })},
		{"maintenance", items(f.Maintenance, func(w Maintenance) item { return item{w, "", nil, w.Comment} })},
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Imported from %s by tocsin import.\n", oneLine(f.Source))
	b.WriteString("# Check it with `tocsin validate`, then include it from the main file (include: [...]).\n\n")
	empty := true
	for _, s := range sections {
		if len(s.items) == 0 {
			continue
		}
		empty = false
		b.WriteString(s.key + ":\n")
		// yaml.v3's emitter keeps every event of a document until it
		// ends, so a list of many thousand entries is written in chunks,
		// each its own small document, indented under the section's key.
		for start := 0; start < len(s.items); start += writeChunk {
			list, err := nodes(s.items[start:min(start+writeChunk, len(s.items))])
			if err != nil {
				return nil, fmt.Errorf("writing %s: %w", s.key, err)
			}
			var chunk bytes.Buffer
			enc := yaml.NewEncoder(&chunk)
			enc.SetIndent(2)
			if err := enc.Encode(list); err != nil {
				return nil, fmt.Errorf("writing %s: %w", s.key, err)
			}
			if err := enc.Close(); err != nil {
				return nil, err
			}
			for _, line := range bytes.SplitAfter(chunk.Bytes(), []byte("\n")) {
				if len(bytes.TrimSpace(line)) > 0 {
					b.WriteString("  ")
				}
				b.Write(line)
			}
		}
	}
	if empty {
		// An empty file is not a configuration; an empty list is.
		b.WriteString("monitors: []\n")
	}
	return b.Bytes(), nil
}

// writeChunk is how many entries one YAML document of Write holds.
const writeChunk = 32

type item struct {
	v       any
	key     string
	block   any
	comment string
}

func items[T any](list []T, f func(T) item) []item {
	out := make([]item, len(list))
	for i, v := range list {
		out[i] = f(v)
	}
	return out
}

// nodes encodes a section's entries, each with its block under the key
// named after its type and its comment above it. The entries, then the
// blocks, are encoded in one call each: an encoder per entry would cost
// far more than the entry.
func nodes(items []item) (*yaml.Node, error) {
	vals := make([]any, len(items))
	var blocks []any
	for i, it := range items {
		vals[i] = it.v
		if it.block != nil {
			blocks = append(blocks, it.block)
		}
	}
	var list, bl yaml.Node
	if err := list.Encode(vals); err != nil {
		return nil, err
	}
	if err := bl.Encode(blocks); err != nil {
		return nil, err
	}
	if len(list.Content) != len(items) || len(bl.Content) != len(blocks) {
		return nil, fmt.Errorf("encoded %d entries and %d blocks, want %d and %d", len(list.Content), len(bl.Content), len(items), len(blocks))
	}
	next := 0
	for i, it := range items {
		n := list.Content[i]
		if it.block != nil {
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: it.key}, bl.Content[next])
			next++
		}
		if it.comment != "" {
			lines := strings.Split(strings.TrimSpace(it.comment), "\n")
			for j, l := range lines {
				lines[j] = oneLine(l)
			}
			n.HeadComment = strings.Join(lines, "\n")
		}
	}
	return &list, nil
}

// oneLine keeps a text from a source on one comment line.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r < ' ' && r != '\t' {
			return ' '
		}
		return r
	}, s)
}

// Progress tells, on a writer, how far a long import has got: every
// Every items or every Interval, whichever comes first.
type Progress struct {
	W        io.Writer
	What     string
	Every    int
	Interval time.Duration
	Now      func() time.Time

	n, shown int
	last     time.Time
}

// Tick counts one item and reports when it is time.
func (p *Progress) Tick() {
	if p == nil || p.W == nil {
		return
	}
	p.n++
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	t := now()
	if p.last.IsZero() {
		p.last = t
	}
	every, interval := p.Every, p.Interval
	if every <= 0 {
		every = 1000
	}
	if interval <= 0 {
		interval = time.Second
	}
	if p.n-p.shown >= every || t.Sub(p.last) >= interval {
		fmt.Fprintf(p.W, "tocsin import: %d %s read\n", p.n, p.What)
		p.shown, p.last = p.n, t
	}
}
