package probe

import (
	"fmt"
	"net"
	"reflect"

	"github.com/tocsin/tocsin/internal/config"
)

// Kind is one probe kind as the rest of Tocsin sees it: the monitor type it
// runs, how its prober is built from a monitor's configuration, which host
// it loads, and how a page describes it. Each kind package exports one, and
// internal/probe/kinds lists them all; nothing else switches on the type.
// The kind declares its configuration block (Block); config, upstream of
// every probe, decodes it through the table it is handed (config.Kinds).
type Kind struct {
	// Name is the monitor type: the value of `type:` and the key of the
	// monitor's block.
	Name string
	// Block returns a new empty configuration block of the kind, a pointer
	// to its struct: the keys, defaults and validation of its `name:`
	// block.
	Block func() config.Block
	// FileOnly kinds may only come from the configuration file, never from
	// the API or the UI (CheckCreatableByAPI).
	FileOnly bool
	// Build makes the prober of a monitor of this kind. m has passed
	// config validation; Build may still fail (a CA file that vanished).
	Build func(m *config.Monitor) (Prober, error)
	// Host is the key of the per-host concurrency limit: the host the
	// monitor talks to.
	Host func(m *config.Monitor) string
	// Target says in a few words what the monitor looks at, for pages, the
	// API and the search. It must leave out secrets it knows of (a
	// command's arguments); URL credentials are removed by the caller.
	Target func(m *config.Monitor) string
	// Metric, when set, shows one of the kind's metrics in its own words
	// (the stage of an ssh run by name); ok false falls back to the value
	// with its unit.
	Metric func(m Metric) (text string, ok bool)
	// Class says whether a monitor of the kind proves the service works
	// end to end (ClassFunctional: a page with the expected content, a
	// mail that went round, a file that is fresh) or only that something
	// answers (ClassLiveness). Nil means ClassLiveness for every monitor.
	Class func(m *config.Monitor) Class
}

// Class is what a monitor's success proves, for the coverage report.
type Class string

// The classes of Kind.Class.
const (
	// ClassFunctional monitors check what users get: content, delivery,
	// freshness, expected answers.
	ClassFunctional Class = "functional"
	// ClassLiveness monitors check that something is up: a port opens, a
	// host answers, a certificate is valid, a process runs.
	ClassLiveness Class = "liveness"
)

// ClassOf returns the class of monitor m of kind k.
func (k Kind) ClassOf(m *config.Monitor) Class {
	if k.Class == nil {
		return ClassLiveness
	}
	return k.Class(m)
}

// ClassOf returns the class of monitor m by its kind, ClassLiveness for a
// type the table does not know: the function the coverage report takes,
// so it needs no probe kind.
func (t *Kinds) ClassOf(m *config.Monitor) Class {
	k, ok := t.kindOf(m.Type, m)
	if !ok {
		return ClassLiveness
	}
	return k.ClassOf(m)
}

// Built adapts a kind package's constructor, which returns its concrete
// prober, to Kind.Build: on error the Prober is nil, not a nil pointer in a
// non-nil interface.
func Built[P Prober](p P, err error) (Prober, error) {
	if err != nil {
		return nil, err
	}
	return p, nil
}

// HostOf is the host part of a host:port address, or addr itself when it
// has no port.
func HostOf(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

// Kinds is the table of probe kinds by name. It is read-only once built.
type Kinds struct {
	byName map[string]Kind
	names  []string
	// blocks is the type of each kind's block, nil for a kind without.
	blocks map[string]reflect.Type
}

// NewKinds builds the table from kinds listed once each.
func NewKinds(kinds ...Kind) *Kinds {
	t := &Kinds{byName: make(map[string]Kind, len(kinds)), blocks: make(map[string]reflect.Type, len(kinds))}
	for _, k := range kinds {
		if _, dup := t.byName[k.Name]; dup {
			panic("probe: kind " + k.Name + " listed twice")
		}
		t.byName[k.Name] = k
		t.names = append(t.names, k.Name)
		if k.Block != nil {
			t.blocks[k.Name] = reflect.TypeOf(k.Block())
		}
	}
	return t
}

// Names lists the kinds in the order they were listed.
func (t *Kinds) Names() []string { return append([]string(nil), t.names...) }

// NewBlock returns a new empty block of the kind named name; ok is false
// when there is no such kind. With Names it makes the table a
// config.Kinds.
func (t *Kinds) NewBlock(name string) (config.Block, bool) {
	k, ok := t.byName[name]
	if !ok || k.Block == nil {
		return nil, false
	}
	return k.Block(), true
}

var _ config.Kinds = (*Kinds)(nil)

// Kind returns the kind named name.
func (t *Kinds) Kind(name string) (Kind, bool) {
	k, ok := t.byName[name]
	return k, ok
}

// Build makes the prober of m from its kind. A monitor whose block is
// not its type's (possible only for one built in code: the configuration
// refuses it) gets an error.
func (t *Kinds) Build(m *config.Monitor) (Prober, error) {
	if _, ok := t.byName[m.Type]; !ok {
		return nil, fmt.Errorf("unknown monitor type %q", m.Type)
	}
	k, ok := t.kindOf(m.Type, m)
	if !ok {
		return nil, fmt.Errorf("monitor %q: type %q needs its %q block", m.ID, m.Type, m.Type)
	}
	return k.Build(m)
}

// Host is the per-host limit key of m; the monitor's id when its kind is
// unknown or its block is not its kind's.
func (t *Kinds) Host(m *config.Monitor) string {
	if k, ok := t.kindOf(t.typeName(m), m); ok && k.Host != nil {
		return k.Host(m)
	}
	return m.ID
}

// Target says what m looks at; "" when its kind is unknown or its block
// is not its kind's.
func (t *Kinds) Target(m *config.Monitor) string {
	if k, ok := t.kindOf(t.typeName(m), m); ok && k.Target != nil {
		return k.Target(m)
	}
	return ""
}

// kindOf returns the kind named name when m's block is that kind's, and
// not a nil one (or the kind has none). The kinds' functions read their own block and
// would fail on another, or on none: a monitor built in code with the
// block of another type is treated as one of no known kind instead.
func (t *Kinds) kindOf(name string, m *config.Monitor) (Kind, bool) {
	k, ok := t.byName[name]
	if !ok {
		return Kind{}, false
	}
	if bt := t.blocks[name]; bt != nil && (reflect.TypeOf(m.Block) != bt || bt.Kind() == reflect.Pointer && reflect.ValueOf(m.Block).IsNil()) {
		return Kind{}, false
	}
	return k, true
}

// CheckCreatableByAPI returns an error when m must not be created or
// changed through the API or the UI: its type, or the kind of a block it
// holds, is FileOnly. Every path that builds monitors from outside the
// configuration file calls it.
func (t *Kinds) CheckCreatableByAPI(m *config.Monitor) error {
	kind, ok := t.byName[m.Type]
	if !ok || !kind.FileOnly {
		kind, ok = t.byName[t.blockKind(m)]
	}
	if ok && kind.FileOnly {
		return fmt.Errorf("monitor %q: %s monitors can only be defined in the configuration file, never through the API or the UI, because they run programs on the Tocsin host", m.ID, kind.Name)
	}
	return nil
}

// typeName is m's type: its Type, or when that is empty the kind its one
// block belongs to.
func (t *Kinds) typeName(m *config.Monitor) string {
	if m.Type != "" {
		return m.Type
	}
	return t.blockKind(m)
}

// blockKind is the kind m's Block belongs to, "" when it has none.
func (t *Kinds) blockKind(m *config.Monitor) string {
	if m.Block == nil {
		return ""
	}
	for _, name := range t.names {
		if bt := t.blocks[name]; bt != nil && bt == reflect.TypeOf(m.Block) {
			return name
		}
	}
	return ""
}

// FormatMetric shows a metric of a monitor of type kind: in the kind's own
// words when it has them, else its value with its unit.
func (t *Kinds) FormatMetric(kind string, m Metric) string {
	if k, ok := t.byName[kind]; ok && k.Metric != nil {
		if s, ok := k.Metric(m); ok {
			return s
		}
	}
	return m.Text()
}
