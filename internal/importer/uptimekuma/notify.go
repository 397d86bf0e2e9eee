package uptimekuma

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/tocsin/tocsin/internal/importer"
)

// notification maps one notification to a channel, where Tocsin has a
// channel of its kind.
func (m *mapper) notification(n Row) {
	it := fmt.Sprintf("notification %q (id %d)", n.Str("name"), n.Int("id"))
	cm, _ := n["config"].(map[string]any)
	if cm == nil {
		if c, ok := n["config"].(Row); ok {
			cm = c
		}
	}
	c := Row(cm)
	if c == nil {
		m.notes.Add(it, "not mapped: its settings are not a JSON object")
		return
	}
	if !n.Bool(true, "active") {
		m.notes.Add(it, "not mapped: it is turned off")
		return
	}
	typ := c.Str("type")
	lit := func(keys ...string) string { return importer.Literal(strings.TrimSpace(c.Str(keys...))) }
	need := func(keys ...string) bool {
		for _, k := range keys {
			if c.Str(k) == "" {
				m.notes.Add(it, "not mapped: %s is empty", k)
				return false
			}
		}
		return true
	}
	var ch importer.Channel
	switch strings.ToLower(typ) {
	case "webhook":
		if !need("webhookURL") {
			return
		}
		blk := &importer.WebhookBlock{URL: lit("webhookURL")}
		if h := c.Str("webhookAdditionalHeaders"); strings.TrimSpace(h) != "" {
			var headers map[string]any
			if err := json.Unmarshal([]byte(h), &headers); err == nil {
				blk.Headers = map[string]string{}
				for k, v := range headers {
					blk.Headers[k] = importer.Literal(fmt.Sprint(v))
				}
			} else {
				m.notes.Add(it, "additional headers not mapped: they are not a JSON object")
			}
		}
		if ct := c.Str("webhookContentType"); ct != "" && ct != "json" {
			m.notes.Add(it, "content type %q not mapped: Tocsin's webhook posts its own JSON (docs/notifications.md)", ct)
		}
		ch = importer.Channel{Type: "webhook", Block: blk}
	case "smtp":
		if !need("smtpHost", "smtpFrom", "smtpTo") {
			return
		}
		port, _ := strconv.Atoi(c.Str("smtpPort"))
		blk := &importer.EmailBlock{Host: lit("smtpHost"), Port: port, Username: lit("smtpUsername"), Password: lit("smtpPassword"),
			From: lit("smtpFrom"), InsecureSkipVerify: c.Bool(false, "smtpIgnoreTLSError")}
		if c.Bool(false, "smtpSecure") {
			blk.TLS = "tls"
		}
		for _, k := range []string{"smtpTo", "smtpCC", "smtpBCC"} {
			for _, to := range strings.Split(c.Str(k), ",") {
				if to = strings.TrimSpace(to); to != "" {
					blk.To = append(blk.To, importer.Literal(to))
				}
			}
		}
		if c.Str("smtpCC") != "" || c.Str("smtpBCC") != "" {
			m.notes.Add(it, "Cc and Bcc recipients are plain recipients in Tocsin")
		}
		ch = importer.Channel{Type: "email", Block: blk}
	case "slack", "discord", "mattermost", "teams", "rocket.chat":
		keys := map[string]string{"slack": "slackwebhookURL", "discord": "discordWebhookUrl", "mattermost": "mattermostWebhookUrl", "teams": "webhookUrl", "rocket.chat": "rocketwebhookURL"}
		k := keys[strings.ToLower(typ)]
		if !need(k) {
			return
		}
		t := strings.ToLower(typ)
		if t == "rocket.chat" {
			u, err := url.Parse(c.Str(k))
			if err != nil || u.Host == "" {
				m.notes.Add(it, "not mapped: %s is not a URL", k)
				return
			}
			ch = importer.Channel{Type: "rocketchat", Block: &importer.ChatBlock{URL: importer.Literal("rocketchat://" + u.Host + u.Path)}}
			break
		}
		ch = importer.Channel{Type: t, Block: &importer.ChatBlock{WebhookURL: lit(k)}}
	case "telegram":
		if !need("telegramBotToken", "telegramChatID") {
			return
		}
		ch = importer.Channel{Type: "telegram", Block: &importer.ChatBlock{Token: lit("telegramBotToken"), Chats: []string{lit("telegramChatID")}}}
	case "ntfy":
		if !need("ntfytopic") {
			return
		}
		blk := &importer.ChatBlock{Topic: lit("ntfytopic")}
		if raw := c.Str("ntfyserverurl"); raw != "" {
			u, err := url.Parse(raw)
			if err != nil || u.Host == "" {
				m.notes.Add(it, "not mapped: ntfyserverurl %q is not a URL", raw)
				return
			}
			blk.Server, blk.Insecure = u.Host, u.Scheme == "http"
		}
		if am := c.Str("ntfyAuthenticationMethod"); am != "" && am != "none" || c.Str("ntfyusername") != "" {
			m.notes.Add(it, "authentication not mapped: write it into the channel's url (ntfy://USER:PASSWORD@HOST/TOPIC) by hand")
		}
		ch = importer.Channel{Type: "ntfy", Block: blk}
	case "gotify":
		if !need("gotifyserverurl", "gotifyapplicationToken") {
			return
		}
		u, err := url.Parse(c.Str("gotifyserverurl"))
		if err != nil || u.Host == "" {
			m.notes.Add(it, "not mapped: gotifyserverurl is not a URL")
			return
		}
		ch = importer.Channel{Type: "gotify", Block: &importer.ChatBlock{Server: u.Host, Token: lit("gotifyapplicationToken"), Insecure: u.Scheme == "http"}}
	case "pushover":
		if !need("pushoverapptoken", "pushoveruserkey") {
			return
		}
		ch = importer.Channel{Type: "pushover", Block: &importer.ChatBlock{Token: lit("pushoverapptoken"), User: lit("pushoveruserkey")}}
	case "pagerduty":
		if !need("pagerdutyIntegrationKey") {
			return
		}
		blk := &importer.PagerDutyBlock{RoutingKey: lit("pagerdutyIntegrationKey")}
		if u := c.Str("pagerdutyIntegrationUrl"); u != "" && u != "https://events.pagerduty.com/v2/enqueue" {
			blk.URL = importer.Literal(u)
		}
		ch = importer.Channel{Type: "pagerduty", Block: blk}
	case "googlechat":
		if !need("googleChatWebhookURL") {
			return
		}
		u := c.Str("googleChatWebhookURL")
		ch = importer.Channel{Type: "googlechat", Block: &importer.ChatBlock{URL: importer.Literal("googlechat://" + strings.TrimPrefix(u, "https://"))}}
	default:
		m.notes.Add(it, "not mapped: Tocsin has no %q channel", typ)
		return
	}
	ch.ID = m.chanIDs.Make(n.Str("name"), typ)
	ch.Comment = fmt.Sprintf("Uptime Kuma %s notification %q (id %d)", typ, n.Str("name"), n.Int("id"))
	m.channels[n.Str("id")] = ch.ID
	m.f.Channels = append(m.f.Channels, ch)
}
