package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/audit"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

const (
	// sessionCookie names the cookie holding the session token.
	sessionCookie = "tocsin_session"
	// tokenPrefix starts every API token, so a leaked one is recognisable
	// by secret scanners and people.
	tokenPrefix = "tocsin_"
	// shownPrefixLen is how much of an API token the token list shows.
	shownPrefixLen = len(tokenPrefix) + 6
	// touchEvery limits how often a token's last-used time is written.
	touchEvery = time.Minute
)

// handlerFunc is a handler that returns its error instead of writing it, so
// one place maps errors to responses.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// authedFunc is a handler that runs for a logged-in user.
type authedFunc func(w http.ResponseWriter, r *http.Request, u store.User) error

// newSecret returns a random 32-byte secret, base64url-encoded.
func newSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("reading random bytes: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// hashSecret is how session and API tokens are stored: SHA-256 suffices
// because the tokens are 256 random bits, not guessable passwords.
func hashSecret(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// firstRun reports whether no account exists yet.
func (s *Server) firstRun(ctx context.Context) (bool, error) {
	if s.hasUsers.Load() {
		return false, nil
	}
	n, err := s.store.UserCount(ctx)
	if err != nil {
		return false, fmt.Errorf("counting users: %w", err)
	}
	if n > 0 {
		s.hasUsers.Store(true)
	}
	return n == 0, nil
}

// sessionUser returns the user of the request's session cookie; ok is false
// when there is no valid session.
func (s *Server) sessionUser(r *http.Request) (u store.User, ok bool, err error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" || len(c.Value) > 128 {
		return store.User{}, false, nil
	}
	sess, err := s.store.Session(r.Context(), hashSecret(c.Value))
	if errs.Code(err) == errs.ENOTFOUND {
		return store.User{}, false, nil
	}
	if err != nil {
		return store.User{}, false, fmt.Errorf("reading session: %w", err)
	}
	if !s.now().Before(sess.ExpiresAt) {
		return store.User{}, false, nil
	}
	u, err = s.store.User(r.Context(), sess.UserID)
	if errs.Code(err) == errs.ENOTFOUND {
		return store.User{}, false, nil
	}
	if err != nil {
		return store.User{}, false, fmt.Errorf("reading session user: %w", err)
	}
	return u, true, nil
}

// tokenUser returns the user owning the request's bearer token and the
// token's id; the user's Role is the token's, or the user's own when it
// is less. present tells whether an Authorization header was sent at all.
func (s *Server) tokenUser(r *http.Request) (u store.User, tokenID int64, present bool, err error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return store.User{}, 0, false, nil
	}
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" || len(tok) > 256 {
		return store.User{}, 0, true, errs.Errorf(errs.EUNAUTHORIZED, "the Authorization header must be \"Bearer <token>\"")
	}
	t, err := s.store.APITokenByHash(r.Context(), hashSecret(strings.TrimSpace(tok)))
	if errs.Code(err) == errs.ENOTFOUND {
		return store.User{}, 0, true, errs.Errorf(errs.EUNAUTHORIZED, "the API token is unknown or was revoked")
	}
	if err != nil {
		return store.User{}, 0, true, fmt.Errorf("reading API token: %w", err)
	}
	u, err = s.store.User(r.Context(), t.UserID)
	if errs.Code(err) == errs.ENOTFOUND {
		return store.User{}, 0, true, errs.Errorf(errs.EUNAUTHORIZED, "the API token's user no longer exists")
	}
	if err != nil {
		return store.User{}, 0, true, fmt.Errorf("reading API token user: %w", err)
	}
	u.Role = u.Role.Min(t.Role)
	if now := s.now(); now.Sub(t.LastUsedAt) >= touchEvery {
		if err := s.store.TouchAPIToken(r.Context(), t.ID, now.UTC()); err != nil {
			// Serving the request matters more than the last-used time.
			s.log.Warn("recording API token use", "token_id", t.ID, "err", err)
		}
	}
	return u, t.ID, true, nil
}

// startSession creates a session for u and sets its cookie.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, u store.User) error {
	tok, err := newSecret()
	if err != nil {
		return err
	}
	now := s.now().UTC()
	sess := store.Session{TokenHash: hashSecret(tok), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(s.opts.SessionTTL)}
	if err := s.store.CreateSession(r.Context(), sess); err != nil {
		return fmt.Errorf("saving session: %w", err)
	}
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    tok,
		Path:     "/",
		Expires:  sess.ExpiresAt,
		MaxAge:   int(s.opts.SessionTTL / time.Second),
		HttpOnly: true,
		Secure:   s.opts.SecureCookies,
		SameSite: http.SameSiteLaxMode,
	})
	return nil
}

// endSession deletes the request's session, if any, and clears the cookie.
func (s *Server) endSession(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" && len(c.Value) <= 128 {
		if err := s.store.DeleteSession(r.Context(), hashSecret(c.Value)); err != nil && errs.Code(err) != errs.ENOTFOUND {
			return fmt.Errorf("deleting session: %w", err)
		}
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.opts.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
	return nil
}

// public wraps a handler that needs no login; errors become HTML pages.
func (s *Server) public(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.htmlError(w, r, nil, err)
		}
	})
}

// ui wraps a UI page: before the first account exists every page leads to
// /setup; afterwards a missing login leads to /login and back.
func (s *Server) ui(h authedFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		first, err := s.firstRun(r.Context())
		if err != nil {
			s.htmlError(w, r, nil, err)
			return
		}
		if first {
			http.Redirect(w, r, "/setup", http.StatusSeeOther)
			return
		}
		u, ok, err := s.sessionUser(r)
		if err != nil {
			s.htmlError(w, r, nil, err)
			return
		}
		if !ok {
			dest := "/login"
			if r.Method == http.MethodGet && r.URL.RequestURI() != "/" {
				dest += "?next=" + url.QueryEscape(r.URL.RequestURI())
			}
			http.Redirect(w, r, dest, http.StatusSeeOther)
			return
		}
		if err := authorize(r, u); err != nil {
			s.htmlError(w, r, &u, err)
			return
		}
		if err := s.audited(w, r, u, audit.UserActor(u.Name, s.clientIP(r)), h); err != nil {
			s.htmlError(w, r, &u, err)
		}
	})
}

// api wraps a JSON API handler: a bearer token or a session cookie is
// required, and errors become JSON.
func (s *Server) api(h authedFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, tokenID, present, err := s.tokenUser(r)
		if err == nil && !present {
			var ok bool
			u, ok, err = s.sessionUser(r)
			if err == nil && !ok {
				err = errs.Errorf(errs.EUNAUTHORIZED, "log in or send \"Authorization: Bearer <token>\"; create a token under Settings → API tokens")
			}
		}
		if err != nil {
			if errs.Code(err) == errs.EUNAUTHORIZED {
				w.Header().Set("WWW-Authenticate", `Bearer realm="tocsin"`)
			}
			s.jsonError(w, r, err)
			return
		}
		if err := authorize(r, u); err != nil {
			s.jsonError(w, r, err)
			return
		}
		actor := audit.UserActor(u.Name, s.clientIP(r))
		if present {
			actor = audit.TokenActor(tokenID, u.Name, s.clientIP(r))
		}
		if err := s.audited(w, r, u, actor, h); err != nil {
			s.jsonError(w, r, err)
		}
	})
}

// localPath returns p when it is a path on this server, and "/" otherwise,
// so a ?next= parameter cannot send a user to another site.
func localPath(p string) string {
	if p == "" || p[0] != '/' || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		return "/"
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return p
}
