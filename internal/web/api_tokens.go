package web

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// apiTokens serves GET /api/v1/tokens: the caller's tokens, without secrets.
func (s *Server) apiTokens(w http.ResponseWriter, r *http.Request, u store.User) error {
	toks, err := s.store.APITokens(r.Context(), u.ID)
	if err != nil {
		return fmt.Errorf("listing API tokens: %w", err)
	}
	out := list[apiToken]{Data: make([]apiToken, 0, len(toks))}
	for _, t := range toks {
		out.Data = append(out.Data, toAPIToken(t))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type tokenRequest struct {
	Name string `json:"name"`
}

// apiTokenCreate serves POST /api/v1/tokens {"name": "..."}; the response
// holds the secret, which is never shown again.
func (s *Server) apiTokenCreate(w http.ResponseWriter, r *http.Request, u store.User) error {
	var req tokenRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	t, secret, err := s.createToken(r, u, req.Name)
	if err != nil {
		return err
	}
	at := toAPIToken(t)
	at.Token = secret
	writeJSON(w, http.StatusCreated, one[apiToken]{Data: at})
	return nil
}

// apiTokenDelete serves DELETE /api/v1/tokens/{id}.
func (s *Server) apiTokenDelete(w http.ResponseWriter, r *http.Request, u store.User) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return errs.Errorf(errs.ENOTFOUND, "no API token %q", r.PathValue("id"))
	}
	if err := s.revokeToken(r, u, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
