// Package subscribe delivers a status page's public incident updates to
// the people and systems that subscribed to it: the one-time tokens of
// its links, the checks of what the public submits, the limits on how
// often it may, the fan-out of each public update into one outbox message
// per confirmed subscriber, and the notifier that posts to subscribers'
// webhooks. Mails go through the page's email channel.
package subscribe

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/notify"
)

// WebhookChannel is the outbox channel of the messages to subscribers'
// webhooks. The colon keeps it apart from every configured channel id.
const WebhookChannel = "status:webhooks"

// ConfirmTTL is how long a confirmation link works.
const ConfirmTTL = 48 * time.Hour

// maxAddress bounds an address or URL a subscriber gives.
const maxAddress = 512

// NewToken returns a random token for a link and its hash, the only form
// the store keeps.
func NewToken() (token string, hash []byte) {
	token = rand.Text()
	return token, Hash(token)
}

// Hash is the SHA-256 of a token, as the store keeps it.
func Hash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// CheckEmail returns the bare address of a mail address a person typed;
// EINVALID when it is not one.
func CheckEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxAddress {
		return "", errs.Errorf(errs.EINVALID, "enter an email address")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s || !strings.Contains(a.Address[strings.LastIndexByte(a.Address, '@')+1:], ".") {
		return "", errs.Errorf(errs.EINVALID, "%q is not an email address such as ana@example.com", s)
	}
	return a.Address, nil
}

// CheckWebhook returns a webhook URL a subscriber gave, if it is an
// absolute http or https URL with a host; EINVALID otherwise.
func CheckWebhook(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxAddress {
		return "", errs.Errorf(errs.EINVALID, "enter a webhook URL")
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil {
		return "", errs.Errorf(errs.EINVALID, "%q is not a webhook URL: use an http:// or https:// address without a user name", s)
	}
	return u.String(), nil
}

// PageURL is a page's public address, from server.base_url.
func PageURL(cfg *config.Config, p *config.StatusPage) string {
	return strings.TrimRight(cfg.Server.BaseURL, "/") + "/status/" + p.Slug
}

// Confirmation is the outbox message that asks an email subscriber to
// confirm, with the link of token; ok is false when the page sends no
// mail.
func Confirmation(cfg *config.Config, p *config.StatusPage, address, token string, now time.Time) (notify.OutboxMessage, bool) {
	if p.Subscriptions == nil || p.Subscriptions.EmailChannel == "" {
		return notify.OutboxMessage{}, false
	}
	page := PageURL(cfg, p)
	// A subscriber may ask again: each request is its own message, named
	// after its token.
	id := fmt.Sprintf("status/%s/confirm/%x", p.ID, Hash(token)[:12])
	e := notify.Event{ID: id, Event: notify.EventStatusConfirm, To: address, Time: now.UTC(),
		Public: &notify.PublicUpdate{Page: p.Title, Slug: p.Slug, PageURL: page, Time: now.UTC(), ConfirmURL: page + "/confirm/" + token}}
	return notify.OutboxMessage{ID: id, Channel: p.Subscriptions.EmailChannel, Event: e, State: notify.StatePending, NextAttempt: now, CreatedAt: now}, true
}
