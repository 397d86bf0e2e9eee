package config

import "fmt"

// StatusSubscriptions lets the public subscribe to a status page's
// incident updates (docs/status-pages.md#subscriptions): by email, with a
// confirmation link (double opt-in), and by webhook, with a challenge.
type StatusSubscriptions struct {
	// EmailChannel is the id of a channel of type email whose SMTP
	// settings and from address send the confirmation and update mails,
	// each to the subscriber alone. Empty: no email subscriptions.
	EmailChannel string `yaml:"email_channel"`
	// Webhooks offers subscriptions by webhook URL.
	Webhooks bool `yaml:"webhooks"`
	// AllowPrivateWebhooks lets subscribers' webhooks point at loopback,
	// private and link-local addresses. Off by default: a public form
	// must not make the server post into its own network.
	AllowPrivateWebhooks bool `yaml:"allow_private_webhooks"`
}

// Offered reports whether the page offers any subscription.
func (s *StatusSubscriptions) Offered() bool {
	return s != nil && (s.EmailChannel != "" || s.Webhooks)
}

// validateStatusSubscriptions checks that a page's email_channel names a
// channel of type email.
func (l *loader) validateStatusSubscriptions(cfg *Config, s *StatusSubscriptions, path string) {
	if !s.Offered() {
		return
	}
	if s.EmailChannel == "" {
		return
	}
	for i := range cfg.Channels {
		if ch := &cfg.Channels[i]; ch.ID == s.EmailChannel {
			if ch.Type != "email" {
				l.errAt(path+".email_channel", "channel %q is of type %s, not email", s.EmailChannel, ch.Type)
			}
			return
		}
	}
	l.errAt(path+".email_channel", "undefined channel %q", s.EmailChannel)
}

// subscriptionsPath is where a page's subscriptions are in the file.
func subscriptionsPath(page int) string { return fmt.Sprintf("status_pages[%d].subscriptions", page) }
