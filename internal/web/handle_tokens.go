package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// maxTokenName bounds an API token's name.
const maxTokenName = 100

type tokensData struct {
	Tokens []store.APIToken
	// NewToken is the secret of a token just created, shown once.
	NewToken string
	NewName  string
	Error    string
	Name     string
}

// handleTokens renders "/settings/tokens".
func (s *Server) handleTokens(w http.ResponseWriter, r *http.Request, u store.User) error {
	return s.renderTokens(w, r, u, http.StatusOK, tokensData{})
}

func (s *Server) renderTokens(w http.ResponseWriter, r *http.Request, u store.User, status int, data tokensData) error {
	toks, err := s.store.APITokens(r.Context(), u.ID)
	if err != nil {
		return fmt.Errorf("listing API tokens: %w", err)
	}
	data.Tokens = toks
	s.render(w, r, status, "tokens.html", &u, "API tokens", data)
	return nil
}

// handleTokenCreate creates a token and shows its secret once.
func (s *Server) handleTokenCreate(w http.ResponseWriter, r *http.Request, u store.User) error {
	r.Body = http.MaxBytesReader(w, r.Body, webcore.MaxBody)
	if err := r.ParseForm(); err != nil {
		return errs.Errorf(errs.EINVALID, "the form could not be read: %v", err)
	}
	name := r.PostForm.Get("name")
	tok, secret, err := s.createToken(r, u, name)
	if errs.Code(err) == errs.EINVALID || errs.Code(err) == errs.ECONFLICT {
		return s.renderTokens(w, r, u, http.StatusBadRequest, tokensData{Error: errs.Message(err), Name: name})
	}
	if err != nil {
		return err
	}
	return s.renderTokens(w, r, u, http.StatusOK, tokensData{NewToken: secret, NewName: tok.Name})
}

// handleTokenRevoke deletes one of the user's tokens.
func (s *Server) handleTokenRevoke(w http.ResponseWriter, r *http.Request, u store.User) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return errs.Errorf(errs.ENOTFOUND, "There is no API token %q.", r.PathValue("id"))
	}
	if err := s.revokeToken(r, u, id); err != nil {
		return err
	}
	http.Redirect(w, r, "/settings/tokens", http.StatusSeeOther)
	return nil
}

// createToken validates name and stores a new token for u, returning it
// with its secret.
func (s *Server) createToken(r *http.Request, u store.User, name string) (store.APIToken, string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return store.APIToken{}, "", errs.Errorf(errs.EINVALID, "give the token a name, such as the script that will use it")
	}
	if utf8.RuneCountInString(name) > maxTokenName || !utf8.ValidString(name) {
		return store.APIToken{}, "", errs.Errorf(errs.EINVALID, "the token name must be valid text of at most %d characters", maxTokenName)
	}
	secret, err := newSecret()
	if err != nil {
		return store.APIToken{}, "", err
	}
	secret = tokenPrefix + secret
	t, err := s.store.CreateAPIToken(r.Context(), store.APIToken{
		UserID:    u.ID,
		Name:      name,
		TokenHash: hashSecret(secret),
		Prefix:    secret[:shownPrefixLen],
		CreatedAt: s.now().UTC(),
	})
	if err != nil {
		if errs.Code(err) == errs.ECONFLICT {
			return store.APIToken{}, "", errs.Errorf(errs.ECONFLICT, "a token named %q exists already", name)
		}
		return store.APIToken{}, "", fmt.Errorf("saving API token: %w", err)
	}
	return t, secret, nil
}

// revokeToken deletes token id of user u.
func (s *Server) revokeToken(r *http.Request, u store.User, id int64) error {
	if err := s.store.DeleteAPIToken(r.Context(), u.ID, id); err != nil {
		if errs.Code(err) == errs.ENOTFOUND {
			return errs.Errorf(errs.ENOTFOUND, "There is no API token %d.", id)
		}
		return fmt.Errorf("revoking API token %d: %w", id, err)
	}
	return nil
}
