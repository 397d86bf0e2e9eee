package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
)

// An included file adds to the lists of the main file (monitors,
// heartbeats, services, ...); the sections that are one object (server,
// storage, alerting, incidents) belong to the main file alone. Included
// files may include others, to any depth; a file that includes itself,
// directly or through others, is an error. A file matched a second time
// by another pattern is read once.

// included is one file read through include, with the loader that read it.
type included struct {
	l   *loader
	cfg *Config
}

// listSections are the fields of Config that are lists of objects, by
// their YAML name: the sections an included file may add to.
var listSections = func() map[string]int {
	out := make(map[string]int)
	t := reflect.TypeFor[Config]()
	for i := range t.NumField() {
		f := t.Field(i)
		name := yamlName(f)
		if !f.IsExported() || name == "" || name == "include" || f.Type.Kind() != reflect.Slice {
			continue
		}
		out[name] = i
	}
	return out
}()

// mainOnly reports whether the top-level key names a section that may
// only be written in the main file.
func mainOnly(key string) bool {
	if _, list := listSections[key]; list {
		return false
	}
	return key != "include" && key != "defaults"
}

// hasGlobMeta reports whether pattern holds a character filepath.Match
// treats specially.
func hasGlobMeta(pattern string) bool { return strings.ContainsAny(pattern, `*?[\`) }

// includeFiles reads the files cfg includes (and those they include), and
// returns the configuration with their lists appended, in the order the
// files were read. The position index is extended so that problems found
// later point into the right file.
func (l *loader) includeFiles(cfg *Config) *Config {
	if len(cfg.Include) == 0 {
		return cfg
	}
	if l.noInclude {
		l.errAt("include", "include is read only from a configuration file on disk (tocsin serve, tocsin validate)")
		return cfg
	}
	abs, err := filepath.Abs(l.file)
	if err != nil {
		abs = l.file
	}
	seen := map[string]bool{abs: true}
	var parts []included
	var globs []string
	l.collect(cfg, []string{abs}, seen, &parts, &globs, l.file)
	cfg.IncludeGlobs = globs
	if len(parts) == 0 {
		return cfg
	}
	return l.merge(cfg, parts)
}

// collect resolves the include patterns of cfg, read by l, and reads the
// files they match, depth first. chain holds the absolute names of the
// files that led here, for cycles; seen every file read so far.
func (l *loader) collect(cfg *Config, chain []string, seen map[string]bool, out *[]included, globs *[]string, mainFile string) {
	for i, pattern := range cfg.Include {
		p := fmt.Sprintf("include[%d]", i)
		if strings.TrimSpace(pattern) == "" {
			l.errAt(p, "the include pattern is empty; write a file name or a glob such as monitors/*.yaml")
			continue
		}
		full := pattern
		if !filepath.IsAbs(pattern) {
			full = filepath.Join(l.dir, pattern)
		}
		if abs, err := filepath.Abs(full); err == nil {
			full = abs
		}
		*globs = append(*globs, full)
		matches, err := filepath.Glob(full)
		if err != nil {
			l.errAt(p, "invalid pattern %q: %v", pattern, err)
			continue
		}
		if len(matches) == 0 {
			// A glob that matches nothing is an empty folder of
			// fragments, which is normal; a plain name must exist.
			if !hasGlobMeta(pattern) {
				l.errAt(p, "no file %s (included as %q, relative to the folder of %s)", filepath.Join(filepath.Dir(l.file), pattern), pattern, l.file)
			}
			continue
		}
		for _, match := range matches {
			shown := match
			if !filepath.IsAbs(pattern) {
				if rel, err := filepath.Rel(l.dir, match); err == nil {
					shown = filepath.Join(filepath.Dir(l.file), rel)
				}
			}
			abs, err := filepath.Abs(match)
			if err != nil {
				abs = match
			}
			if k := slices.Index(chain, abs); k >= 0 {
				l.errAt(p, "including %s makes a cycle: %s", shown, cycleText(chain[k:], abs))
				continue
			}
			if seen[abs] {
				continue
			}
			if fi, err := os.Stat(match); err == nil && fi.IsDir() {
				if !hasGlobMeta(pattern) {
					l.errAt(p, "%s is a folder; include its files with a glob such as %s", shown, filepath.Join(pattern, "*.yaml"))
				}
				continue
			} else if err == nil && !fi.Mode().IsRegular() {
				// A pipe or device could block the read or never end.
				l.errAt(p, "%s is not a regular file", shown)
				continue
			}
			seen[abs] = true
			sub := &loader{file: shown, dir: filepath.Dir(abs), kinds: l.kinds, channelKinds: l.channelKinds,
				lookupEnv: l.lookupEnv, readFile: l.readFile, included: true, expanded: l.expanded}
			data, err := readConfigFile(match, shown)
			var es Errors
			if errors.As(err, &es) {
				l.errs = append(l.errs, es...)
				continue
			}
			if err != nil {
				l.errAt(p, "%v", err)
				continue
			}
			c, err := sub.decodeFile(data)
			if err != nil {
				l.errAt(p, "%v", err)
				continue
			}
			if c == nil {
				// The file's problems are in sub.errs, kept with the parts.
				*out = append(*out, included{l: sub, cfg: &Config{}})
				continue
			}
			for _, e := range sub.entries() {
				if e.key != nil && !strings.ContainsAny(e.path, ".[") && mainOnly(e.path) {
					sub.errAt(e.path, "%s may only be set in the main configuration file (%s); an included file adds to the lists (monitors, heartbeats, services, ...) and may have include and defaults", e.path, mainFile)
				}
			}
			sub.applyFileDefaults(c)
			*out = append(*out, included{l: sub, cfg: c})
			sub.collect(c, append(chain, abs), seen, out, globs, mainFile)
		}
	}
}

// entries returns the entries of the file's position index, none when
// it has none.
func (l *loader) entries() []*entry {
	if l.ix == nil {
		return nil
	}
	return l.ix.entries
}

func cycleText(chain []string, again string) string {
	names := make([]string, 0, len(chain)+1)
	for _, c := range chain {
		names = append(names, filepath.Base(c))
	}
	return strings.Join(append(names, filepath.Base(again)), " → ")
}

// merge appends the lists of the included files to main's and carries
// over their problems, blocks and positions under the merged paths.
func (l *loader) merge(main *Config, parts []included) *Config {
	merged := *main
	mv := reflect.ValueOf(&merged).Elem()
	srcs := append([]*Config{main}, make([]*Config, 0, len(parts))...)
	for _, p := range parts {
		srcs = append(srcs, p.cfg)
	}
	offsets := make([]map[string]int, len(srcs))
	for i := range offsets {
		offsets[i] = make(map[string]int, len(listSections))
	}
	for name, f := range listSections {
		total := 0
		for _, c := range srcs {
			total += reflect.ValueOf(c).Elem().Field(f).Len()
		}
		if total == 0 {
			continue
		}
		out := reflect.MakeSlice(mv.Field(f).Type(), 0, total)
		for i, c := range srcs {
			offsets[i][name] = out.Len()
			out = reflect.AppendSlice(out, reflect.ValueOf(c).Elem().Field(f))
		}
		mv.Field(f).Set(out)
	}

	blockSet := make(map[*Monitor]map[string]Block, len(merged.Monitors))
	chanBlockSet := make(map[*Channel]map[string]ChannelBlock)
	loaders := append([]*loader{l}, make([]*loader, 0, len(parts))...)
	for _, p := range parts {
		loaders = append(loaders, p.l)
	}
	l.offsets = make(map[string]map[string]int, len(parts))
	l.rank = make(map[string]int, len(parts))
	for i, c := range srcs {
		sub, off := loaders[i], offsets[i]
		for j := range c.Monitors {
			if b := sub.blockSet[&c.Monitors[j]]; b != nil {
				blockSet[&merged.Monitors[off["monitors"]+j]] = b
			}
		}
		for j := range c.Channels {
			if b := sub.chanBlockSet[&c.Channels[j]]; b != nil {
				chanBlockSet[&merged.Channels[off["channels"]+j]] = b
			}
		}
		if i == 0 {
			continue
		}
		merged.Included = append(merged.Included, sub.file)
		l.offsets[sub.file] = off
		l.rank[sub.file] = i
		for _, e := range sub.errs {
			if e.Line == 0 && sub.ix != nil {
				e.Line, e.Column = sub.ix.position(e.Path)
			}
			if e.ID == "" && sub.ix != nil {
				if head, _ := splitHead(e.Path); strings.HasSuffix(head, "]") {
					e.ID, _ = sub.ix.scalar(head + ".id")
				}
			}
			if e.File == "" {
				e.File = sub.file
			}
			if shifted, ok := shiftPath(e.Path, off); ok {
				e.Path = shifted
			}
			l.errs = append(l.errs, e)
		}
		for _, b := range sub.decodeBad {
			if shifted, ok := shiftPath(b, off); ok {
				l.decodeBad = append(l.decodeBad, shifted)
			}
		}
		if sub.ix != nil {
			l.ix.graft(sub.ix, sub.file, off)
		}
	}
	l.blockSet, l.chanBlockSet = blockSet, chanBlockSet
	return &merged
}

// localPath turns a merged path back into the one of the file it was
// read from, which is what the user sees in that file.
func (l *loader) localPath(file, path string) string {
	off, ok := l.offsets[file]
	if !ok {
		return path
	}
	neg := make(map[string]int, len(off))
	for k, v := range off {
		neg[k] = -v
	}
	if p, ok := shiftPath(path, neg); ok {
		return p
	}
	return path
}

// at names the object name and where path is written, for messages
// about another object at here: "monitors[3] at line 12", or "monitors[3]
// in monitors/b.yaml at line 12" when the two are in different files.
func (l *loader) at(name, path, here string) string {
	file, line, _ := l.ix.locate(path)
	hereFile, _, _ := l.ix.locate(here)
	shown := l.localPath(file, name)
	if file == hereFile {
		return fmt.Sprintf("%s at line %d", shown, line)
	}
	if file == "" {
		file = l.file
	}
	return fmt.Sprintf("%s in %s at line %d", shown, file, line)
}

// readConfigFile reads one configuration file within MaxFileSize; shown
// is its name in messages.
func readConfigFile(path, shown string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading the configuration: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > MaxFileSize {
		return nil, Errors{tooLarge(shown, fi.Size())}
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading the configuration %s: %w", shown, err)
	}
	if len(data) > MaxFileSize {
		return nil, Errors{tooLarge(shown, -1)}
	}
	return data, nil
}

// Stamp summarises the size and modification time of the file at path
// and of every file the include patterns of cfg match now. It changes
// when any of them is edited, and when a file appears or disappears where
// a pattern looks, so that a watcher polling it notices a change in an
// included file. cfg may be nil.
func Stamp(path string, cfg *Config) string {
	var b strings.Builder
	stamp := func(name string) {
		fi, err := os.Stat(name)
		if err != nil {
			fmt.Fprintf(&b, "%s:-\n", name)
			return
		}
		fmt.Fprintf(&b, "%s:%d:%d\n", name, fi.Size(), fi.ModTime().UnixNano())
	}
	stamp(path)
	if cfg != nil {
		for _, g := range cfg.IncludeGlobs {
			matches, _ := filepath.Glob(g)
			fmt.Fprintf(&b, "%s:%d\n", g, len(matches))
			for _, m := range matches {
				stamp(m)
			}
		}
	}
	return b.String()
}
