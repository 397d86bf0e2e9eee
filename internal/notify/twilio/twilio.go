// Package twilio is the channel type that sends SMS through Twilio's
// Programmable Messaging API: one message per recipient, POSTed
// form-encoded to /2010-04-01/Accounts/{AccountSid}/Messages.json with the
// account's SID and auth token as basic credentials.
package twilio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/notify"
)

// DefaultAPIURL is Twilio's REST API.
const DefaultAPIURL = "https://api.twilio.com"

// DefaultTimeout bounds one request.
const DefaultTimeout = 10 * time.Second

// MaxLength is the longest text sent: two SMS segments.
const MaxLength = 320

var (
	reSID   = regexp.MustCompile(`^AC[0-9a-fA-F]{32}$`)
	reE164  = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	reMGSID = regexp.MustCompile(`^MG[0-9a-fA-F]{32}$`)
)

// Block is the `twilio:` block of a channel.
type Block struct {
	AccountSID    string `yaml:"account_sid"`
	AuthToken     string `yaml:"auth_token"`
	AuthTokenFile string `yaml:"auth_token_file"`
	// From is the sending number in E.164 form (+15551234567), or a
	// messaging service SID (MG…).
	From string `yaml:"from"`
	// To are the numbers texted, in E.164 form.
	To []string `yaml:"to"`
	// APIURL replaces https://api.twilio.com (a proxy, or a test server).
	APIURL  string          `yaml:"api_url"`
	Timeout config.Duration `yaml:"timeout"` // default 10s
}

// Files reads the auth token from auth_token_file.
func (b *Block) Files(f *config.Files) { f.Secret("auth_token_file", &b.AuthToken, &b.AuthTokenFile) }

// Defaults fills in the API URL and timeout.
func (b *Block) Defaults(written func(string) bool) {
	if b.APIURL == "" {
		b.APIURL = DefaultAPIURL
	}
	if b.Timeout == 0 && !written("timeout") {
		b.Timeout = config.Duration(DefaultTimeout)
	}
}

// Validate checks the block.
func (b *Block) Validate() []config.FieldError {
	var out []config.FieldError
	bad := func(f, format string, args ...any) {
		out = append(out, config.FieldError{Field: f, Message: fmt.Sprintf(format, args...)})
	}
	if !reSID.MatchString(b.AccountSID) {
		bad("account_sid", "account_sid must be a Twilio account SID (AC followed by 32 hexadecimal digits)")
	}
	if b.AuthToken == "" && b.AuthTokenFile == "" {
		bad("auth_token", "auth_token is required (or auth_token_file)")
	}
	if !reE164.MatchString(b.From) && !reMGSID.MatchString(b.From) {
		bad("from", "from must be a phone number in E.164 form (+15551234567) or a messaging service SID (MG…), not %q", b.From)
	}
	if len(b.To) == 0 {
		bad("to", "to is required: the numbers to text, in E.164 form")
	}
	for i, n := range b.To {
		if !reE164.MatchString(n) {
			bad(fmt.Sprintf("to[%d]", i), "%q is not a phone number in E.164 form (+15551234567)", n)
		}
	}
	if u, err := url.Parse(b.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("api_url", "api_url must be an http:// or https:// URL")
	}
	if b.Timeout <= 0 {
		bad("timeout", "must be longer than zero, not %s", b.Timeout)
	}
	return out
}

// Kind is the twilio channel type.
func Kind() notify.Kind {
	return notify.Kind{
		Name:  "twilio",
		Block: func() config.ChannelBlock { return &Block{} },
		Build: func(ch *config.Channel, _ *config.Config) (notify.Notifier, error) {
			b, ok := ch.Block.(*Block)
			if !ok || b == nil {
				return nil, fmt.Errorf("channel %q: the twilio block is missing", ch.ID)
			}
			return New(b, &http.Client{Timeout: b.Timeout.D()}), nil
		},
	}
}

// Notifier texts events to a list of numbers. It is safe for concurrent
// use.
type Notifier struct {
	b      *Block
	client *http.Client
}

// New returns the notifier of a validated block.
func New(b *Block, client *http.Client) *Notifier { return &Notifier{b: b, client: client} }

// Text is the SMS for e: the title, then the link to acknowledge or to
// the monitor when there is one, at most MaxLength characters.
func Text(e notify.Event) string {
	t := notify.Render(e)
	s := "Tocsin " + t.Title
	link := e.Field("ack_url")
	if link != "" {
		link = "Ack: " + link
	} else if e.URL != "" {
		link = e.URL
	}
	if link != "" && len([]rune(link))+2 < MaxLength/2 {
		return notify.Truncate(s, MaxLength-len([]rune(link))-1) + "\n" + link
	}
	return notify.Truncate(s, MaxLength)
}

// Notify texts e to every number. A retry sends to every number again, so
// a number that got the first try may get the text twice.
func (n *Notifier) Notify(ctx context.Context, e notify.Event) (retry bool, err error) {
	body := Text(e)
	var errs []error
	for _, to := range n.b.To {
		r, err := n.send(ctx, to, body)
		if err != nil {
			retry = retry || r
			errs = append(errs, err)
		}
	}
	return retry, errors.Join(errs...)
}

func (n *Notifier) send(ctx context.Context, to, body string) (retry bool, err error) {
	form := url.Values{"To": {to}, "Body": {body}}
	if strings.HasPrefix(n.b.From, "MG") {
		form.Set("MessagingServiceSid", n.b.From)
	} else {
		form.Set("From", n.b.From)
	}
	endpoint := strings.TrimSuffix(n.b.APIURL, "/") + "/2010-04-01/Accounts/" + url.PathEscape(n.b.AccountSID) + "/Messages.json"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return false, fmt.Errorf("twilio: %w", err)
	}
	req.SetBasicAuth(n.b.AccountSID, n.b.AuthToken)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "Tocsin")
	resp, err := n.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return true, fmt.Errorf("twilio: texting %s: %w", to, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return false, nil
	}
	var answer struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(data, &answer)
	msg := answer.Message
	if answer.Code != 0 {
		msg = fmt.Sprintf("%s (error %d)", msg, answer.Code)
	}
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	retry = resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 || resp.StatusCode == http.StatusRequestTimeout
	return retry, fmt.Errorf("twilio: texting %s: HTTP %d: %s", to, resp.StatusCode, msg)
}

var _ notify.Notifier = (*Notifier)(nil)
