package ui

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

type tokensData struct {
	Tokens []store.APIToken
	// NewToken is the secret of a token just created, shown once.
	NewToken string
	NewName  string
	Error    string
	Name     string
	// Roles are the roles a token may be given; the page offers those
	// the user has.
	Roles []store.Role
}

// handleTokens renders "/settings/tokens".
func (s *UI) handleTokens(w http.ResponseWriter, r *http.Request, u store.User) error {
	return s.renderTokens(w, r, u, http.StatusOK, tokensData{})
}

func (s *UI) renderTokens(w http.ResponseWriter, r *http.Request, u store.User, status int, data tokensData) error {
	toks, err := s.d.Store.APITokens(r.Context(), u.ID)
	if err != nil {
		return fmt.Errorf("listing API tokens: %w", err)
	}
	data.Tokens = toks
	data.Roles = store.Roles
	s.Render(w, r, status, "tokens.html", &u, "API tokens", data)
	return nil
}

// handleTokenCreate creates a token and shows its secret once.
func (s *UI) handleTokenCreate(w http.ResponseWriter, r *http.Request, u store.User) error {
	r.Body = http.MaxBytesReader(w, r.Body, webcore.MaxBody)
	if err := r.ParseForm(); err != nil {
		return errs.Errorf(errs.EINVALID, "the form could not be read: %v", err)
	}
	name := r.PostForm.Get("name")
	tok, secret, err := s.d.CreateToken(r, u, name, store.Role(r.PostForm.Get("role")))
	if c := errs.Code(err); c == errs.EINVALID || c == errs.ECONFLICT || c == errs.EFORBIDDEN {
		return s.renderTokens(w, r, u, http.StatusBadRequest, tokensData{Error: errs.Message(err), Name: name})
	}
	if err != nil {
		return err
	}
	return s.renderTokens(w, r, u, http.StatusOK, tokensData{NewToken: secret, NewName: tok.Name})
}

// handleTokenRevoke deletes one of the user's tokens.
func (s *UI) handleTokenRevoke(w http.ResponseWriter, r *http.Request, u store.User) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return errs.Errorf(errs.ENOTFOUND, "There is no API token %q.", r.PathValue("id"))
	}
	if err := s.d.RevokeToken(r, u, id); err != nil {
		return err
	}
	http.Redirect(w, r, "/settings/tokens", http.StatusSeeOther)
	return nil
}
