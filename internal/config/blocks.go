package config

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"

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
// Each block is decoded from its node as strictly as the types config
// declares itself: unknown keys, wrong types and repeated keys inside a
// block are reported in the same words, wherever the block is written (an
// anchor outside the monitors, too).
func (l *loader) decodeBlocks(cfg *Config) (ok bool) {
	l.blockSet = make(map[*Monitor]map[string]Block)
	raws := make([]*map[string]yaml.Node, len(cfg.Monitors))
	for i := range cfg.Monitors {
		raws[i] = &cfg.Monitors[i].Raw
	}
	return l.decodeKindBlocks("monitors", "config.Monitor", l.kinds.Names(),
		func(name string) (any, bool) { return l.kinds.NewBlock(name) },
		raws, func(i int, name string, v any) {
			m := &cfg.Monitors[i]
			if l.blockSet[m] == nil {
				l.blockSet[m] = make(map[string]Block, 1)
			}
			l.blockSet[m][name] = v.(Block)
		})
}

// maxAliasedBlockNodes bounds the nodes all the blocks of a file may reach
// through aliases: each block is decoded on its own, so the decoder's own
// bound, which is per decode, does not see a small alias repeated in many
// monitors. Sharing one short block among every monitor of a large file
// stays well within it.
const maxAliasedBlockNodes = 4_000_000

// decodeKindBlocks decodes the blocks of one list of the document
// (section: "monitors" or "channels") whose items hold, in Raw, the keys
// their first pass did not know: each key that names one of the kinds'
// blocks is decoded strictly into a new block from newBlock and handed to
// set with the item's index; every other key is reported as unknown in
// typeName. The Raw maps are emptied. It returns false when the decoder
// stopped.
func (l *loader) decodeKindBlocks(section, typeName string, kinds []string, newBlock func(string) (any, bool),
	raws []*map[string]yaml.Node, set func(i int, name string, block any)) (ok bool) {
	known := make(map[string]bool, len(kinds))
	for _, name := range kinds {
		if _, ok := newBlock(name); ok {
			known[name] = true
		}
	}
	sizes := nodeSizes{expanded: make(map[*yaml.Node]int), aliases: make(map[*yaml.Node]int)}
	var keys []string
	for i, raw := range raws {
		keys = keys[:0]
		for k := range *raw {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, key := range keys {
			v := (*raw)[key]
			if !known[key] {
				// The decoder may drop an item it could not decode, so the
				// key is found from where its value is written.
				line := 0
				for _, en := range l.ix.entries {
					if en.key != nil && en.key.Value == key && en.value.Line == v.Line && en.value.Column == v.Column {
						line = en.key.Line
						break
					}
				}
				l.typeError(fmt.Sprintf("line %d: field %s not found in type %s", line, key, typeName))
				continue
			}
			target := &v
			for target.Kind == yaml.AliasNode && target.Alias != nil {
				target = target.Alias
			}
			if target.Kind == yaml.ScalarNode && target.ShortTag() == "!!null" {
				continue
			}
			if l.aliases {
				if l.aliased += sizes.aliased(&v); l.aliased > maxAliasedBlockNodes {
					l.errs, l.decodeBad = nil, nil
					l.yamlError(errors.New("yaml: document contains excessive aliasing"))
					return false
				}
			}
			b, _ := newBlock(key)
			if !l.decodeNode(&v, b) {
				return false
			}
			set(i, key, b)
			if l.dollars {
				l.expandStrings(reflect.ValueOf(b), section+"["+strconv.Itoa(i)+"]."+key)
			}
		}
		*raw = nil
	}
	return true
}

// nodeSizes counts what nodes stand for once their aliases are followed,
// keeping what was counted, so that every node is counted once however
// often it is reached.
type nodeSizes struct {
	expanded map[*yaml.Node]int
	aliases  map[*yaml.Node]int
}

// size is how many nodes n stands for, aliases followed.
func (ns nodeSizes) size(n *yaml.Node) int {
	if s, ok := ns.expanded[n]; ok {
		return s
	}
	ns.expanded[n] = 1 // an alias cycle counts once
	s := 1
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		s += ns.size(n.Alias)
	}
	for _, c := range n.Content {
		if s += ns.size(c); s > maxAliasedBlockNodes {
			break
		}
	}
	ns.expanded[n] = s
	return s
}

// aliased is how many of the nodes n stands for are reached through an
// alias: what decoding it reads beyond what is written in its place.
func (ns nodeSizes) aliased(n *yaml.Node) int {
	if s, ok := ns.aliases[n]; ok {
		return s
	}
	ns.aliases[n] = 0
	s := 0
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		s = ns.size(n.Alias)
	}
	for _, c := range n.Content {
		if s += ns.aliased(c); s > maxAliasedBlockNodes {
			break
		}
	}
	ns.aliases[n] = s
	return s
}
