package chat

import (
	"net/url"
	"strings"

	"github.com/tocsin/tocsin/internal/notify"
)

// Slack posts to a Slack channel: url slack://hook:TOKEN@webhook, or a
// bot token (slack://xoxb:TOKEN@CHANNEL).
func Slack() notify.Kind { return kind[slackType]() }

type slackType struct{}

func (slackType) describe() service {
	return service{name: "slack", scheme: "slack", title: true, keys: []string{"webhook_url"}, display: "Slack",
		webhookShape: "https://hooks.slack.com/services/T…/B…/…"}
}

// Teams posts to a Microsoft Teams workflow webhook.
func Teams() notify.Kind { return kind[teamsType]() }

type teamsType struct{}

func (teamsType) describe() service {
	return service{name: "teams", scheme: "teams", title: true, keys: []string{"webhook_url"}, display: "a Microsoft Teams workflow",
		webhookShape: "https://….logic.azure.com/workflows/…"}
}

// Discord posts to a Discord webhook: url discord://TOKEN@WEBHOOK_ID.
func Discord() notify.Kind { return kind[discordType]() }

type discordType struct{}

func (discordType) describe() service {
	return service{name: "discord", scheme: "discord", title: true, keys: []string{"webhook_url"}, display: "Discord",
		webhookShape: "https://discord.com/api/webhooks/ID/TOKEN"}
}

// Mattermost posts to a Mattermost incoming webhook:
// mattermost://HOST/TOKEN[/CHANNEL].
func Mattermost() notify.Kind { return kind[mattermostType]() }

type mattermostType struct{}

func (mattermostType) describe() service {
	return service{name: "mattermost", scheme: "mattermost", title: true, keys: []string{"webhook_url", "insecure"}, display: "Mattermost",
		webhookShape: "https://HOST/hooks/TOKEN"}
}

// Telegram sends through a Telegram bot: token and chats, or url
// telegram://TOKEN@telegram?chats=CHAT.
func Telegram() notify.Kind { return kind[telegramType]() }

type telegramType struct{}

func (telegramType) describe() service {
	return service{name: "telegram", scheme: "telegram", title: true, keys: []string{"token", "chats"},
		build: func(b *Fields) string {
			q := url.Values{"chats": {strings.Join(b.Chats, ",")}}
			return "telegram://" + b.Token + "@telegram?" + q.Encode()
		}}
}

// Ntfy publishes to an ntfy topic: server (default ntfy.sh) and topic, or
// url ntfy://[USER:PASSWORD@]HOST/TOPIC.
func Ntfy() notify.Kind { return kind[ntfyType]() }

type ntfyType struct{}

func (ntfyType) describe() service {
	return service{name: "ntfy", scheme: "ntfy", title: true, keys: []string{"server", "topic", "insecure"},
		build: func(b *Fields) string {
			return "ntfy://" + b.Server + "/" + url.PathEscape(b.Topic)
		}}
}

// Gotify pushes to a Gotify server: server and token (the application
// token), or url gotify://HOST/TOKEN.
func Gotify() notify.Kind { return kind[gotifyType]() }

type gotifyType struct{}

func (gotifyType) describe() service {
	return service{name: "gotify", scheme: "gotify", title: true, keys: []string{"server", "token", "insecure"},
		build: func(b *Fields) string {
			return "gotify://" + strings.TrimSuffix(b.Server, "/") + "/" + b.Token
		}}
}

// Pushover pushes through Pushover: token (the application's) and user,
// or url pushover://shoutrrr:TOKEN@USER/.
func Pushover() notify.Kind { return kind[pushoverType]() }

type pushoverType struct{}

func (pushoverType) describe() service {
	return service{name: "pushover", scheme: "pushover", title: true, keys: []string{"token", "user"},
		build: func(b *Fields) string {
			return "pushover://shoutrrr:" + b.Token + "@" + b.User + "/"
		}}
}

// Matrix posts to Matrix rooms: url matrix://USER:PASSWORD@HOST/?rooms=!ROOM.
// Preparing it logs in, so only the URL's shape is checked when the
// configuration is read.
func Matrix() notify.Kind { return kind[matrixType]() }

type matrixType struct{}

func (matrixType) describe() service {
	return service{name: "matrix", scheme: "matrix", title: true, keys: []string{"insecure"}, netInit: true}
}

// Opsgenie creates Opsgenie alerts: url opsgenie://api.opsgenie.com/APIKEY.
func Opsgenie() notify.Kind { return kind[opsgenieType]() }

type opsgenieType struct{}

func (opsgenieType) describe() service {
	return service{name: "opsgenie", scheme: "opsgenie", title: true}
}

// GoogleChat posts to a Google Chat space webhook:
// googlechat://chat.googleapis.com/v1/spaces/…?key=…&token=….
func GoogleChat() notify.Kind { return kind[googlechatType]() }

type googlechatType struct{}

func (googlechatType) describe() service {
	return service{name: "googlechat", scheme: "googlechat"}
}

// RocketChat posts to a Rocket.Chat incoming webhook:
// rocketchat://HOST/TOKEN_A/TOKEN_B[/CHANNEL].
func RocketChat() notify.Kind { return kind[rocketchatType]() }

type rocketchatType struct{}

func (rocketchatType) describe() service {
	return service{name: "rocketchat", scheme: "rocketchat"}
}

// Zulip posts to a Zulip stream: url zulip://BOT_MAIL:BOT_KEY@HOST/?stream=S.
func Zulip() notify.Kind { return kind[zulipType]() }

type zulipType struct{}

func (zulipType) describe() service {
	return service{name: "zulip", scheme: "zulip", title: true}
}
