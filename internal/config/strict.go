package config

import (
	"fmt"
	"reflect"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// The configuration is parsed once into a node tree, which gives the
// positions, and decoded from that tree. yaml.v3 decodes a tree without
// KnownFields, so unknownKeys reports the keys no field takes, in the
// words and at the lines the strict decoder of a byte stream uses ("line
// 3: field x not found in type config.Monitor"), for typeError to turn
// into the problems the user reads.

// unknownKeys walks n as the decoder does when it decodes n into a value
// of type t, and calls report with a message for each mapping key that no
// field of the struct it lands in takes. Aliases are followed; a node is
// walked once per type, so an alias used many times costs nothing more.
func unknownKeys(n *yaml.Node, t reflect.Type, report func(string)) {
	w := strictWalk{report: report, seen: make(map[strictKey]bool)}
	w.walk(n, t)
}

type strictKey struct {
	n *yaml.Node
	t reflect.Type
}

type strictWalk struct {
	report func(string)
	seen   map[strictKey]bool
}

var (
	unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()
	nodeType        = reflect.TypeFor[yaml.Node]()
)

func (w *strictWalk) walk(n *yaml.Node, t reflect.Type) {
	for n != nil {
		switch n.Kind {
		case yaml.DocumentNode:
			if len(n.Content) != 1 {
				return
			}
			n = n.Content[0]
			continue
		case yaml.AliasNode:
			n = n.Alias
			continue
		}
		break
	}
	if n == nil {
		return
	}
	for {
		// A type that decodes itself is as strict as its own code.
		if t == nodeType || t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) {
			return
		}
		if t.Kind() != reflect.Pointer {
			break
		}
		t = t.Elem()
	}
	k := strictKey{n, t}
	if w.seen[k] {
		return
	}
	w.seen[k] = true
	switch {
	case n.Kind == yaml.SequenceNode && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
		for _, c := range n.Content {
			w.walk(c, t.Elem())
		}
	case n.Kind == yaml.MappingNode && t.Kind() == reflect.Map:
		w.mapping(n, func(_ string, _ int, v *yaml.Node) { w.walk(v, t.Elem()) })
	case n.Kind == yaml.MappingNode && t.Kind() == reflect.Struct:
		info := strictInfoOf(t)
		w.mapping(n, func(key string, line int, v *yaml.Node) {
			switch ft, ok := info.fields[key]; {
			case ok:
				w.walk(v, ft)
			case info.rest != nil:
				w.walk(v, info.rest)
			default:
				w.report(fmt.Sprintf("line %d: field %s not found in type %s", line, key, t))
			}
		})
	}
}

// mapping calls f with each key of n and its value, the keys merged in
// with << after the ones written, each key once, as the decoder sets them,
// and the line the key is written on.
func (w *strictWalk) mapping(n *yaml.Node, f func(key string, line int, v *yaml.Node)) {
	done := make(map[string]bool, len(n.Content)/2)
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Value == "<<" && k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		line := k.Line
		for k.Kind == yaml.AliasNode && k.Alias != nil {
			k = k.Alias
		}
		if k.Kind != yaml.ScalarNode {
			continue
		}
		done[k.Value] = true
		f(k.Value, line, v)
	}
	var merge func(m *yaml.Node, depth int)
	merge = func(m *yaml.Node, depth int) {
		for m.Kind == yaml.AliasNode && m.Alias != nil {
			m = m.Alias
		}
		switch m.Kind {
		case yaml.MappingNode:
			var nested []*yaml.Node
			for i := 0; i+1 < len(m.Content); i += 2 {
				k := m.Content[i]
				if k.Kind == yaml.ScalarNode && k.Value == "<<" && k.ShortTag() == "!!merge" {
					nested = append(nested, m.Content[i+1])
					continue
				}
				if k.Kind != yaml.ScalarNode || done[k.Value] {
					continue
				}
				done[k.Value] = true
				f(k.Value, k.Line, m.Content[i+1])
			}
			if depth < maxIndexDepth {
				for _, c := range nested {
					merge(c, depth+1)
				}
			}
		case yaml.SequenceNode:
			for _, c := range m.Content {
				merge(c, depth+1)
			}
		}
	}
	for _, m := range merges {
		merge(m, 0)
	}
}

// strictInfo is what unknownKeys needs of a struct type: the type of the
// field each key sets, inline structs included, and the element type of
// its inline map, which takes every other key (nil when it has none).
type strictInfo struct {
	fields map[string]reflect.Type
	rest   reflect.Type
}

var strictInfos sync.Map // reflect.Type → *strictInfo

func strictInfoOf(t reflect.Type) *strictInfo {
	if v, ok := strictInfos.Load(t); ok {
		return v.(*strictInfo)
	}
	info := &strictInfo{fields: make(map[string]reflect.Type)}
	var add func(t reflect.Type)
	add = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			if f.PkgPath != "" && !f.Anonymous {
				continue
			}
			tag := f.Tag.Get("yaml")
			if tag == "" && !strings.Contains(string(f.Tag), ":") {
				tag = string(f.Tag)
			}
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if strings.Contains(","+opts+",", ",inline,") {
				ft := f.Type
				for ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				switch {
				case ft.Kind() == reflect.Map:
					info.rest = ft.Elem()
				case ft.Kind() == reflect.Struct && !reflect.PointerTo(ft).Implements(unmarshalerType):
					add(ft)
				}
				continue
			}
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			info.fields[name] = f.Type
		}
	}
	add(t)
	v, _ := strictInfos.LoadOrStore(t, info)
	return v.(*strictInfo)
}
