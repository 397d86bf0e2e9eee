// Package chat holds the chat and push channel types that Tocsin reaches
// through the shoutrrr library: Slack, Microsoft Teams, Discord,
// Mattermost, Telegram, ntfy, Gotify, Pushover, Matrix, Opsgenie, Google
// Chat, Rocket.Chat and Zulip. Each is one exported Kind; they share one
// block shape: a shoutrrr `url` (or `url_file`, since the URL holds the
// service's secret), or for a few types friendlier keys the URL is built
// from. The message is the event told in words (notify.Render).
package chat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nicholas-fedor/shoutrrr/pkg/router"
	"github.com/nicholas-fedor/shoutrrr/pkg/types"
	"github.com/nicholas-fedor/shoutrrr/pkg/util/jsonclient"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/notify"
)

// service describes one channel type: its shoutrrr scheme and the keys
// that may stand in for a URL.
type service struct {
	name   string // the channel type
	scheme string // the shoutrrr URL scheme
	// title says whether the service takes a separate title; when not,
	// the title is the message's first line.
	title bool
	// keys are the friendly keys the type accepts besides url/url_file;
	// build makes the URL from them.
	keys  []string
	build func(b *Fields) string
	// display is the service's name as people write it; webhookShape
	// shows its incoming webhook URL, for messages.
	display, webhookShape string
	// netInit says that preparing the service already talks to it (Matrix
	// logs in), so validation only checks the URL's shape.
	netInit bool
}

// Fields are the keys of every chat channel type's block. Block holds them
// with the type they belong to.
type Fields struct {
	// URL is the shoutrrr URL of the destination, such as
	// "ntfy://ntfy.example.com/alerts" or "slack://hook:T0-B0-X@webhook".
	URL     string `yaml:"url"`
	URLFile string `yaml:"url_file"`
	// Server is the host (and port) of a self-hosted ntfy or Gotify.
	Server string `yaml:"server"`
	// Topic is the ntfy topic.
	Topic string `yaml:"topic"`
	// Token is the Gotify application token, the Telegram bot token or the
	// Pushover application token.
	Token     string `yaml:"token"`
	TokenFile string `yaml:"token_file"`
	// WebhookURL is the incoming webhook URL the service gives (Slack,
	// Microsoft Teams workflows, Discord, Mattermost), as it gives it.
	WebhookURL     string `yaml:"webhook_url"`
	WebhookURLFile string `yaml:"webhook_url_file"`
	// Chats are the Telegram chats (ids or @channel names) to post to.
	Chats []string `yaml:"chats"`
	// User is the Pushover user (or group) key.
	User string `yaml:"user"`
	// Insecure sends to a self-hosted server over plain HTTP (ntfy,
	// Gotify, Mattermost, Matrix); for a server on a trusted network only.
	Insecure bool `yaml:"insecure"`

	svc *service `yaml:"-"`
	// serverWritten says whether the file sets server, for Validate.
	serverWritten bool `yaml:"-"`
}

// typ names the channel type a Block belongs to: each type is a zero-size
// type whose method describes it, so the block decoded by the loader (a
// value it allocates itself) still knows its type.
type typ interface{ describe() service }

// Block is the configuration block of a chat channel of type T.
type Block[T typ] struct {
	Fields `yaml:",inline"`
}

// ChatFields returns the keys of the block, with its type.
func (b *Block[T]) ChatFields() *Fields {
	if b.svc == nil {
		var t T
		s := t.describe()
		b.svc = &s
	}
	return &b.Fields
}

// Files reads the secrets.
func (b *Block[T]) Files(f *config.Files) {
	f.Secret("url_file", &b.URL, &b.URLFile)
	f.Secret("token_file", &b.Token, &b.TokenFile)
	f.Secret("webhook_url_file", &b.WebhookURL, &b.WebhookURLFile)
}

// Defaults fills in ntfy's public server when only a topic is given.
func (b *Block[T]) Defaults(written func(key string) bool) {
	c := b.ChatFields()
	c.serverWritten = written("server")
	if c.svc.name == "ntfy" && c.Server == "" && c.URL == "" && c.Topic != "" {
		c.Server = "ntfy.sh"
	}
}

// Validate checks the block.
func (b *Block[T]) Validate() []config.FieldError { return b.ChatFields().validate() }

// Of returns the chat keys of a channel's block; ok is false when the
// channel is not a chat type.
func Of(ch *config.Channel) (f *Fields, ok bool) {
	if c, ok := ch.Block.(interface{ ChatFields() *Fields }); ok {
		return c.ChatFields(), true
	}
	return nil, false
}

// validate checks the keys: a URL of the type's scheme, or the friendly
// keys, never both, and no key of another type.
func (b *Fields) validate() []config.FieldError {
	var out []config.FieldError
	bad := func(field, format string, args ...any) {
		out = append(out, config.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	s := b.svc
	set := map[string]bool{
		"server": b.Server != "" && (b.serverWritten || s.name != "ntfy"), "topic": b.Topic != "",
		"token": b.Token != "", "webhook_url": b.WebhookURL != "", "chats": len(b.Chats) > 0, "user": b.User != "", "insecure": b.Insecure,
	}
	friendly := false
	for _, k := range []string{"server", "topic", "token", "webhook_url", "chats", "user", "insecure"} {
		if !set[k] {
			continue
		}
		if !slices.Contains(s.keys, k) {
			if len(s.keys) == 0 {
				bad(k, "%s is not a key of a %s channel (give its url)", k, s.name)
			} else {
				bad(k, "%s is not a key of a %s channel (use url, or %s)", k, s.name, strings.Join(s.keys, ", "))
			}
			continue
		}
		if k != "insecure" {
			friendly = true
		}
	}
	if len(out) > 0 {
		return out
	}
	if b.URL != "" && friendly {
		bad("url", "give either url or the %s keys (%s), not both", s.name, strings.Join(s.keys, ", "))
		return out
	}
	if b.URL == "" && b.URLFile != "" || b.Token == "" && b.TokenFile != "" || b.WebhookURL == "" && b.WebhookURLFile != "" {
		return out // the file could not be read; the loader said why
	}
	if b.URL == "" && !friendly {
		if len(s.keys) > 0 {
			bad("", "a %s channel needs url (a %s:// URL) or %s", s.name, s.scheme, strings.Join(s.keys, ", "))
		} else {
			bad("url", "url is required (a %s:// URL)", s.scheme)
		}
		return out
	}
	if friendly {
		out = append(out, s.check(b)...)
		if len(out) > 0 {
			return out
		}
	}
	raw := b.url()
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		bad("url", "invalid %s URL %s", s.name, shown(raw))
		return out
	}
	if u.Scheme != s.scheme {
		hint := ""
		if slices.Contains(s.keys, "webhook_url") && (u.Scheme == "https" || u.Scheme == "http") {
			hint = " (give the URL " + s.title2() + " shows as webhook_url)"
		}
		bad("url", "a %s channel's URL must start with %s://, not %s://%s", s.name, s.scheme, u.Scheme, hint)
		return out
	}
	if !s.netInit {
		if _, err := s.service(raw); err != nil {
			bad("url", "invalid %s URL %s: %s", s.name, shown(raw), hide(err.Error(), b))
		}
	}
	return out
}

// check reports the friendly keys a type needs and lacks.
func (s *service) check(b *Fields) []config.FieldError {
	var out []config.FieldError
	need := func(ok bool, key string) {
		if !ok {
			out = append(out, config.FieldError{Field: key, Message: fmt.Sprintf("%s is required for a %s channel without url", key, s.name)})
		}
	}
	switch s.name {
	case "ntfy":
		need(b.Topic != "", "topic")
	case "gotify":
		need(b.Server != "", "server")
		need(b.Token != "", "token")
	case "telegram":
		need(b.Token != "", "token")
		need(len(b.Chats) > 0, "chats")
	case "pushover":
		need(b.Token != "", "token")
		need(b.User != "", "user")
	}
	if b.WebhookURL != "" {
		if _, err := s.fromWebhook(b.WebhookURL); err != nil {
			out = append(out, config.FieldError{Field: "webhook_url", Message: err.Error()})
		}
	}
	return out
}

// fromWebhook turns the incoming webhook URL a service gives into its
// shoutrrr URL.
func (s *service) fromWebhook(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return "", fmt.Errorf("webhook_url must be the https:// URL %s gives for an incoming webhook", s.title2())
	}
	parts := strings.Split(strings.Trim(u.EscapedPath(), "/"), "/")
	bad := fmt.Errorf("webhook_url does not look like a %s incoming webhook URL (%s)", s.title2(), s.webhookShape)
	switch s.name {
	case "slack": // https://hooks.slack.com/services/T…/B…/X…
		if len(parts) != 4 || parts[0] != "services" {
			return "", bad
		}
		return "slack://hook:" + parts[1] + "-" + parts[2] + "-" + parts[3] + "@webhook", nil
	case "discord": // https://discord.com/api/webhooks/ID/TOKEN
		if len(parts) != 4 || parts[0] != "api" || parts[1] != "webhooks" {
			return "", bad
		}
		return "discord://" + parts[3] + "@" + parts[2], nil
	case "mattermost": // https://HOST/hooks/TOKEN
		if len(parts) != 2 || parts[0] != "hooks" {
			return "", bad
		}
		return "mattermost://" + u.Host + "/" + parts[1], nil
	case "teams": // a Power Automate workflow URL, whole
		return "teams://?" + url.Values{"host": {raw}}.Encode(), nil
	}
	return "", bad
}

// title2 is the service's name as people write it.
func (s *service) title2() string {
	if s.display != "" {
		return s.display
	}
	return s.name
}

// url is the shoutrrr URL the block names or builds.
func (b *Fields) url() string {
	if b.URL != "" || b.svc.build == nil && b.WebhookURL == "" {
		return b.withInsecure(b.URL)
	}
	if b.WebhookURL != "" {
		u, _ := b.svc.fromWebhook(b.WebhookURL)
		return b.withInsecure(u)
	}
	return b.withInsecure(b.svc.build(b))
}

// withInsecure adds the service's plain-HTTP switch to raw when the block
// asks for it.
func (b *Fields) withInsecure(raw string) string {
	if !b.Insecure {
		return raw
	}
	key := "disabletls"
	if b.svc.name == "matrix" {
		key = "disableTLS"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	q.Set(key, "yes")
	u.RawQuery = q.Encode()
	return u.String()
}

// shown is how a URL appears in messages: its scheme only, since the rest
// carries the secret.
func shown(raw string) string {
	if i := strings.Index(raw, "://"); i > 0 && i < 20 {
		return "(" + raw[:i] + "://…)"
	}
	return "(hidden)"
}

// hide removes the block's secrets from a text shown to people.
func hide(s string, b *Fields) string {
	for _, secret := range []string{b.url(), b.URL, b.Token, b.User, b.WebhookURL} {
		if len(secret) >= 4 {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	if u, err := url.Parse(b.url()); err == nil {
		if p, ok := u.User.Password(); ok && len(p) >= 4 {
			s = strings.ReplaceAll(s, p, "[redacted]")
		}
		if n := u.User.Username(); len(n) >= 4 {
			s = strings.ReplaceAll(s, n, "[redacted]")
		}
		for _, part := range strings.Split(u.Path, "/") {
			if len(part) >= 16 {
				s = strings.ReplaceAll(s, part, "[redacted]")
			}
		}
	}
	return s
}

var discard = log.New(io.Discard, "", 0)

// service prepares the shoutrrr service for raw; it does not send.
func (s *service) service(raw string) (types.Service, error) {
	r := router.ServiceRouter{}
	r.SetLogger(discard)
	return r.Locate(raw)
}

// Notifier sends events to one chat destination. It is safe for concurrent
// use: every send prepares its own shoutrrr service.
type Notifier struct {
	b *Fields
}

// New returns the notifier of a validated block.
func New(b *Fields) *Notifier { return &Notifier{b: b} }

// sendTimeout bounds one request to the service; the dispatcher's context
// may end it sooner.
const sendTimeout = 30 * time.Second

// Notify tells e in words and posts it.
func (n *Notifier) Notify(ctx context.Context, e notify.Event) (retry bool, err error) {
	t := notify.Render(e)
	hc := &recorder{ctx: ctx, client: &http.Client{Timeout: sendTimeout}}
	svc, err := n.b.svc.prepare(n.b.url(), hc)
	if err != nil {
		return hc.retry(err), fmt.Errorf("%s: %s", n.b.svc.name, hide(err.Error(), n.b))
	}
	msg := t.String()
	params := types.Params{}
	if n.b.svc.title {
		msg = t.Body
		if msg == "" {
			msg = t.Title
		}
		params.SetTitle(t.Title)
	}
	done := make(chan error, 1)
	go func() { done <- svc.Send(msg, &params) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		return true, fmt.Errorf("%s: %w", n.b.svc.name, ctx.Err())
	}
	if err != nil {
		return hc.retry(err), fmt.Errorf("%s: %s", n.b.svc.name, hide(err.Error(), n.b))
	}
	return false, nil
}

// prepare makes the shoutrrr service for raw that sends through hc.
func (s *service) prepare(raw string, hc types.HTTPClient) (types.Service, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("invalid URL")
	}
	svc, err := (&router.ServiceRouter{}).NewService(u.Scheme)
	if err != nil {
		return nil, err
	}
	setter, ok := svc.(types.HTTPClientSetter)
	if ok {
		setter.SetHTTPClient(hc)
	}
	if err := svc.Initialize(u, discard); err != nil {
		return nil, err
	}
	if ok {
		setter.SetHTTPClient(hc)
	}
	return svc, nil
}

// recorder is the HTTP client a send goes through: it carries the send's
// context into every request and keeps the last answer's status, which
// says better than the service's error text whether to try again.
type recorder struct {
	ctx    context.Context
	client *http.Client

	mu     sync.Mutex
	status int
}

// Do sends req within the send's context.
func (r *recorder) Do(req *http.Request) (*http.Response, error) {
	resp, err := r.client.Do(req.WithContext(r.ctx))
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL may carry the secret
		}
		return nil, err
	}
	r.mu.Lock()
	r.status = resp.StatusCode
	r.mu.Unlock()
	return resp, nil
}

// retry decides from the last answer's status when there was one.
func (r *recorder) retry(err error) bool {
	r.mu.Lock()
	code := r.status
	r.mu.Unlock()
	if code >= 400 {
		return retryableStatus(code)
	}
	return Retryable(err)
}

func retryableStatus(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500
}

var statusRe = regexp.MustCompile(`(?i)(?:status|http)[^0-9\n]{0,24}([1-5][0-9][0-9])\b`)

// Retryable says whether a failed send is worth trying again: a refusal
// (a 4xx answer: bad token, unknown room) is not, except 408 and 429; a
// 5xx answer, a network failure or anything unknown is.
func Retryable(err error) bool {
	var je jsonclient.Error
	code := 0
	if errors.As(err, &je) {
		code = je.StatusCode
	} else if m := statusRe.FindStringSubmatch(err.Error()); m != nil {
		code, _ = strconv.Atoi(m[1])
	}
	if code >= 400 {
		return retryableStatus(code)
	}
	return true
}

// kind makes the notify.Kind of the chat type T.
func kind[T typ]() notify.Kind {
	var t T
	name := t.describe().name
	return notify.Kind{
		Name:   name,
		Digest: true,
		Block:  func() config.ChannelBlock { return &Block[T]{} },
		Build: func(ch *config.Channel, _ *config.Config) (notify.Notifier, error) {
			b, ok := ch.Block.(*Block[T])
			if !ok || b == nil {
				return nil, fmt.Errorf("channel %q: the %s block is missing", ch.ID, name)
			}
			return New(b.ChatFields()), nil
		},
	}
}

var _ notify.Notifier = (*Notifier)(nil)
