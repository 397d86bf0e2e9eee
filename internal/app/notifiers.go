package app

import (
	"log/slog"
	"net/http"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/notify/email"
	"github.com/tocsin/tocsin/internal/notify/inbox"
	"github.com/tocsin/tocsin/internal/notify/webhook"
)

// buildNotifiers builds one notifier per configured channel.
func buildNotifiers(cfg *config.Config, log *slog.Logger) map[string]notify.Notifier {
	out := make(map[string]notify.Notifier, len(cfg.Channels))
	for i := range cfg.Channels {
		ch := &cfg.Channels[i]
		switch ch.Type {
		case "webhook":
			out[ch.ID] = webhook.New(ch.Webhook, &http.Client{Timeout: ch.Webhook.Timeout.D()})
		case "inbox":
			out[ch.ID] = inbox.New()
		case "email":
			out[ch.ID] = email.New(ch.Email, ch.Email.Recipients(cfg)).WithLocation(ch.Email.Location(cfg))
		default:
			log.Error("channel has an unknown type and will not be used", "channel", ch.ID, "type", ch.Type)
		}
	}
	return out
}
