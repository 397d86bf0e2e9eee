package app

import (
	"log/slog"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/notify/channels"
	"github.com/tocsin/tocsin/internal/subscribe"
)

// buildNotifiers builds one notifier per configured channel from its kind.
func buildNotifiers(cfg *config.Config, log *slog.Logger) map[string]notify.Notifier {
	kinds := channels.All()
	out := make(map[string]notify.Notifier, len(cfg.Channels))
	for i := range cfg.Channels {
		ch := &cfg.Channels[i]
		n, err := kinds.Build(ch, cfg)
		if err != nil {
			log.Error("channel cannot be used", "channel", ch.ID, "type", ch.Type, "error", err)
			continue
		}
		out[ch.ID] = n
	}
	out[subscribe.WebhookChannel] = subscribe.Notifier{Poster: subscribe.NewPoster(func() *config.Config { return cfg })}
	return out
}

// buildDigests returns how each configured channel coalesces monitor
// events; channels that send each event alone are left out.
func buildDigests(cfg *config.Config) map[string]notify.Digest {
	kinds := channels.All()
	out := map[string]notify.Digest{}
	for i := range cfg.Channels {
		if d := kinds.Digest(&cfg.Channels[i]); d.Window > 0 {
			out[cfg.Channels[i].ID] = d
		}
	}
	return out
}
