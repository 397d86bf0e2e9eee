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
	l.blockSet = make(map[*Monitor]map[string]Block)
	raws := make([]*map[string]yaml.Node, len(cfg.Monitors))
	for i := range cfg.Monitors {
		raws[i] = &cfg.Monitors[i].Raw
	}
	return l.decodeKindBlocks(data, "monitors", "config.Monitor", l.kinds.Names(),
		func(name string) (any, bool) { return l.kinds.NewBlock(name) },
		raws, func(i int, name string, v any) {
			m := &cfg.Monitors[i]
			if l.blockSet[m] == nil {
				l.blockSet[m] = make(map[string]Block)
			}
			l.blockSet[m][name] = v.(Block)
		})
}

// decodeKindBlocks is the second pass for one list of the document
// (section: "monitors" or "channels") whose items hold, in Raw, the keys
// their first pass did not know: each key that names one of the kinds'
// blocks is decoded strictly into a new block from newBlock and handed to
// set with the item's index; every other key is reported as unknown in
// typeName. The Raw maps are emptied. It returns false when the decoder
// stopped.
func (l *loader) decodeKindBlocks(data []byte, section, typeName string, kinds []string, newBlock func(string) (any, bool),
	raws []*map[string]yaml.Node, set func(i int, name string, block any)) (ok bool) {
	var fields []reflect.StructField
	var names []string
	for _, name := range kinds {
		b, ok := newBlock(name)
		if !ok {
			continue
		}
		fields = append(fields, reflect.StructField{
			Name: "B" + strconv.Itoa(len(fields)), Type: reflect.TypeOf(b), Tag: reflect.StructTag(`yaml:"` + name + `"`),
		})
		names = append(names, name)
	}
	need := false
	for _, raw := range raws {
		keys := make([]string, 0, len(*raw))
		for k := range *raw {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, key := range keys {
			if slices.Contains(names, key) {
				need = true
				continue
			}
			// The decoder may drop an item it could not decode, so the
			// key is found from where its value is written.
			line := 0
			v := (*raw)[key]
			for _, en := range l.ix.entries {
				if en.key != nil && en.key.Value == key && en.value.Line == v.Line && en.value.Column == v.Column {
					line = en.key.Line
					break
				}
			}
			l.typeError(fmt.Sprintf("line %d: field %s not found in type %s", line, key, typeName))
		}
		*raw = nil
	}
	if !need {
		return true
	}
	rest := reflect.StructField{Name: "Rest", Type: reflect.TypeFor[map[string]yaml.Node](), Tag: `yaml:",inline"`}
	item := reflect.StructOf(append(fields, rest))
	doc := reflect.New(reflect.StructOf([]reflect.StructField{
		{Name: "List", Type: reflect.SliceOf(item), Tag: reflect.StructTag(`yaml:"` + section + `"`)}, rest,
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
	for i := 0; i < list.Len() && i < len(raws); i++ {
		for j, name := range names {
			v := list.Index(i).Field(j)
			if v.IsNil() {
				continue
			}
			set(i, name, v.Interface())
			l.expandStrings(v, section+"["+strconv.Itoa(i)+"]."+name)
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
