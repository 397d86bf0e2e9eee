package subscribe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/notify/webhook"
)

// Payload is the JSON body posted to a subscriber's webhook: only public
// fields. Event is "status.challenge" for the challenge that confirms a
// subscription and "status.update" for an incident update.
type Payload struct {
	ID       string    `json:"id"`
	Event    string    `json:"event"`
	Page     string    `json:"page"`
	PageURL  string    `json:"page_url"`
	Affected string    `json:"affected,omitempty"`
	Status   string    `json:"status,omitempty"`
	Message  string    `json:"message,omitempty"`
	Time     time.Time `json:"time"`
	// Challenge is a random value, on the challenge only.
	Challenge      string `json:"challenge,omitempty"`
	UnsubscribeURL string `json:"unsubscribe_url,omitempty"`
}

// EventChallenge is the event of the challenge posted to a new webhook.
const EventChallenge = "status.challenge"

// ErrPrivateAddress refuses a webhook that resolves to the server's own
// networks.
var ErrPrivateAddress = errors.New("the webhook's address is loopback, private or link-local; subscriptions only post to public addresses")

// Poster posts to subscribers' webhooks, refusing private addresses
// unless the page allows them.
type Poster struct {
	// AllowPrivate reports whether a page (by slug) lets its subscribers'
	// webhooks reach private addresses; nil allows none.
	AllowPrivate func(slug string) bool
	// Timeout bounds one post; default 10s.
	Timeout time.Duration
}

func (p *Poster) client(slug string) *http.Client {
	allow := p.AllowPrivate != nil && p.AllowPrivate(slug)
	d := &net.Dialer{Timeout: 10 * time.Second}
	if !allow {
		// Checked on the address dialled, after resolution, so a name
		// that resolves to a private address is refused too.
		d.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return err
			}
			if a := ap.Addr().Unmap(); !a.IsGlobalUnicast() || a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() {
				return ErrPrivateAddress
			}
			return nil
		}
	}
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	return &http.Client{
		Timeout:   timeout,
		Transport: &http.Transport{DialContext: d.DialContext, Proxy: nil, TLSHandshakeTimeout: timeout, MaxIdleConns: 1, IdleConnTimeout: time.Second},
		// A redirect could lead anywhere; a subscriber gives the final URL.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Post sends body to url; retry says whether a failure is worth another
// try.
func (p *Poster) Post(ctx context.Context, slug, url string, body Payload) (retry bool, err error) {
	js, err := json.Marshal(body)
	if err != nil {
		return false, fmt.Errorf("encoding the webhook body: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(js))
	if err != nil {
		return false, fmt.Errorf("webhook %s: %w", url, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Tocsin")
	req.Header.Set(webhook.HeaderIdempotencyKey, body.ID)
	c := p.client(slug)
	defer c.CloseIdleConnections()
	resp, err := c.Do(req)
	if err != nil {
		if errors.Is(err, ErrPrivateAddress) {
			return false, fmt.Errorf("webhook %s: %w", url, ErrPrivateAddress)
		}
		return true, fmt.Errorf("webhook %s: %w", url, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return false, nil
	}
	return webhook.Retryable(resp.StatusCode), fmt.Errorf("webhook %s: %s", url, resp.Status)
}

// Notifier sends status.update events to the webhook in the event's To.
type Notifier struct{ Poster *Poster }

// Notify posts the public part of e.
func (n Notifier) Notify(ctx context.Context, e notify.Event) (bool, error) {
	p := e.Public
	if p == nil || e.To == "" {
		return false, errors.New("a subscriber webhook message without its public update or URL")
	}
	return n.Poster.Post(ctx, p.Slug, e.To, Payload{ID: e.ID, Event: e.Event, Page: p.Page, PageURL: p.PageURL, Affected: p.Affected,
		Status: p.Status, Message: p.Message, Time: p.Time.UTC(), UnsubscribeURL: p.UnsubscribeURL})
}

var _ notify.Notifier = Notifier{}

// NewPoster returns a poster that allows private addresses to the pages
// of the running configuration that say allow_private_webhooks.
func NewPoster(cfg func() *config.Config) *Poster {
	return &Poster{AllowPrivate: func(slug string) bool {
		c := cfg()
		for i := range c.StatusPages {
			if p := &c.StatusPages[i]; p.Slug == slug {
				return p.Subscriptions != nil && p.Subscriptions.AllowPrivateWebhooks
			}
		}
		return false
	}}
}
