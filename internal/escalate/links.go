package escalate

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DefaultLinkTTL is how long a one-click link works when Links.TTL is zero.
const DefaultLinkTTL = 24 * time.Hour

// SecretName names the store's key that signs the links (store.Alerts'
// Secret): generated once, shared by every replica.
const SecretName = "alert-links"

// SecretSize is the size of that key, in bytes.
const SecretSize = 32

// Link actions.
const (
	LinkAcknowledge = "acknowledge"
	LinkResolve     = "resolve"
)

// Links signs and checks the one-click links that act on an alert without
// a login. A link names one alert, one action and the recipient it was
// sent to, and expires; it is signed with HMAC-SHA256 under a server key
// the store keeps. The store records each link used (by the hash of its
// token), so a link works once.
type Links struct {
	// Key signs the tokens. Required.
	Key []byte
	// BaseURL is the server's public URL (server.base_url); links are
	// BaseURL + "/a/" + token. Empty: no links are made. The escalator
	// uses the running configuration's base_url when it has one.
	BaseURL string
	// TTL is how long a link works. Default DefaultLinkTTL.
	TTL time.Duration
}

// Claim is what a valid token says.
type Claim struct {
	AlertID int64
	Action  string
	// Who is the recipient the link was sent to ("person:ana").
	Who     string
	Expires time.Time
}

// Link errors: a refusal page tells these apart.
var (
	ErrLinkForged  = errors.New("this link is not valid: it was changed or not made by this server")
	ErrLinkExpired = errors.New("this link has expired")
)

// URL returns the link that performs action on the alert for who, expiring
// TTL after now; "" when BaseURL is empty.
func (l *Links) URL(alertID int64, action, who string, now time.Time) string {
	if l == nil || l.BaseURL == "" || len(l.Key) == 0 {
		return ""
	}
	ttl := l.TTL
	if ttl <= 0 {
		ttl = DefaultLinkTTL
	}
	return strings.TrimRight(l.BaseURL, "/") + "/a/" + l.Token(Claim{AlertID: alertID, Action: action, Who: who, Expires: now.Add(ttl)})
}

// Token signs c.
func (l *Links) Token(c Claim) string {
	payload := strconv.FormatInt(c.AlertID, 10) + "\n" + c.Action + "\n" + c.Who + "\n" + strconv.FormatInt(c.Expires.Unix(), 10)
	enc := base64.RawURLEncoding.Strict()
	return enc.EncodeToString([]byte(payload)) + "." + enc.EncodeToString(l.sign(payload))
}

func (l *Links) sign(payload string) []byte {
	m := hmac.New(sha256.New, l.Key)
	m.Write([]byte("tocsin alert link\n"))
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// Check returns the claim of a token signed by Token and not expired at
// now: ErrLinkForged for a token not signed with the key (or malformed),
// ErrLinkExpired for one past its expiry.
func (l *Links) Check(token string, now time.Time) (Claim, error) {
	if l == nil || len(l.Key) == 0 {
		return Claim{}, ErrLinkForged
	}
	p, s, ok := strings.Cut(token, ".")
	if !ok || len(token) > 2048 {
		return Claim{}, ErrLinkForged
	}
	// Strict: one token per claim. A lenient decoder would take other
	// spellings of the same bytes (the unused bits of the last
	// character), and a used link could be used again under one of them.
	enc := base64.RawURLEncoding.Strict()
	payload, err1 := enc.DecodeString(p)
	sig, err2 := enc.DecodeString(s)
	if err1 != nil || err2 != nil || !hmac.Equal(sig, l.sign(string(payload))) {
		return Claim{}, ErrLinkForged
	}
	parts := strings.Split(string(payload), "\n")
	if len(parts) != 4 {
		return Claim{}, ErrLinkForged
	}
	id, err1 := strconv.ParseInt(parts[0], 10, 64)
	exp, err2 := strconv.ParseInt(parts[3], 10, 64)
	if err1 != nil || err2 != nil {
		return Claim{}, ErrLinkForged
	}
	c := Claim{AlertID: id, Action: parts[1], Who: parts[2], Expires: time.Unix(exp, 0).UTC()}
	if c.Action != LinkAcknowledge && c.Action != LinkResolve {
		return Claim{}, ErrLinkForged
	}
	if !now.Before(c.Expires) {
		return c, fmt.Errorf("%w (at %s)", ErrLinkExpired, c.Expires.Format(time.RFC3339))
	}
	return c, nil
}

// Hash is what the store records of a used token.
func Hash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
