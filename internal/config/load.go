package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxFileSize is the largest configuration file Load and Parse accept.
// Even a very large installation fits in a fraction of it; the limit keeps a
// wrong path (a log, a database) from being read into memory.
const MaxFileSize = 4 << 20

// Load reads, checks and completes the configuration file at path. On any
// problem it returns Errors listing all of them with their lines; a file it
// cannot open is reported as a plain wrapped error. Relative paths in the
// file (secret files, the SQLite database) are resolved against the
// file's folder. kinds is the table of monitor types whose blocks it
// decodes (internal/probe/kinds); with nil it knows no type.
func Load(path string, kinds Kinds) (*Config, error) {
	data, err := readConfigFile(path, path)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	l := newLoader(path, dir, kinds)
	return l.parse(data)
}

// Parse checks and completes a configuration held in memory. filename is
// used in error messages and its folder anchors relative paths. ${NAME}
// references are read from the process environment. kinds is the table of
// monitor types, as for Load.
//
// A configuration held in memory may not include files: it may come from
// elsewhere (an agent's assignment), and reading files named there would
// reach into the local file system. Load follows include.
func Parse(data []byte, filename string, kinds Kinds) (*Config, error) {
	l := newLoader(filename, filepath.Dir(filename), kinds)
	l.noInclude = true
	return l.parse(data)
}

func tooLarge(file string, size int64) Error {
	if size < 0 {
		return Error{File: file, Message: fmt.Sprintf("the file is larger than the %d MiB limit", MaxFileSize>>20)}
	}
	return Error{File: file, Message: fmt.Sprintf("the file is %.1f MiB, larger than the %d MiB limit", float64(size)/(1<<20), MaxFileSize>>20)}
}

// loader holds the state of one Parse: where the file is, how to reach the
// environment and the files it names, the position index and the problems
// found so far.
type loader struct {
	file      string
	dir       string
	kinds     Kinds
	lookupEnv func(string) (string, bool)
	readFile  func(string) ([]byte, error)

	ix   *index
	errs []Error
	// decodeBad holds the paths whose values could not be decoded; later
	// checks stay quiet about them, since their zero values are not what
	// the user wrote.
	decodeBad []string
	// checked is how many problems were found before validation started;
	// only the ones after it can be shadowed by an earlier problem.
	checked int
	// blockSet holds the blocks the kinds declare that each monitor sets,
	// by type; only the one of its type is kept, in Monitor.Block.
	blockSet map[*Monitor]map[string]Block
	// channelKinds is the table of channel types beyond the built-in ones,
	// and chanBlockSet the blocks each channel sets, by type.
	channelKinds ChannelKinds
	chanBlockSet map[*Channel]map[string]ChannelBlock

	// included is set on the loader of a file read through include:
	// such a file may be empty.
	included bool
	// noInclude refuses include, for configurations not read from a file.
	noInclude bool
	// offsets holds, by included file, where each of its lists starts in
	// the merged configuration, and rank the order the files were read.
	offsets map[string]map[string]int
	rank    map[string]int
	// fields caches the struct fields expandStrings walks, by type.
	fields map[reflect.Type][]field
	// dollars is set when the file holds a $ anywhere, so that ${NAME}
	// references may need expanding.
	dollars bool
	// aliases is set when the file has an alias (*name).
	aliases bool
	// expanded records the strings expandStrings changed (Config.Expanded),
	// shared with the loaders of included files.
	expanded map[string]string
	// aliased counts the nodes the kinds' blocks reached through aliases,
	// across all blocks of the file, to bound what aliases can expand to.
	aliased int
}

func newLoader(file, dir string, kinds Kinds) *loader {
	if kinds == nil {
		kinds = noKinds{}
	}
	return &loader{file: file, dir: dir, kinds: kinds, channelKinds: channelKindsOf(kinds), lookupEnv: os.LookupEnv, readFile: readLimited,
		expanded: map[string]string{}}
}

// errAt records a problem at a YAML path; the position is filled in later.
func (l *loader) errAt(path, format string, args ...any) {
	l.errs = append(l.errs, Error{Path: path, Message: fmt.Sprintf(format, args...)})
}

// fail returns the problems found as Errors, sorted by position.
func (l *loader) fail() error {
	out := make(Errors, 0, len(l.errs))
	seen := make(map[Error]bool, len(l.errs))
	for _, e := range l.errs {
		if e.Line == 0 && l.ix != nil {
			var file string
			file, e.Line, e.Column = l.ix.locate(e.Path)
			if e.File == "" {
				e.File = file
			}
		}
		if e.File == "" {
			e.File = l.file
		}
		if e.ID == "" && l.ix != nil {
			if head, _ := splitHead(e.Path); strings.HasSuffix(head, "]") {
				e.ID, _ = l.ix.scalar(head + ".id")
			}
		}
		e.Path = l.localPath(e.File, e.Path)
		// An alias can make yaml.v3 report one bad value many times.
		if seen[e] {
			continue
		}
		seen[e] = true
		out = append(out, e)
	}
	slices.SortStableFunc(out, func(a, b Error) int {
		// The main file first, then the included ones in the order read.
		if ra, rb := l.rank[a.File], l.rank[b.File]; ra != rb {
			return ra - rb
		}
		if a.Line != b.Line {
			// Problems without a line (whole-file ones) go first.
			return a.Line - b.Line
		}
		return a.Column - b.Column
	})
	return out
}

func (l *loader) parse(data []byte) (*Config, error) {
	cfg, err := l.decodeFile(data)
	if err != nil {
		return nil, err
	}
	if cfg == nil {
		return nil, l.fail()
	}
	l.applyFileDefaults(cfg)
	cfg = l.includeFiles(cfg)
	l.checked = len(l.errs)
	l.applyDefaults(cfg)
	l.resolvePaths(cfg)
	l.validate(cfg)

	if len(l.errs) > 0 {
		l.dropShadowed()
		return nil, l.fail()
	}
	if len(l.expanded) > 0 {
		cfg.Expanded = l.expanded
	}
	return cfg, nil
}

// emptyFile is the problem of a main file that holds nothing.
func (l *loader) emptyFile() error {
	return Errors{{File: l.file, Message: "config is empty; `tocsin init` writes a commented starter file"}}
}

// decodeFile reads one file into a Config: the YAML, its keys and types,
// the kinds' blocks, ${NAME} references and secret files. It returns nil
// when it had to stop, with the problems in l.errs, and an error only for
// an empty main file. An included file may be empty.
func (l *loader) decodeFile(data []byte) (*Config, error) {
	if len(data) > MaxFileSize {
		return nil, Errors{tooLarge(l.file, int64(len(data)))}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		if l.included {
			return &Config{}, nil
		}
		return nil, l.emptyFile()
	}

	// The node tree gives positions; it is parsed without expanding
	// aliases, so its size is bounded by the file's.
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			if l.included {
				return &Config{}, nil
			}
			return nil, l.emptyFile()
		}
		l.syntaxError(err, data)
		return nil, nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		l.errs = append(l.errs, Error{Line: extra.Line, Column: extra.Column, Message: "the file holds more than one YAML document (---); put the whole configuration in one"})
	} else if !errors.Is(err, io.EOF) {
		l.syntaxError(err, data)
	}
	if len(l.errs) > 0 {
		return nil, nil
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	switch {
	case doc.Kind == yaml.ScalarNode && doc.ShortTag() == "!!null":
		if l.included {
			return &Config{}, nil
		}
		return nil, l.emptyFile()
	case doc.Kind != yaml.MappingNode:
		l.errs = append(l.errs, Error{Line: doc.Line, Column: doc.Column,
			Message: fmt.Sprintf("the configuration must be a mapping of sections (server, storage, people, teams, channels, services, monitors, heartbeats), not %s", describeNode(doc))})
		return nil, nil
	}
	l.ix = newIndex(&root)

	l.dollars, l.aliases = scanTree(&root)

	// The tree is decoded once, and checked for the keys nothing takes as
	// a strict decoder would; yaml.v3 goes on after wrong types and lists
	// them all.
	cfg := &Config{Path: l.file}
	if !l.decodeNode(&root, cfg) {
		return nil, nil
	}
	if !l.decodeBlocks(cfg) || !l.decodeChannelBlocks(cfg) {
		return nil, nil
	}
	if l.dollars {
		l.expandStrings(reflect.ValueOf(cfg), "")
	}
	l.readSecrets(cfg)
	return cfg, nil
}

// decodeNode decodes n into v (a pointer), reporting wrong types and the
// keys no field takes. It returns false when the decoder stopped (too
// many aliases), with its error the only one kept.
func (l *loader) decodeNode(n *yaml.Node, v any) bool {
	if err := n.Decode(v); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			l.errs, l.decodeBad = nil, nil
			l.yamlError(err)
			return false
		}
		for _, msg := range te.Errors {
			l.typeError(msg)
		}
	}
	unknownKeys(n, reflect.TypeOf(v), l.typeError)
	return true
}

// scanTree reports whether any text of the tree holds a $, and whether it
// has an alias. Without a $ there is no ${NAME} to expand, and the walk
// over every string of the configuration is left out; without an alias
// there is nothing to count against maxAliasedBlockNodes.
func scanTree(root *yaml.Node) (dollars, aliases bool) {
	stack := []*yaml.Node{root}
	for len(stack) > 0 && !(dollars && aliases) {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		dollars = dollars || strings.IndexByte(n.Value, '$') >= 0
		aliases = aliases || n.Kind == yaml.AliasNode
		stack = append(stack, n.Content...)
	}
	return dollars, aliases
}

// dropShadowed removes problems found on values that failed to decode: the
// decode error already says what is wrong there.
func (l *loader) dropShadowed() {
	bad := l.decodeBad
	for _, e := range l.errs[:l.checked] {
		if e.Path != "" {
			bad = append(bad, e.Path)
		}
	}
	if len(bad) == 0 {
		return
	}
	later := slices.DeleteFunc(l.errs[l.checked:], func(e Error) bool {
		for _, b := range bad {
			if b != "" && isUnder(e.Path, b) {
				return true
			}
		}
		return false
	})
	l.errs = append(l.errs[:l.checked], later...)
}

func (l *loader) readSecrets(cfg *Config) {
	l.readSecret("server", "metrics_token_file", &cfg.Server.MetricsToken, &cfg.Server.MetricsTokenFile)
	l.readSecret("storage", "dsn_file", &cfg.Storage.DSN, &cfg.Storage.DSNFile)
	l.readSecret("server.pings", "key_file", &cfg.Server.Pings.Key, &cfg.Server.Pings.KeyFile)
	l.readAuthSecrets(cfg)
	for i := range cfg.Channels {
		ch := &cfg.Channels[i]
		p := "channels[" + strconv.Itoa(i) + "]"
		if ch.Webhook != nil {
			l.readSecret(p+".webhook", "secret_file", &ch.Webhook.Secret, &ch.Webhook.SecretFile)
		}
		if ch.Email != nil {
			l.readSecret(p+".email", "password_file", &ch.Email.Password, &ch.Email.PasswordFile)
		}
	}
	l.readChannelSecrets(cfg)
	for i := range cfg.Monitors {
		m := &cfg.Monitors[i]
		for _, b := range l.blocks(m) {
			if fb, ok := b.block.(FileBlock); ok {
				fb.Files(&Files{l: l, path: "monitors[" + strconv.Itoa(i) + "]." + b.name})
			}
		}
	}
}

// resolvePaths anchors relative file paths at the config file's folder, so
// that the result does not depend on the working directory.
func (l *loader) resolvePaths(cfg *Config) {
	if cfg.Storage.Driver == "sqlite" {
		cfg.Storage.DSN = l.resolveSQLite(cfg.Storage.DSN)
	}
}

// resolveSQLite anchors a SQLite file name, keeping in-memory databases
// and the "file:" URI form with its query intact.
func (l *loader) resolveSQLite(dsn string) string {
	if dsn == "" || strings.HasPrefix(dsn, ":memory:") || strings.Contains(dsn, "mode=memory") {
		return dsn
	}
	if rest, ok := strings.CutPrefix(dsn, "file:"); ok {
		name, query, hasQuery := strings.Cut(rest, "?")
		if name == "" || name == ":memory:" || filepath.IsAbs(name) {
			return dsn
		}
		out := "file:" + l.resolve(name)
		if hasQuery {
			out += "?" + query
		}
		return out
	}
	return l.resolve(dsn)
}

var (
	reLinePrefix   = regexp.MustCompile(`^line (\d+): (?:column (\d+): )?(.*)$`)
	reYAMLLine     = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	reYAMLAt       = regexp.MustCompile(`^yaml: (.*?) at line (\d+), column (\d+): (.*)$`)
	reUnknownField = regexp.MustCompile(`^field (\S+) not found in type (\S+)$`)
	reAlreadySet   = regexp.MustCompile(`^field (\S+) already set in type \S+$`)
	reDupKey       = regexp.MustCompile(`^mapping key "(.*)" already defined at line (\d+)$`)
	reCannot       = regexp.MustCompile("^cannot unmarshal (!!\\w+)(?: `(.*)`)? into (\\S+)$")
)

var reUnknownAnchor = regexp.MustCompile(`^yaml: unknown anchor '(.*)' referenced$`)

// syntaxError reports an error from parsing the document. yaml.v3 leaves
// out the line when it is the first one (it counts from zero inside), and
// does not place unknown anchors, which are found here in the text.
func (l *loader) syntaxError(err error, data []byte) {
	msg := err.Error()
	if m := reUnknownAnchor.FindStringSubmatch(msg); m != nil {
		e := Error{Message: fmt.Sprintf("invalid YAML: unknown anchor %q referenced (define it with &%s before using *%s)", m[1], m[1], m[1])}
		if i := bytes.Index(data, []byte("*"+m[1])); i >= 0 {
			e.Line = bytes.Count(data[:i], []byte("\n")) + 1
			e.Column = i - bytes.LastIndexByte(data[:i], '\n')
		}
		l.errs = append(l.errs, e)
		return
	}
	if !strings.HasPrefix(msg, "yaml: line ") && strings.HasPrefix(msg, "yaml: ") {
		l.errs = append(l.errs, Error{Line: 1, Message: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")})
		return
	}
	l.yamlError(err)
}

// yamlError turns a syntax error from yaml.v3 ("yaml: line 3: mapping
// values are not allowed in this context") into an Error with a position.
func (l *loader) yamlError(err error) {
	msg := err.Error()
	if m := reYAMLAt.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[2])
		col, _ := strconv.Atoi(m[3])
		l.errs = append(l.errs, Error{Line: line, Column: col, Message: "invalid YAML: " + m[1] + ": " + m[4]})
		return
	}
	if m := reYAMLLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		l.errs = append(l.errs, Error{Line: line, Message: "invalid YAML: " + m[2]})
		return
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	l.errs = append(l.errs, Error{Message: "invalid YAML: " + msg})
}

// typeError turns one message of a yaml.TypeError into an Error at the
// key or value it is about.
func (l *loader) typeError(msg string) {
	m := reLinePrefix.FindStringSubmatch(msg)
	if m == nil {
		l.errs = append(l.errs, Error{Message: msg})
		return
	}
	line, _ := strconv.Atoi(m[1])
	col, _ := strconv.Atoi(m[2])
	text := m[3]
	e := Error{Line: line, Column: col, Message: text}
	bad := func(en *entry) {
		if en == nil {
			return
		}
		e.Path = en.path
		e.Line, e.Column = en.pos()
		if en.key != nil && en.value.Kind != yaml.ScalarNode {
			e.Line, e.Column = en.key.Line, en.key.Column
		}
		l.decodeBad = append(l.decodeBad, en.path)
	}
	switch {
	case reUnknownField.MatchString(text):
		f := reUnknownField.FindStringSubmatch(text)
		e.Message = fmt.Sprintf("unknown key %q", f[1])
		if s := l.suggestKey(f[1], f[2]); s != "" {
			e.Message += fmt.Sprintf(" (did you mean %q?)", s)
		}
		if en := l.ix.keyAt(line, f[1]); en != nil {
			e.Path = en.path
			e.Line, e.Column = en.key.Line, en.key.Column
		}
	case reAlreadySet.MatchString(text):
		f := reAlreadySet.FindStringSubmatch(text)
		e.Message = fmt.Sprintf("key %q is repeated", f[1])
		if en := l.ix.keyAt(line, f[1]); en != nil {
			e.Path = en.path
			e.Line, e.Column = en.key.Line, en.key.Column
			if first := l.ix.byPath[en.path]; first != nil && first != en {
				e.Message += fmt.Sprintf(" (first at line %d)", first.key.Line)
			}
		}
	case reDupKey.MatchString(text):
		f := reDupKey.FindStringSubmatch(text)
		e.Message = fmt.Sprintf("key %q is repeated (first at line %s)", f[1], f[2])
		if en := l.ix.keyAt(line, f[1]); en != nil {
			e.Path = en.path
			e.Line, e.Column = en.key.Line, en.key.Column
		}
	case reCannot.MatchString(text):
		f := reCannot.FindStringSubmatch(text)
		en := l.ix.valueAt(line, 0, f[1])
		found := describeTag(f[1], f[2])
		if en != nil {
			found = describeNode(en.value)
		}
		e.Message = fmt.Sprintf("expected %s, found %s", l.describeGoType(f[3]), found)
		bad(en)
	default:
		// Our own unmarshalers (Duration) give a column too.
		bad(l.ix.valueAt(line, col, ""))
	}
	l.errs = append(l.errs, e)
}

// describeNode says what a YAML value is, for "expected X, found Y".
func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.AliasNode:
		return "an alias"
	}
	return describeTag(n.ShortTag(), n.Value)
}

func describeTag(tag, value string) string {
	switch tag {
	case "!!seq":
		return "a list"
	case "!!map":
		return "a mapping"
	case "!!null":
		return "nothing"
	case "!!str":
		return "text " + strconv.Quote(truncate(value, 40))
	case "!!int", "!!float":
		return "the number " + truncate(value, 40)
	case "!!bool":
		return value
	}
	return truncate(value, 40)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// describeGoType names the shape a Go type expects, in YAML terms.
func (l *loader) describeGoType(t string) string {
	t = strings.TrimLeft(t, "*")
	_, block := configTypes(l.kinds)[t]
	switch {
	case block:
		return "a mapping"
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map["):
		return "a mapping"
	case strings.HasPrefix(t, "config."):
		return "a mapping"
	case strings.HasPrefix(t, "int") || strings.HasPrefix(t, "uint"):
		return "a whole number"
	case t == "bool":
		return "true or false"
	case t == "string":
		return "text"
	case strings.HasPrefix(t, "float"):
		return "a number"
	}
	return t
}

// suggestKey returns the valid key of the named config type closest to
// key, when one is close enough to be a likely typo. A monitor's keys
// include the names of its types' blocks.
func (l *loader) suggestKey(key, typeName string) string {
	t, ok := configTypes(l.kinds)[typeName]
	if !ok {
		return ""
	}
	var names []string
	for i := range t.NumField() {
		if name := yamlName(t.Field(i)); name != "" {
			names = append(names, name)
		}
	}
	if t == reflect.TypeFor[Monitor]() {
		for _, name := range l.kinds.Names() {
			if !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	if t == reflect.TypeFor[Channel]() {
		for _, name := range l.channelKinds.ChannelNames() {
			if !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	best, bestDist := "", 3
	for _, name := range names {
		if d := editDistance(strings.ToLower(key), name); d < bestDist {
			best, bestDist = name, d
		}
	}
	return best
}

// configTypes maps the names yaml.v3 uses for the config structs
// ("config.Server", "dnsx.Check") to their types: the ones reachable from
// Config and from the blocks the kinds declare.
func configTypes(kinds Kinds) map[string]reflect.Type {
	out := make(map[string]reflect.Type)
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return
		}
		if _, seen := out[t.String()]; seen {
			return
		}
		out[t.String()] = t
		for i := range t.NumField() {
			if t.Field(i).IsExported() {
				walk(t.Field(i).Type)
			}
		}
	}
	walk(reflect.TypeFor[Config]())
	for _, name := range kinds.Names() {
		if b, ok := kinds.NewBlock(name); ok {
			walk(reflect.TypeOf(b))
		}
	}
	ck := channelKindsOf(kinds)
	for _, name := range ck.ChannelNames() {
		if b, ok := ck.NewChannelBlock(name); ok {
			walk(reflect.TypeOf(b))
		}
	}
	delete(out, reflect.TypeFor[yaml.Node]().String())
	return out
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
