package webhook

import (
	"net/http"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/notify"
)

// MaxConnsPerHost is how many keep-alive connections the webhook channels
// keep open to one receiver: as many as the dispatcher sends to one
// channel at once, so a storm reuses connections instead of opening one
// per notification.
const MaxConnsPerHost = notify.DefaultPerChannel

// Kind is the webhook channel type. Its block is config's own
// (Channel.Webhook), which config validates. The channels built from one
// Kind share one transport: one pool of keep-alive connections per
// receiver.
func Kind() notify.Kind {
	transport := NewTransport()
	return notify.Kind{
		Name: "webhook",
		Build: func(ch *config.Channel, _ *config.Config) (notify.Notifier, error) {
			return New(ch.Webhook, &http.Client{Timeout: ch.Webhook.Timeout.D(), Transport: transport}), nil
		},
	}
}

// NewTransport returns the transport of webhook channels: the standard
// one (proxy from the environment, HTTP/2 where offered) keeping up to
// MaxConnsPerHost idle connections to each receiver.
func NewTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 0
	t.MaxIdleConnsPerHost = MaxConnsPerHost
	t.IdleConnTimeout = 90 * time.Second
	return t
}
