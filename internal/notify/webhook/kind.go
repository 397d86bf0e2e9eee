package webhook

import (
	"net/http"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/notify"
)

// Kind is the webhook channel type. Its block is config's own
// (Channel.Webhook), which config validates.
func Kind() notify.Kind {
	return notify.Kind{
		Name: "webhook",
		Build: func(ch *config.Channel, _ *config.Config) (notify.Notifier, error) {
			return New(ch.Webhook, &http.Client{Timeout: ch.Webhook.Timeout.D()}), nil
		},
	}
}
