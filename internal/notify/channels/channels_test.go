package channels_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/notify/channels"
	"github.com/tocsin/tocsin/internal/notify/chat"
	"github.com/tocsin/tocsin/internal/notify/pagerduty"
	"github.com/tocsin/tocsin/internal/notify/twilio"
	probekinds "github.com/tocsin/tocsin/internal/probe/kinds"
)

const head = `
storage: {driver: sqlite, dsn: ":memory:"}
`

func load(t *testing.T, body string, files map[string]string) (*config.Config, error) {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "tocsin.yaml")
	if err := os.WriteFile(path, []byte(head+body), 0o600); err != nil {
		t.Fatal(err)
	}
	return config.Load(path, channels.Config(probekinds.Config()))
}

const pdKey = "0123456789abcdef0123456789abcdef"
const sid = "AC0123456789abcdef0123456789abcdef"

// TestChannelKindsLoad: every new channel type reads from its block, the
// type inferred from the only block, secrets read from files, defaults
// filled in; the existing webhook and email channels load as before; and
// every channel builds its notifier.
func TestChannelKindsLoad(t *testing.T) {
	cfg, err := load(t, `
channels:
  - id: hook
    webhook: {url: "https://example.com/hook"}
  - id: mail
    email: {host: smtp.example.com, from: "tocsin@example.com", to: ["ops@example.com"]}
  - id: box
    type: inbox
  - id: phone
    ntfy: {topic: tocsin-alerts}
  - id: ops-slack
    type: slack
    slack: {url_file: slack.url}
  - id: push
    gotify: {server: "gotify.example.com", token: "AbCdEfGhIjKlMnO"}
  - id: bot
    telegram: {token: "110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", chats: ["@ops"]}
  - id: pd
    pagerduty: {routing_key_file: pd.key}
  - id: sms
    twilio:
      account_sid: `+sid+`
      auth_token_file: twilio.token
      from: "+15005550006"
      to: ["+4790000000"]
`, map[string]string{
		"slack.url":    "slack://hook:T00000000-B00000000-XXXXXXXXXXXXXXXXXXXXXXXX@webhook\n",
		"pd.key":       pdKey + "\n",
		"twilio.token": "secret-token\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]string{}
	for _, ch := range cfg.Channels {
		types[ch.ID] = ch.Type
	}
	want := map[string]string{"hook": "webhook", "mail": "email", "box": "inbox", "phone": "ntfy", "ops-slack": "slack",
		"push": "gotify", "bot": "telegram", "pd": "pagerduty", "sms": "twilio"}
	for id, typ := range want {
		if types[id] != typ {
			t.Errorf("channel %s: type %q, want %q", id, types[id], typ)
		}
	}
	ch, _ := cfg.Channel("phone")
	if b, _ := chat.Of(ch); b.Server != "ntfy.sh" || b.Topic != "tocsin-alerts" {
		t.Errorf("ntfy block = %+v, want server ntfy.sh", b)
	}
	ch, _ = cfg.Channel("ops-slack")
	if b, _ := chat.Of(ch); !strings.HasPrefix(b.URL, "slack://hook:T0") || strings.HasSuffix(b.URL, "\n") {
		t.Errorf("slack url from url_file = %q", b.URL)
	}
	ch, _ = cfg.Channel("pd")
	if b := ch.Block.(*pagerduty.Block); b.RoutingKey != pdKey || b.URL != pagerduty.DefaultURL || b.Severity != "critical" {
		t.Errorf("pagerduty block = %+v", b)
	}
	ch, _ = cfg.Channel("sms")
	if b := ch.Block.(*twilio.Block); b.AuthToken != "secret-token" || b.APIURL != twilio.DefaultAPIURL || b.Timeout.D() != twilio.DefaultTimeout {
		t.Errorf("twilio block = %+v", b)
	}
	kinds := channels.All()
	for i := range cfg.Channels {
		if _, err := kinds.Build(&cfg.Channels[i], cfg); err != nil {
			t.Errorf("building %s: %v", cfg.Channels[i].ID, err)
		}
	}
}

// TestChannelKindsBadInput: each mistake is reported at its line and
// column, with the channel's id and a message saying what to do.
func TestChannelKindsBadInput(t *testing.T) {
	cases := []struct {
		name, body string
		files      map[string]string
		want       []string // substrings of the error text, in the order given
	}{
		{"unknown type", `
channels:
  - id: x
    type: carrier-pigeon
`, nil, []string{`tocsin.yaml:6:11: channels[0] "x": type: unknown channel type "carrier-pigeon"`, "slack", "pagerduty", "twilio"}},
		{"bad url scheme", `
channels:
  - id: x
    slack: {url: "https://hooks.slack.com/services/T/B/X"}
`, nil, []string{`tocsin.yaml:6:18: channels[0] "x": slack.url: a slack channel's URL must start with slack://, not https:// (give the URL Slack shows as webhook_url)`}},
		{"url shoutrrr refuses", `
channels:
  - id: x
    discord: {url: "discord://"}
`, nil, []string{`tocsin.yaml:6:20: channels[0] "x": discord.url: invalid discord URL (discord://…): discord: setting config URL: webhook ID missing`}},
		{"missing secret", `
channels:
  - id: x
    pagerduty: {severity: error}
`, nil, []string{`tocsin.yaml:6:5: channels[0] "x": pagerduty.routing_key: routing_key is required`}},
		{"secret file unreadable", `
channels:
  - id: x
    twilio: {account_sid: ` + sid + `, auth_token_file: nope.token, from: "+15005550006", to: ["+4790000000"]}
`, nil, []string{`tocsin.yaml:6:80: channels[0] "x": twilio.auth_token_file: cannot read `, `nope.token: no such file or directory`}},
		{"no url", `
channels:
  - id: x
    type: slack
    slack: {}
`, nil, []string{`tocsin.yaml:7:5: channels[0] "x": slack: a slack channel needs url (a slack:// URL) or webhook_url`}},
		{"type without block", `
channels:
  - id: x
    type: teams
`, nil, []string{`tocsin.yaml:5:5: channels[0] "x": type "teams" needs its "teams" block`}},
		{"key of another type", `
channels:
  - id: x
    slack: {url: "slack://hook:T00000000-B00000000-XXXXXXXXXXXXXXXXXXXXXXXX@webhook", topic: alerts}
`, nil, []string{`channels[0] "x": slack.topic: topic is not a key of a slack channel`}},
		{"unknown key in block", `
channels:
  - id: x
    pagerduty: {routing_key: ` + pdKey + `, colour: red}
`, nil, []string{`tocsin.yaml:6:64: channels[0] "x": pagerduty.colour: unknown key "colour"`}},
		{"unknown key in a chat block", `
channels:
  - id: x
    ntfy: {topic: a, priority: high}
`, nil, []string{`tocsin.yaml:6:22: channels[0] "x": ntfy.priority: unknown key "priority"`}},
		{"misspelt type block", `
channels:
  - id: x
    slak: {url: "slack://x"}
`, nil, []string{`tocsin.yaml:6:5: channels[0] "x": slak: unknown key "slak" (did you mean "slack"?)`}},
		{"unknown key on channel", `
channels:
  - id: x
    type: inbox
    pager: yes
`, nil, []string{`tocsin.yaml:7:5: channels[0] "x": pager: unknown key "pager"`}},
		{"two blocks", `
channels:
  - id: x
    ntfy: {topic: a}
    gotify: {server: g.example.com, token: AbCdEfGhIjKlMnO}
`, nil, []string{`type is required: more than one block is given (ntfy, gotify)`}},
		{"block of another type", `
channels:
  - id: x
    type: ntfy
    ntfy: {topic: a}
    webhook: {url: "https://example.com"}
`, nil, []string{`the "webhook" block does not belong to type "ntfy"`}},
		{"telegram half given", `
channels:
  - id: x
    telegram: {token: "110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"}
`, nil, []string{`telegram.chats: chats is required for a telegram channel without url`}},
		{"url and friendly keys", `
channels:
  - id: x
    ntfy: {url: "ntfy://ntfy.sh/a", topic: b}
`, nil, []string{`ntfy.url: give either url or the ntfy keys`}},
		{"twilio numbers", `
channels:
  - id: x
    twilio: {account_sid: AC12, auth_token: t, from: "555-1234", to: ["+4790000000", "90000000"]}
`, nil, []string{`twilio.account_sid: account_sid must be a Twilio account SID`, `twilio.from: from must be a phone number in E.164 form`, `twilio.to[1]: "90000000" is not a phone number`}},
		{"pagerduty short key", `
channels:
  - id: x
    pagerduty: {routing_key: abc, severity: fatal, url: "ftp://x"}
`, nil, []string{`pagerduty.routing_key: routing_key must be the 32-character`, `pagerduty.url: url must be an http://`, `pagerduty.severity: unknown severity "fatal"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := load(t, c.body, c.files)
			var errs config.Errors
			if !errors.As(err, &errs) {
				t.Fatalf("err = %v, want config.Errors", err)
			}
			text := err.Error()
			for _, w := range c.want {
				if !strings.Contains(text, w) {
					t.Errorf("error\n%s\ndoes not contain %q", text, w)
				}
			}
			for _, secret := range []string{"AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", "XXXXXXXXXXXXXXXXXXXXXXXX"} {
				if strings.Contains(text, secret) {
					t.Errorf("error shows a secret:\n%s", text)
				}
			}
		})
	}
}
