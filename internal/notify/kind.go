package notify

import (
	"fmt"

	"github.com/tocsin/tocsin/internal/config"
)

// Kind is one channel type as the rest of Tocsin sees it: its name, the
// block it declares in the configuration and how its notifier is built.
// Each channel package exports one and internal/notify/channels lists them
// all; nothing else switches on the type.
type Kind struct {
	// Name is the channel type: the value of `type:` and the key of the
	// channel's block.
	Name string
	// Block returns a new empty configuration block of the kind. It is nil
	// for the types whose block config declares itself (webhook, email)
	// and for those without one (inbox).
	Block func() config.ChannelBlock
	// Build makes the notifier of a channel of this kind. ch has passed
	// config validation; cfg is the whole configuration it came from.
	Build func(ch *config.Channel, cfg *config.Config) (Notifier, error)
	// Digest says whether the channels of this kind send monitor events
	// that come together as one digest when their `digest:` is not set:
	// true for email and chat, where a storm of single messages buries
	// the reader.
	Digest bool
}

// Kinds is the table of channel kinds by name. It is read-only once built
// and is the config.ChannelKinds the loader decodes channel blocks with.
type Kinds struct {
	byName map[string]Kind
	names  []string
}

// NewKinds builds the table from kinds listed once each.
func NewKinds(kinds ...Kind) *Kinds {
	t := &Kinds{byName: make(map[string]Kind, len(kinds))}
	for _, k := range kinds {
		if _, dup := t.byName[k.Name]; dup {
			panic("notify: channel kind " + k.Name + " listed twice")
		}
		t.byName[k.Name] = k
		t.names = append(t.names, k.Name)
	}
	return t
}

// Names lists every channel type, in the order the kinds were listed.
func (t *Kinds) Names() []string { return append([]string(nil), t.names...) }

// ChannelNames lists the types that declare their own block, for config.
func (t *Kinds) ChannelNames() []string {
	var out []string
	for _, n := range t.names {
		if t.byName[n].Block != nil {
			out = append(out, n)
		}
	}
	return out
}

// NewChannelBlock returns a new empty block of the type named name.
func (t *Kinds) NewChannelBlock(name string) (config.ChannelBlock, bool) {
	k, ok := t.byName[name]
	if !ok || k.Block == nil {
		return nil, false
	}
	return k.Block(), true
}

var _ config.ChannelKinds = (*Kinds)(nil)

// Digest returns how ch coalesces monitor events: its `digest:` block,
// else its kind's default, with DefaultDigestWindow and DefaultDigestMax
// where the block leaves them out. A zero Window sends each event alone.
func (t *Kinds) Digest(ch *config.Channel) Digest {
	c := ch.Digest
	if c == nil {
		if !t.byName[ch.Type].Digest {
			return Digest{}
		}
		c = &config.ChannelDigest{}
	}
	if c.Off {
		return Digest{}
	}
	d := Digest{Window: c.Window.D(), Max: c.Max}
	if d.Window <= 0 {
		d.Window = DefaultDigestWindow
	}
	if d.Max <= 0 {
		d.Max = DefaultDigestMax
	}
	return d
}

// Build makes the notifier of ch.
func (t *Kinds) Build(ch *config.Channel, cfg *config.Config) (Notifier, error) {
	k, ok := t.byName[ch.Type]
	if !ok || k.Build == nil {
		return nil, fmt.Errorf("channel %q: unknown channel type %q", ch.ID, ch.Type)
	}
	return k.Build(ch, cfg)
}
