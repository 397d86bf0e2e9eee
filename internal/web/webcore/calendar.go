package webcore

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// CalendarTokenPrefix starts every calendar token, so a leaked feed URL is
// recognisable; the shown prefix adds a few characters of the secret.
const CalendarTokenPrefix = "tcal_"

// shownCalendarPrefix is how much of a calendar token the lists show.
const shownCalendarPrefix = len(CalendarTokenPrefix) + 6

// maxCalendarToken bounds the token a feed request may carry: a real one
// is the prefix and 43 characters.
const maxCalendarToken = 128

// HashCalendarToken is how calendar tokens are stored: SHA-256 suffices for
// 256 random bits, as for sessions and API tokens.
func HashCalendarToken(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// CreateCalendarToken makes a new random token for the feed of kind and
// subject (a schedule or a person), stores its hash on behalf of u, and
// returns it with its secret.
func CreateCalendarToken(r *http.Request, st store.Store, u store.User, kind, subject string) (store.CalendarToken, string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return store.CalendarToken{}, "", fmt.Errorf("reading random bytes: %w", err)
	}
	secret := CalendarTokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	tok, err := st.CreateCalendarToken(r.Context(), store.CalendarToken{
		Kind: kind, Subject: subject, TokenHash: HashCalendarToken(secret), Prefix: secret[:shownCalendarPrefix], CreatedBy: u.ID,
	})
	if err != nil {
		return store.CalendarToken{}, "", fmt.Errorf("creating the calendar token: %w", err)
	}
	return tok, secret, nil
}

// CalendarTokenFor returns the stored token of the request's ?token= when
// it opens the feed of kind and subject. A missing token is EUNAUTHORIZED;
// a token that is malformed, unknown, revoked, or for another feed is
// ENOTFOUND, the same answer for each, so a guess learns nothing.
func CalendarTokenFor(r *http.Request, st store.Store, kind, subject string) (store.CalendarToken, error) {
	secret := r.URL.Query().Get("token")
	if secret == "" {
		return store.CalendarToken{}, errs.Errorf(errs.EUNAUTHORIZED, "a calendar feed needs its ?token=; copy the feed's address from its schedule page")
	}
	refused := errs.Errorf(errs.ENOTFOUND, "no such calendar feed, or its token was revoked")
	if len(secret) > maxCalendarToken || !strings.HasPrefix(secret, CalendarTokenPrefix) {
		return store.CalendarToken{}, refused
	}
	tok, err := st.CalendarTokenByHash(r.Context(), HashCalendarToken(secret))
	if errs.Code(err) == errs.ENOTFOUND {
		return store.CalendarToken{}, refused
	}
	if err != nil {
		return store.CalendarToken{}, fmt.Errorf("reading the calendar token: %w", err)
	}
	if tok.Kind != kind || tok.Subject != subject {
		return store.CalendarToken{}, refused
	}
	return tok, nil
}

// TouchCalendarToken records a feed read, at most once a minute per token
// (calendar applications poll, and each read need not be a write).
func TouchCalendarToken(r *http.Request, st store.Store, tok store.CalendarToken, now time.Time) error {
	if !tok.LastUsedAt.IsZero() && now.Sub(tok.LastUsedAt) < time.Minute {
		return nil
	}
	return st.TouchCalendarToken(r.Context(), tok.ID, now)
}

// ScheduleFeedPath is the path of a schedule's iCal feed, without its token.
func ScheduleFeedPath(id string) string { return "/schedules/" + url.PathEscape(id) + ".ics" }

// PersonFeedPath is the path of a person's iCal feed, without its token.
func PersonFeedPath(id string) string { return "/people/" + url.PathEscape(id) + "/shifts.ics" }

// FeedURL is the absolute URL of a feed: path with its token on the
// server's base_url, or on the request's own host when none is configured.
func FeedURL(rt Runtime, r *http.Request, path, secret string) string {
	base := BaseURL(rt)
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	return base + path + "?token=" + url.QueryEscape(secret)
}
