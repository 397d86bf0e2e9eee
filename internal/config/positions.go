package config

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxIndexDepth bounds how deep the position index follows the YAML tree.
// The format is at most about eight levels deep; anything below this can
// only be an error, which is reported at the nearest indexed ancestor.
const maxIndexDepth = 32

// entry is one key or list item of the document with its path.
type entry struct {
	path  string
	key   *yaml.Node // nil for list items
	value *yaml.Node
	// file is the included file the entry was read from; "" for the
	// file the loader was given.
	file string
}

// index maps YAML paths ("monitors[2].http.url") to the nodes they were
// read from, so that problems found after decoding point at a line.
type index struct {
	byPath  map[string]*entry
	entries []*entry // in document order
}

// newIndex walks the document tree. Aliases are not followed: a value
// reached through an alias is reported at the nearest ancestor written out.
func newIndex(root *yaml.Node) *index {
	ix := &index{byPath: make(map[string]*entry)}
	if root != nil && root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	if root != nil {
		ix.walk(root, "", 0)
	}
	return ix
}

func (ix *index) add(e *entry) {
	ix.entries = append(ix.entries, e)
	if _, ok := ix.byPath[e.path]; !ok {
		ix.byPath[e.path] = e
	}
}

func (ix *index) walk(n *yaml.Node, path string, depth int) {
	if depth >= maxIndexDepth {
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode || k.Value == "<<" && k.ShortTag() == "!!merge" {
				continue
			}
			p := joinPath(path, k.Value)
			ix.add(&entry{path: p, key: k, value: v})
			ix.walk(v, p, depth+1)
		}
	case yaml.SequenceNode:
		for i, v := range n.Content {
			p := path + "[" + strconv.Itoa(i) + "]"
			ix.add(&entry{path: p, value: v})
			ix.walk(v, p, depth+1)
		}
	}
}

// has reports whether a value for path was written in the file; a key
// with nothing after it ("interval:") counts as left out.
func (ix *index) has(path string) bool {
	e, ok := ix.byPath[path]
	return ok && (e.value.Kind != yaml.ScalarNode || e.value.ShortTag() != "!!null")
}

// scalar returns the text written at path, if it is a scalar.
func (ix *index) scalar(path string) (string, bool) {
	e, ok := ix.byPath[path]
	if !ok || e.value.Kind != yaml.ScalarNode {
		return "", false
	}
	return e.value.Value, true
}

// position returns the line and column for path, or for its nearest
// ancestor present in the file. A scalar is located at its value; a block
// (mapping or list) at its key, which is where a reader looks for it.
func (ix *index) position(path string) (line, col int) {
	for p := path; p != ""; p = parentPath(p) {
		if e, ok := ix.byPath[p]; ok {
			return e.pos()
		}
	}
	return 0, 0
}

// locate returns the file ("" for the main one), line and column for
// path, as position does.
func (ix *index) locate(path string) (file string, line, col int) {
	for p := path; p != ""; p = parentPath(p) {
		if e, ok := ix.byPath[p]; ok {
			line, col = e.pos()
			return e.file, line, col
		}
	}
	return "", 0, 0
}

// graft adds the entries of an included file's index under the merged
// paths of its list items: monitors[i] of the file becomes
// monitors[offsets["monitors"]+i]. Entries outside list items (defaults,
// include) are left out, as nothing is looked up there after the merge.
func (ix *index) graft(sub *index, file string, offsets map[string]int) {
	for _, e := range sub.entries {
		p, ok := shiftPath(e.path, offsets)
		if !ok {
			continue
		}
		ix.add(&entry{path: p, key: e.key, value: e.value, file: file})
	}
}

// shiftPath turns "monitors[3].http" into "monitors[3+offsets[monitors]].http".
// It reports false for a path that does not lie inside an item of a list
// section.
func shiftPath(path string, offsets map[string]int) (string, bool) {
	open := strings.IndexByte(path, '[')
	if open < 0 {
		return "", false
	}
	if dot := strings.IndexByte(path, '.'); dot >= 0 && dot < open {
		return "", false
	}
	section := path[:open]
	off, ok := offsets[section]
	if !ok {
		return "", false
	}
	end := strings.IndexByte(path, ']')
	n, err := strconv.Atoi(path[open+1 : end])
	if err != nil {
		return "", false
	}
	if off == 0 {
		return path, true
	}
	return section + "[" + strconv.Itoa(n+off) + path[end:], true
}

func (e *entry) pos() (line, col int) {
	if e.key != nil && e.value.Kind != yaml.ScalarNode && e.value.Kind != yaml.AliasNode {
		return e.key.Line, e.key.Column
	}
	if e.key != nil && e.value.Line == 0 {
		return e.key.Line, e.key.Column
	}
	return e.value.Line, e.value.Column
}

// keyAt finds the key named name on line.
func (ix *index) keyAt(line int, name string) *entry {
	for _, e := range ix.entries {
		if e.key != nil && e.key.Line == line && e.key.Value == name {
			return e
		}
	}
	return nil
}

// valueAt finds the first value of the given YAML tag on line, or failing
// that the first value of any kind on line, or failing that at col.
func (ix *index) valueAt(line, col int, tag string) *entry {
	var any *entry
	for _, e := range ix.entries {
		if e.value.Line != line {
			continue
		}
		if col > 0 && e.value.Column == col {
			return e
		}
		if col == 0 && tag != "" && e.value.ShortTag() == tag {
			return e
		}
		if any == nil {
			any = e
		}
	}
	return any
}

// joinPath appends a key to a path.
func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// parentPath strips the last key or index from path:
// "monitors[2].http" → "monitors[2]" → "monitors" → "".
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// isUnder reports whether path is base or lies below it.
func isUnder(path, base string) bool {
	if !strings.HasPrefix(path, base) {
		return false
	}
	rest := path[len(base):]
	return rest == "" || rest[0] == '.' || rest[0] == '['
}
