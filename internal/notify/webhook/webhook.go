// Package webhook delivers notifications as JSON POST requests. Each request
// carries the notification id in the body and in the Idempotency-Key header,
// the same on every retry, and, when a secret is configured, an HMAC-SHA256
// signature of the body in X-Tocsin-Signature.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/notify"
)

// Header names set on every request.
const (
	HeaderIdempotencyKey = "Idempotency-Key"
	HeaderSignature      = "X-Tocsin-Signature"
	HeaderEvent          = "X-Tocsin-Event"
)

// DefaultTimeout bounds one request when the channel sets no timeout and no
// client is given.
const DefaultTimeout = 10 * time.Second

// maxResponseBody is how much of a response is read; the rest is dropped so
// a misbehaving receiver cannot make Tocsin buffer without bound.
const maxResponseBody = 64 << 10

// maxErrorSnippet is how much of a refusing response's body goes into the
// error message.
const maxErrorSnippet = 200

// Notifier posts events to one webhook URL. It is safe for concurrent use.
type Notifier struct {
	cfg    config.WebhookConfig
	client *http.Client
	// where names the destination in error messages without the path and
	// query, which often hold a token.
	where string
}

// New returns a notifier for the webhook channel c. client is used for the
// requests; nil means a client with the channel's timeout (default 10s).
// Redirects are never followed: a POST turned into a GET would be lost
// silently, so a 3xx answer is reported instead.
func New(c *config.WebhookConfig, client *http.Client) *Notifier {
	n := &Notifier{}
	if c != nil {
		n.cfg = *c
	}
	var cl http.Client
	if client != nil {
		cl = *client
	} else {
		cl.Timeout = n.cfg.Timeout.D()
		if cl.Timeout <= 0 {
			cl.Timeout = DefaultTimeout
		}
	}
	cl.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	n.client = &cl
	n.where = "webhook"
	if u, err := url.Parse(n.cfg.URL); err == nil && u.Host != "" {
		n.where = "webhook to " + u.Host
	}
	return n
}

// Notify posts e as JSON. It reports retry for network errors, timeouts and
// the answers 408, 429 and 5xx, and no retry for other refusals.
func (n *Notifier) Notify(ctx context.Context, e notify.Event) (retry bool, err error) {
	if err := n.checkConfig(); err != nil {
		return false, fmt.Errorf("%s: %w", n.where, err)
	}
	secret, err := n.secret()
	if err != nil {
		return true, fmt.Errorf("%s: %w", n.where, err)
	}
	e.Time = e.Time.UTC()
	if e.Owners == nil {
		// Receivers read owners as a list, also when there are none.
		e.Owners = []catalog.Owner{}
	}
	body, err := json.Marshal(e)
	if err != nil {
		return false, fmt.Errorf("%s: encoding the event: %w", n.where, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("%s: building the request: %w", n.where, stripURL(err))
	}
	for k, v := range n.cfg.Headers {
		if strings.EqualFold(k, "Host") {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "Tocsin")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderIdempotencyKey, e.ID)
	req.Header.Set(HeaderEvent, e.Event)
	if secret != "" {
		req.Header.Set(HeaderSignature, Sign(secret, body))
	}

	resp, err := n.client.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return true, fmt.Errorf("%s: %w", n.where, ctxErr)
		}
		return true, fmt.Errorf("%s: %w", n.where, stripURL(err))
	}
	defer resp.Body.Close()
	snippet, readErr := readBounded(resp.Body)
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		// The receiver accepted the event; a broken body after that does
		// not make it undelivered.
		return false, nil
	}
	msg := fmt.Sprintf("%s: %s", n.where, resp.Status)
	if loc := resp.Header.Get("Location"); resp.StatusCode >= 300 && resp.StatusCode < 400 && loc != "" {
		msg += " (redirects are not followed; point the channel at the final URL)"
	} else if s := errorSnippet(snippet); s != "" && readErr == nil {
		msg += ": " + s
	}
	return Retryable(resp.StatusCode), errors.New(msg)
}

// Retryable reports whether an HTTP answer is worth trying again: 408, 429
// and every 5xx are; other codes mean the receiver refused the event for
// good.
func Retryable(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500
}

// Sign returns the X-Tocsin-Signature value for body: "sha256=" followed by
// the lowercase hex HMAC-SHA256 of body keyed with secret.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify reports whether signature is the valid X-Tocsin-Signature of body
// for secret, comparing in constant time. Receivers written in Go can use it.
func Verify(secret string, body []byte, signature string) bool {
	return hmac.Equal([]byte(Sign(secret, body)), []byte(signature))
}

// checkConfig finds the configuration mistakes that no retry can fix.
func (n *Notifier) checkConfig() error {
	if n.cfg.URL == "" {
		return errors.New("no URL is configured")
	}
	u, err := url.Parse(n.cfg.URL)
	if err != nil {
		return errors.New("the URL is not valid")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("the URL scheme %q is not http or https", u.Scheme)
	}
	if u.Host == "" {
		return errors.New("the URL has no host")
	}
	for k, v := range n.cfg.Headers {
		if !httpguts.ValidHeaderFieldName(k) {
			return fmt.Errorf("header name %q is not valid", k)
		}
		if !httpguts.ValidHeaderFieldValue(v) {
			return fmt.Errorf("the value of header %q is not valid", k)
		}
	}
	return nil
}

// secret returns the signing secret, reading secret_file on every call so a
// rotated file takes effect without a reload.
func (n *Notifier) secret() (string, error) {
	if n.cfg.Secret != "" || n.cfg.SecretFile == "" {
		return n.cfg.Secret, nil
	}
	b, err := os.ReadFile(n.cfg.SecretFile)
	if err != nil {
		return "", fmt.Errorf("reading the signing secret: %w", err)
	}
	s := strings.TrimRight(string(b), "\r\n")
	if s == "" {
		return "", fmt.Errorf("the signing secret file %s is empty", n.cfg.SecretFile)
	}
	return s, nil
}

// readBounded reads at most maxResponseBody bytes of r and drops the rest,
// returning the start of what it read.
func readBounded(r io.Reader) ([]byte, error) {
	var w bytes.Buffer
	_, err := io.Copy(&w, io.LimitReader(r, maxResponseBody))
	b := w.Bytes()
	if len(b) > maxErrorSnippet {
		b = b[:maxErrorSnippet]
	}
	return b, err
}

// errorSnippet turns the start of a response body into one printable line.
func errorSnippet(b []byte) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(b), "")), " ")
	if len(s) > maxErrorSnippet {
		s = s[:maxErrorSnippet]
	}
	return s
}

// stripURL removes the URL that net/http puts in its errors: webhook URLs
// often carry a token in the path or query, and attempt errors are shown in
// the UI.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

var _ notify.Notifier = (*Notifier)(nil)
