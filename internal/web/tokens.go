package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tocsin/tocsin/internal/audit"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// maxTokenName bounds an API token's name.
const maxTokenName = 100

// createToken validates name and role and stores a new token for u,
// returning it with its secret. The token's role is role, or u's own when
// role is ""; never more than u's.
func (s *Server) createToken(r *http.Request, u store.User, name string, role store.Role) (store.APIToken, string, error) {
	if role == "" {
		role = u.Role
	}
	if _, err := store.ParseRole(string(role)); err != nil {
		return store.APIToken{}, "", err
	}
	if !u.Can(role) {
		return store.APIToken{}, "", errs.Errorf(errs.EFORBIDDEN, "a token cannot have more than your role: you act with the %s role, not %s", u.Role, role)
	}
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
		Role:      role,
		CreatedAt: s.now().UTC(),
	})
	if err != nil {
		if errs.Code(err) == errs.ECONFLICT {
			return store.APIToken{}, "", errs.Errorf(errs.ECONFLICT, "a token named %q exists already", name)
		}
		return store.APIToken{}, "", fmt.Errorf("saving API token: %w", err)
	}
	audit.Annotate(r.Context(), strconv.FormatInt(t.ID, 10), fmt.Sprintf("API token %q (%s…) of %s created with the %s role", t.Name, t.Prefix, u.Name, t.Role))
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
	audit.Annotate(r.Context(), strconv.FormatInt(id, 10), fmt.Sprintf("API token %d of %s revoked", id, u.Name))
	return nil
}
