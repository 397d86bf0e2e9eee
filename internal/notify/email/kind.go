package email

import (
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/notify"
)

// Kind is the email channel type. Its block is config's own
// (Channel.Email), which config validates; people and teams it names are
// resolved to addresses from cfg.
func Kind() notify.Kind {
	return notify.Kind{
		Name:   "email",
		Digest: true,
		Build: func(ch *config.Channel, cfg *config.Config) (notify.Notifier, error) {
			return New(ch.Email, ch.Email.Recipients(cfg)).WithLocation(ch.Email.Location(cfg)), nil
		},
	}
}
