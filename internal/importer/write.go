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
	root := &yaml.Node{Kind: yaml.MappingNode}
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
	for _, s := range sections {
		if len(s.items) == 0 {
			continue
		}
		list := &yaml.Node{Kind: yaml.SequenceNode}
		for _, it := range s.items {
			n, err := it.node()
			if err != nil {
				return nil, fmt.Errorf("writing %s: %w", s.key, err)
			}
			list.Content = append(list.Content, n)
		}
		root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: s.key}, list)
	}
	doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}
	if len(root.Content) == 0 {
		// An empty file is not a configuration; an empty list is.
		root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "monitors"},
			&yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle})
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Imported from %s by tocsin import.\n", oneLine(f.Source))
	b.WriteString("# Check it with `tocsin validate`, then include it from the main file (include: [...]).\n\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

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

func (it item) node() (*yaml.Node, error) {
	var n yaml.Node
	if err := n.Encode(it.v); err != nil {
		return nil, err
	}
	if it.block != nil {
		var b yaml.Node
		if err := b.Encode(it.block); err != nil {
			return nil, err
		}
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: it.key}, &b)
	}
	if it.comment != "" {
		lines := strings.Split(strings.TrimSpace(it.comment), "\n")
		for i, l := range lines {
			lines[i] = oneLine(l)
		}
		n.HeadComment = strings.Join(lines, "\n")
	}
	return &n, nil
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

// Count is how many items were counted.
func (p *Progress) Count() int {
	if p == nil {
		return 0
	}
	return p.n
}
