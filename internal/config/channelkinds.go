package config

import (
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// This file holds what the loader knows of the type-specific blocks of a
// channel, which the channel kinds declare (internal/notify/channels lists
// them), in the way blocks.go does for monitors. The webhook and email
// blocks are config's own (Channel.Webhook, Channel.Email): pages and the
// catalog read them; every other channel type is a kind.

// ChannelBlock is the type-specific block of a channel (`slack:`,
// `pagerduty:`, …) as its channel kind declares it. The loader decodes it
// strictly from the key named after the type, expands ${NAME} in its
// strings, reads its secrets when it is a ChannelFileBlock, then calls
// Defaults and, when it is the block of the channel's type, Validate.
type ChannelBlock interface {
	// Defaults fills in what the block leaves out; written reports
	// whether a key is in the file, as a YAML path below the block.
	Defaults(written func(key string) bool)
	// Validate reports the problems of the block, keyed by the YAML path
	// below the block.
	Validate() []FieldError
}

// ChannelFileBlock is a ChannelBlock with secrets read from *_file keys or
// paths relative to the configuration file's folder.
type ChannelFileBlock interface {
	ChannelBlock
	// Files reads the block's secrets and anchors its paths with f. It
	// runs before Defaults.
	Files(f *Files)
}

// ChannelKinds is the table of channel types the loader knows besides the
// built-in webhook, email and inbox. The caller hands it to Load and Parse
// inside the Kinds table (WithChannels); config imports no channel.
type ChannelKinds interface {
	// ChannelNames lists the channel types in the order messages name
	// them.
	ChannelNames() []string
	// NewChannelBlock returns a new empty block of the channel type named
	// name, a pointer to a struct whose yaml tags are the block's keys. ok
	// is false for an unknown type.
	NewChannelBlock(name string) (b ChannelBlock, ok bool)
}

// WithChannels returns a table of monitor types that carries the channel
// types of c too, for Load and Parse.
func WithChannels(k Kinds, c ChannelKinds) Kinds {
	if k == nil {
		k = noKinds{}
	}
	return withChannels{Kinds: k, ChannelKinds: c}
}

type withChannels struct {
	Kinds
	ChannelKinds
}

// noChannelKinds is the channel table of a loader given none.
type noChannelKinds struct{}

func (noChannelKinds) ChannelNames() []string                      { return nil }
func (noChannelKinds) NewChannelBlock(string) (ChannelBlock, bool) { return nil, false }

// channelKindsOf is the channel table carried by kinds, or an empty one.
func channelKindsOf(kinds Kinds) ChannelKinds {
	if c, ok := kinds.(ChannelKinds); ok && c != nil {
		return c
	}
	return noChannelKinds{}
}

// channelTypes lists every channel type the loader knows, for messages.
func (l *loader) channelTypes() []string {
	return append(slices.Clone(ChannelTypes), l.channelKinds.ChannelNames()...)
}

// decodeChannelBlocks decodes the blocks the channel kinds declare from the
// channels' Raw keys and reports the keys nothing knows, as decodeBlocks
// does for monitors. It returns false when the decoder stopped.
func (l *loader) decodeChannelBlocks(cfg *Config) (ok bool) {
	l.chanBlockSet = make(map[*Channel]map[string]ChannelBlock)
	raws := make([]*map[string]yaml.Node, len(cfg.Channels))
	for i := range cfg.Channels {
		raws[i] = &cfg.Channels[i].Raw
	}
	return l.decodeKindBlocks("channels", "config.Channel", l.channelKinds.ChannelNames(),
		func(name string) (any, bool) { return l.channelKinds.NewChannelBlock(name) },
		raws, func(i int, name string, v any) {
			ch := &cfg.Channels[i]
			if l.chanBlockSet[ch] == nil {
				l.chanBlockSet[ch] = make(map[string]ChannelBlock)
			}
			l.chanBlockSet[ch][name] = v.(ChannelBlock)
		})
}

// channelBlocks lists the kind blocks the file sets on ch, in the order of
// the channel table.
func (l *loader) channelBlocks(ch *Channel) []string {
	var out []string
	for _, name := range l.channelKinds.ChannelNames() {
		if l.chanBlockSet[ch][name] != nil {
			out = append(out, name)
		}
	}
	return out
}

// readChannelSecrets reads the secrets of the kind blocks of every channel.
func (l *loader) readChannelSecrets(cfg *Config) {
	for i := range cfg.Channels {
		ch := &cfg.Channels[i]
		for _, name := range l.channelBlocks(ch) {
			if fb, ok := l.chanBlockSet[ch][name].(ChannelFileBlock); ok {
				fb.Files(&Files{l: l, path: "channels[" + strconv.Itoa(i) + "]." + name})
			}
		}
	}
}

// channelDefaults infers a channel's type from its one block and fills in
// the defaults of its kind blocks.
func (l *loader) channelDefaults(ch *Channel, p string) {
	kb := l.channelBlocks(ch)
	if ch.Type == "" && len(kb) == 1 && ch.Webhook == nil && ch.Email == nil {
		ch.Type = kb[0]
	}
	ch.Block = l.chanBlockSet[ch][ch.Type]
	for _, name := range kb {
		l.chanBlockSet[ch][name].Defaults(func(key string) bool { return l.ix.has(p + "." + name + "." + key) })
	}
}

// channelBlockSet says which blocks ch sets, built-in and kind, for
// blockMatch, and validates the block of its type.
func (l *loader) validateChannelBlocks(ch *Channel, path string) map[string]bool {
	set := map[string]bool{"webhook": ch.Webhook != nil, "email": ch.Email != nil}
	for _, name := range l.channelKinds.ChannelNames() {
		set[name] = false
	}
	for _, name := range l.channelBlocks(ch) {
		set[name] = true
		if name != ch.Type {
			continue
		}
		for _, fe := range l.chanBlockSet[ch][name].Validate() {
			p := path + "." + name
			if strings.HasPrefix(fe.Field, "[") {
				p += fe.Field
			} else if fe.Field != "" {
				p += "." + fe.Field
			}
			l.errAt(p, "%s", fe.Message)
		}
	}
	return set
}
