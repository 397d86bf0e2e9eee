package config

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// noKinds is the table of a loader given none: it knows no type.
type noKinds struct{}

func (noKinds) Names() []string               { return nil }
func (noKinds) NewBlock(string) (Block, bool) { return nil, false }

// decodeBlocks decodes the blocks the kinds declare from the monitors' Raw
// keys and reports the keys nothing knows, as the strict decode reports
// any other unknown key. It returns false when the decoder stopped.
//
// The blocks are decoded by a second strict pass over the whole document
// into a type built from the kinds table: a list of monitors, each with one
// field per declared block and the rest caught by an inline map. yaml.v3
// then reports unknown keys, wrong types and repeated keys inside a block
// exactly as it does for the types config declares itself; only the
// problems inside a declared block are kept, the first pass reported the
// others.
func (l *loader) decodeBlocks(cfg *Config, data []byte) (ok bool) {
	var fields []reflect.StructField
	var names []string
	for _, name := range l.kinds.Names() {
		b, ok := l.kinds.NewBlock(name)
		if !ok {
			continue
		}
		fields = append(fields, reflect.StructField{
			Name: "B" + strconv.Itoa(len(fields)), Type: reflect.TypeOf(b), Tag: reflect.StructTag(`yaml:"` + name + `"`),
		})
		names = append(names, name)
	}
	l.blockSet = make(map[*Monitor]map[string]Block)
	need := false
	for i := range cfg.Monitors {
		m := &cfg.Monitors[i]
		keys := make([]string, 0, len(m.Raw))
		for k := range m.Raw {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, key := range keys {
			if slices.Contains(names, key) {
				need = true
				continue
			}
			// The decoder may drop a monitor it could not decode, so the
			// key is found from where its value is written.
			line := 0
			v := m.Raw[key]
			for _, en := range l.ix.entries {
				if en.key != nil && en.key.Value == key && en.value.Line == v.Line && en.value.Column == v.Column {
					line = en.key.Line
					break
				}
			}
			l.typeError(fmt.Sprintf("line %d: field %s not found in type config.Monitor", line, key))
		}
		m.Raw = nil
	}
	if !need {
		return true
	}
	rest := reflect.StructField{Name: "Rest", Type: reflect.TypeFor[map[string]yaml.Node](), Tag: `yaml:",inline"`}
	monitor := reflect.StructOf(append(fields, rest))
	doc := reflect.New(reflect.StructOf([]reflect.StructField{
		{Name: "Monitors", Type: reflect.SliceOf(monitor), Tag: `yaml:"monitors"`}, rest,
	}))
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(doc.Interface()); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			// Excessive aliasing inside a block: the first pass kept the
			// block undecoded, so this is where the decoder stops, and as
			// there, its error is the only one.
			l.errs, l.decodeBad = nil, nil
			l.yamlError(err)
			return false
		}
		for _, msg := range te.Errors {
			l.blockError(msg)
		}
	}
	list := doc.Elem().Field(0)
	for i := 0; i < list.Len() && i < len(cfg.Monitors); i++ {
		m := &cfg.Monitors[i]
		for j, name := range names {
			v := list.Index(i).Field(j)
			if v.IsNil() {
				continue
			}
			if l.blockSet[m] == nil {
				l.blockSet[m] = make(map[string]Block)
			}
			l.blockSet[m][name] = v.Interface().(Block)
			l.expandStrings(v, "monitors["+strconv.Itoa(i)+"]."+name)
		}
	}
	return true
}

// blockError reports one problem of the second pass. The ones that name
// the decode types built here ("struct { B0 …") are about the shape of the
// document or a monitor, which the first pass reported on config's own
// types; the rest lie in a declared block, wherever it is written (an
// anchor outside the monitors, too).
func (l *loader) blockError(msg string) {
	if strings.Contains(msg, "struct {") {
		return
	}
	l.typeError(msg)
}
