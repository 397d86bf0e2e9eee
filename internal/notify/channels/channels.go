// Package channels lists every channel kind. It is the one place that
// imports them all: adding a channel type is a package under
// internal/notify and one line here.
package channels

import (
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/notify/chat"
	"github.com/tocsin/tocsin/internal/notify/email"
	"github.com/tocsin/tocsin/internal/notify/inbox"
	"github.com/tocsin/tocsin/internal/notify/pagerduty"
	"github.com/tocsin/tocsin/internal/notify/twilio"
	"github.com/tocsin/tocsin/internal/notify/webhook"
)

// All returns the table of every channel kind, in the order configuration
// messages name them.
func All() *notify.Kinds {
	return notify.NewKinds(
		webhook.Kind(),
		email.Kind(),
		inbox.Kind(),
		chat.Slack(),
		chat.Teams(),
		chat.Discord(),
		chat.Mattermost(),
		chat.Telegram(),
		chat.Ntfy(),
		chat.Gotify(),
		chat.Pushover(),
		chat.Matrix(),
		chat.Opsgenie(),
		chat.GoogleChat(),
		chat.RocketChat(),
		chat.Zulip(),
		pagerduty.Kind(),
		twilio.Kind(),
	)
}

// Config returns kinds, the table of monitor types, carrying the channel
// types too: the table config.Load and config.Parse decode the file with.
func Config(kinds config.Kinds) config.Kinds { return config.WithChannels(kinds, All()) }
