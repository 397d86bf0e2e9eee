package api

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// User is an account as the API shows it: never its password hash.
type User struct {
	ID   int64      `json:"id"`
	Name string     `json:"name"`
	Role store.Role `json:"role"`
	// SignIn is how the person signs in: "password" or "oidc".
	SignIn    string    `json:"sign_in"`
	CreatedAt time.Time `json:"created_at"`
}

func toAPIUser(u store.User) User {
	return User{ID: u.ID, Name: u.Name, Role: u.Role, SignIn: webcore.SignIn(u), CreatedAt: u.CreatedAt.UTC()}
}

// serveUsers serves GET /api/v1/users (administrators): every account.
func (s *API) serveUsers(w http.ResponseWriter, r *http.Request, _ store.User) error {
	users, err := s.d.Store.Users(r.Context())
	if err != nil {
		return fmt.Errorf("listing users: %w", err)
	}
	out := List[User]{Data: make([]User, 0, len(users))}
	for _, u := range users {
		out.Data = append(out.Data, toAPIUser(u))
	}
	webcore.WriteJSON(w, http.StatusOK, out)
	return nil
}

type userPatch struct {
	Role store.Role `json:"role"`
}

// serveUserUpdate serves PATCH /api/v1/users/{id} {"role": "responder"}
// (administrators). The last administrator keeps their role, so that
// someone can always manage the server.
func (s *API) serveUserUpdate(w http.ResponseWriter, r *http.Request, _ store.User) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return errs.Errorf(errs.ENOTFOUND, "no user %q", r.PathValue("id"))
	}
	var req userPatch
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	target, err := s.d.SetUserRole(r.Context(), id, req.Role)
	if err != nil {
		return err
	}
	webcore.WriteJSON(w, http.StatusOK, One[User]{Data: toAPIUser(target)})
	return nil
}
