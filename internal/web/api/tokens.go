package api

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// serveTokens serves GET /api/v1/tokens: the caller's tokens, without secrets.
func (s *API) serveTokens(w http.ResponseWriter, r *http.Request, u store.User) error {
	toks, err := s.d.Store.APITokens(r.Context(), u.ID)
	if err != nil {
		return fmt.Errorf("listing API tokens: %w", err)
	}
	out := List[Token]{Data: make([]Token, 0, len(toks))}
	for _, t := range toks {
		out.Data = append(out.Data, toAPIToken(t))
	}
	webcore.WriteJSON(w, http.StatusOK, out)
	return nil
}

type tokenRequest struct {
	Name string `json:"name"`
	// Role is the token's role; "" is the caller's own.
	Role store.Role `json:"role"`
}

// serveTokenCreate serves POST /api/v1/tokens {"name": "..."}; the response
// holds the secret, which is never shown again.
func (s *API) serveTokenCreate(w http.ResponseWriter, r *http.Request, u store.User) error {
	var req tokenRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	t, secret, err := s.d.CreateToken(r, u, req.Name, req.Role)
	if err != nil {
		return err
	}
	at := toAPIToken(t)
	at.Token = secret
	webcore.WriteJSON(w, http.StatusCreated, One[Token]{Data: at})
	return nil
}

// serveTokenDelete serves DELETE /api/v1/tokens/{id}.
func (s *API) serveTokenDelete(w http.ResponseWriter, r *http.Request, u store.User) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return errs.Errorf(errs.ENOTFOUND, "no API token %q", r.PathValue("id"))
	}
	if err := s.d.RevokeToken(r, u, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
