package web

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/tocsin/tocsin/internal/audit"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// OIDC configures sign-in through an OpenID Connect provider
// (config auth.oidc): the authorization code flow with state, nonce and
// PKCE. People are made on their first sign-in with the role their groups
// map to, and the role is evaluated again at each sign-in.
type OIDC struct {
	Issuer, ClientID, ClientSecret, RedirectURL string
	Scopes                                      []string
	// GroupsClaim names the ID token claim holding the groups.
	GroupsClaim string
	// RoleMap is the role of each group; the greatest applies.
	RoleMap map[string]store.Role
	// DefaultRole is the role of a person in no mapped group; "" refuses
	// them.
	DefaultRole store.Role
}

const (
	// oidcCookie holds a sign-in in progress: state, nonce, PKCE verifier
	// and where to go after.
	oidcCookie = "tocsin_oidc"
	// oidcFlowTTL bounds how long a sign-in may take at the provider.
	oidcFlowTTL = 10 * time.Minute
)

// oidcClient is the provider, discovered on first use so that a provider
// that is down does not keep the server from starting.
type oidcClient struct {
	cfg OIDC
	now func() time.Time

	mu       sync.Mutex
	provider *oidc.Provider
}

// provider discovers the provider, once it answers.
func (c *oidcClient) discover(ctx context.Context) (*oidc.Provider, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.provider != nil {
		return c.provider, nil
	}
	p, err := oidc.NewProvider(ctx, c.cfg.Issuer)
	if err != nil {
		return nil, errs.Errorf(errs.EUNAVAILABLE, "the sign-in provider %s cannot be reached: %v", c.cfg.Issuer, err)
	}
	c.provider = p
	return p, nil
}

func (c *oidcClient) oauth2(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{ClientID: c.cfg.ClientID, ClientSecret: c.cfg.ClientSecret, RedirectURL: c.cfg.RedirectURL,
		Endpoint: p.Endpoint(), Scopes: c.cfg.Scopes}
}

// oidcFlow is what the cookie of a sign-in in progress holds.
type oidcFlow struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"next"`
}

// handleOIDCStart sends the browser to the provider.
func (s *Server) handleOIDCStart(w http.ResponseWriter, r *http.Request) error {
	p, err := s.oidc.discover(r.Context())
	if err != nil {
		return err
	}
	state, err := newSecret()
	if err != nil {
		return err
	}
	nonce, err := newSecret()
	if err != nil {
		return err
	}
	f := oidcFlow{State: state, Nonce: nonce, Verifier: oauth2.GenerateVerifier(), Next: localPath(r.URL.Query().Get("next"))}
	b, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("encoding the sign-in: %w", err)
	}
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: hex.EncodeToString(b), Path: "/login/oidc", MaxAge: int(oidcFlowTTL / time.Second),
		HttpOnly: true, Secure: s.opts.SecureCookies, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, s.oidc.oauth2(p).AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(f.Verifier)), http.StatusFound)
	return nil
}

// handleOIDCCallback takes the provider's answer: it checks the state,
// exchanges the code (with the PKCE verifier), verifies the ID token
// (signature, issuer, audience, expiry) and its nonce, maps the groups to
// a role, and starts a session.
func (s *Server) handleOIDCCallback(w http.ResponseWriter, r *http.Request) error {
	f, err := s.oidcFlowOf(r)
	// The flow is used once, whatever comes of it.
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: "", Path: "/login/oidc", MaxAge: -1, HttpOnly: true, Secure: s.opts.SecureCookies, SameSite: http.SameSiteLaxMode})
	if err == nil {
		err = s.oidcSignIn(w, r, f)
	}
	if err != nil {
		if c := errs.Code(err); c == errs.EUNAUTHORIZED || c == errs.EFORBIDDEN {
			s.record(r, audit.Actor{Actor: "anonymous", IP: s.clientIP(r)}, store.AuditEntry{Action: "session.login_failed", ObjectKind: "user",
				Summary: "OIDC sign-in refused: " + errs.Message(err)})
			s.pages.Render(w, r, http.StatusUnauthorized, "login.html", nil, "Log in", loginData{Error: errs.Message(err), OIDC: true})
			return nil
		}
		return err
	}
	return nil
}

// oidcFlowOf reads the sign-in in progress and checks the state the
// provider sent back is its own.
func (s *Server) oidcFlowOf(r *http.Request) (oidcFlow, error) {
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		return oidcFlow{}, errs.Errorf(errs.EUNAUTHORIZED, "The sign-in provider refused: %s %s", e, q.Get("error_description"))
	}
	c, err := r.Cookie(oidcCookie)
	if err != nil || len(c.Value) > 4096 {
		return oidcFlow{}, errs.Errorf(errs.EUNAUTHORIZED, "The sign-in expired or was started in another browser; sign in again.")
	}
	var f oidcFlow
	b, err := hex.DecodeString(c.Value)
	if err == nil {
		err = json.Unmarshal(b, &f)
	}
	if err != nil || f.State == "" {
		return oidcFlow{}, errs.Errorf(errs.EUNAUTHORIZED, "The sign-in could not be read; sign in again.")
	}
	if subtle.ConstantTimeCompare([]byte(f.State), []byte(q.Get("state"))) != 1 {
		return oidcFlow{}, errs.Errorf(errs.EUNAUTHORIZED, "The sign-in state does not match; sign in again.")
	}
	return f, nil
}

func (s *Server) oidcSignIn(w http.ResponseWriter, r *http.Request, f oidcFlow) error {
	ctx := r.Context()
	p, err := s.oidc.discover(ctx)
	if err != nil {
		return err
	}
	code := r.URL.Query().Get("code")
	if code == "" {
		return errs.Errorf(errs.EUNAUTHORIZED, "The sign-in provider sent no code.")
	}
	tok, err := s.oidc.oauth2(p).Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return errs.Errorf(errs.EUNAUTHORIZED, "The sign-in provider did not take the code: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return errs.Errorf(errs.EUNAUTHORIZED, "The sign-in provider sent no ID token.")
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: s.oidc.cfg.ClientID, Now: s.now}).Verify(ctx, raw)
	if err != nil {
		return errs.Errorf(errs.EUNAUTHORIZED, "The ID token was refused: %v", err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		return errs.Errorf(errs.EUNAUTHORIZED, "The ID token was refused: its nonce is not this sign-in's.")
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return errs.Errorf(errs.EUNAUTHORIZED, "The ID token's claims could not be read: %v", err)
	}
	role := s.oidc.role(claims)
	if role == "" {
		return errs.Errorf(errs.EFORBIDDEN, "Your groups give you no role here; ask an administrator.")
	}
	u, err := s.oidcUser(r, idt.Issuer+" "+idt.Subject, oidcName(claims, idt.Subject), role)
	if err != nil {
		return err
	}
	if err := s.startSession(w, r, u); err != nil {
		return err
	}
	s.record(r, audit.UserActor(u.Name, s.clientIP(r)), store.AuditEntry{Action: "session.login", ObjectKind: "user", ObjectID: u.Name,
		Summary: "signed in with OIDC as " + string(u.Role)})
	http.Redirect(w, r, localPath(f.Next), http.StatusSeeOther)
	return nil
}

// role maps the groups of claims to the greatest role they give, or the
// default role.
func (c *oidcClient) role(claims map[string]any) store.Role {
	var groups []string
	switch g := claims[c.cfg.GroupsClaim].(type) {
	case string:
		groups = []string{g}
	case []any:
		for _, v := range g {
			if s, ok := v.(string); ok {
				groups = append(groups, s)
			}
		}
	}
	var best store.Role
	for _, g := range groups {
		if r, ok := c.cfg.RoleMap[g]; ok && (best == "" || r.Allows(best)) {
			best = r
		}
	}
	if best == "" {
		best = c.cfg.DefaultRole
	}
	return best
}

// oidcName is the name an account made by a sign-in gets: the
// preferred_username, the email or the subject.
func oidcName(claims map[string]any, sub string) string {
	for _, k := range []string{"preferred_username", "email"} {
		if v, ok := claims[k].(string); ok && strings.TrimSpace(v) != "" && len(v) <= 200 {
			return strings.TrimSpace(v)
		}
	}
	return sub
}

// oidcUser returns the account of subject, made on the first sign-in,
// with its role set to role. A name a local account has is told apart by
// a suffix, so a sign-in never takes over another account.
func (s *Server) oidcUser(r *http.Request, subject, name string, role store.Role) (store.User, error) {
	ctx := r.Context()
	actor := audit.Actor{Actor: store.ActorSystem, IP: s.clientIP(r)}
	u, err := s.store.UserByOIDCSubject(ctx, subject)
	if err == nil {
		if u.Role != role {
			if err := s.store.SetUserRole(ctx, u.ID, role); err != nil {
				return store.User{}, fmt.Errorf("setting the role of %s: %w", u.Name, err)
			}
			s.record(r, actor, store.AuditEntry{Action: "user.role", ObjectKind: "user", ObjectID: u.Name,
				Summary: fmt.Sprintf("role changed from %s to %s by the groups of an OIDC sign-in", u.Role, role)})
			u.Role = role
		}
		return u, nil
	}
	if errs.Code(err) != errs.ENOTFOUND {
		return store.User{}, fmt.Errorf("looking up %s: %w", subject, err)
	}
	nu := store.User{Name: name, Role: role, OIDCSubject: subject, CreatedAt: s.now().UTC()}
	u, err = s.store.CreateUser(ctx, nu)
	if errs.Code(err) == errs.ECONFLICT {
		sum := sha256.Sum256([]byte(subject))
		nu.Name = fmt.Sprintf("%s~%x", name, sum[:3])
		u, err = s.store.CreateUser(ctx, nu)
	}
	if err != nil {
		return store.User{}, fmt.Errorf("making the account of %s: %w", subject, err)
	}
	s.hasUsers.Store(true)
	s.record(r, actor, store.AuditEntry{Action: "user.create", ObjectKind: "user", ObjectID: u.Name,
		Summary: fmt.Sprintf("made with the %s role at a first OIDC sign-in (%s)", u.Role, subject)})
	return u, nil
}
