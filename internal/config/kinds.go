package config

import "strings"

// This file holds what the loader knows of the type-specific blocks of a
// monitor, which the probe kinds declare (internal/probe/kinds lists them):
// the Block interface and the table of kinds it is handed. Each block has a
// Validate method returning the problems it finds, keyed by the YAML path
// below the block (for example "expect.body_regex"), so the loader can point
// at the right line.

// FieldError is one problem in a block, relative to the block.
type FieldError struct {
	Field   string // YAML path below the block, "" for the block itself
	Message string
}

// TLSClient configures the client side of TLS for a probe.
type TLSClient struct {
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
	CAFile             string `yaml:"ca_file"`
	CertFile           string `yaml:"cert_file"`
	KeyFile            string `yaml:"key_file"`
	ServerName         string `yaml:"server_name"`
}

// Block is the type-specific block of a monitor (`http:`, `dns:`, …) as its
// probe kind declares it. The loader decodes it strictly from the key named
// after the type, expands ${NAME} in its strings, then calls Defaults and,
// when it is the block of the monitor's type, Validate. A kind whose block
// names files implements FileBlock too.
type Block interface {
	// Defaults fills in what the block leaves out. m is the monitor that
	// holds it, its common defaults applied; written reports whether a key
	// is in the file, as a YAML path below the monitor ("dns.type",
	// "timeout"), so that a zero written out stays for Validate to report.
	Defaults(m *Monitor, written func(key string) bool)
	// Validate reports the problems of the block, keyed by the YAML path
	// below the block. m is the monitor that holds it; it is nil when a
	// prober is built in code from the block alone.
	Validate(m *Monitor) []FieldError
}

// FileBlock is a Block that names files: secrets read from *_file keys and
// paths relative to the configuration file's folder.
type FileBlock interface {
	Block
	// Files reads the block's secrets and anchors its paths with f. It
	// runs before Defaults.
	Files(f *Files)
}

// Files reads the secrets of one block and anchors its paths at the
// configuration file's folder.
type Files struct {
	l    *loader
	path string // the block's YAML path
}

// Secret fills *value from the file named by *file when it is set; key is
// the *_file key's path below the block ("password_file",
// "smtp.password_file"). Both set, or a file that cannot be read, is a
// problem at that key.
func (f *Files) Secret(key string, value, file *string) {
	parent, k := f.path, key
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		parent, k = f.path+"."+key[:i], key[i+1:]
	}
	f.l.readSecret(parent, k, value, file)
}

// Path anchors a relative path at the configuration file's folder.
func (f *Files) Path(p string) string { return f.l.resolve(p) }

// Dir is the configuration file's folder.
func (f *Files) Dir() string { return f.l.dir }

// TLS anchors the files a TLS client block names.
func (f *Files) TLS(t *TLSClient) {
	t.CAFile = f.Path(t.CAFile)
	t.CertFile = f.Path(t.CertFile)
	t.KeyFile = f.Path(t.KeyFile)
}

// Kinds is the table of monitor types the loader knows. The caller passes
// it to Load and Parse: app, `tocsin validate` and `tocsin check` build it
// from internal/probe/kinds, which config does not import.
type Kinds interface {
	// Names lists every monitor type in the order messages name them.
	Names() []string
	// NewBlock returns a new empty block of the type named name, a pointer
	// to a struct whose yaml tags are the block's keys. ok is false for an
	// unknown type.
	NewBlock(name string) (b Block, ok bool)
}

// typeBlock is one type-specific block set on a monitor.
type typeBlock struct {
	name  string
	block Block
}

// blocks lists the type-specific blocks the file sets on m, in the order
// of the kinds table.
func (l *loader) blocks(m *Monitor) []typeBlock {
	set := l.blockSet[m]
	switch len(set) {
	case 0:
		return nil
	case 1:
		// The usual monitor: its one block, without reading the table.
		for name, b := range set {
			return []typeBlock{{name: name, block: b}}
		}
	}
	var out []typeBlock
	for _, name := range l.kinds.Names() {
		if b := l.blockSet[m][name]; b != nil {
			out = append(out, typeBlock{name: name, block: b})
		}
	}
	return out
}

func blockNames(bs []typeBlock) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.name
	}
	return out
}
