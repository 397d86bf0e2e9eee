package inbox

import (
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/notify"
)

// Kind is the inbox channel type; it has no block.
func Kind() notify.Kind {
	return notify.Kind{
		Name:  "inbox",
		Build: func(*config.Channel, *config.Config) (notify.Notifier, error) { return New(), nil },
	}
}
