package config

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// ChannelDigest is a channel's `digest:`: whether monitor events that come
// together are sent as one digest, how long the first waits for others
// and how many a digest names. `digest: off` (or false) turns it off,
// `digest: on` (or true) turns it on with the defaults, and a block sets
// window and max.
type ChannelDigest struct {
	// Off is set by `digest: off`.
	Off    bool     `yaml:"-"`
	Window Duration `yaml:"window"` // default 30s
	Max    int      `yaml:"max"`    // default 50
}

// UnmarshalYAML reads on, off, true, false or a block.
func (d *ChannelDigest) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		switch strings.ToLower(strings.TrimSpace(n.Value)) {
		case "off", "false", "no":
			*d = ChannelDigest{Off: true}
			return nil
		case "on", "true", "yes":
			*d = ChannelDigest{}
			return nil
		}
		return positioned(n, "digest: expected on, off or a block with window and max, found "+describeNode(n))
	}
	type plain ChannelDigest
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*d = ChannelDigest(p)
	return nil
}
