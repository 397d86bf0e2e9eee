package webcore

import (
	"context"
	"fmt"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// SignIn says how a user signs in: "password" or "oidc".
func SignIn(u store.User) string {
	if u.OIDCSubject != "" {
		return "oidc"
	}
	return "password"
}

// SetUserRole gives the user id the role, for the users page and
// PATCH /api/v1/users/{id}. The last administrator keeps their role, so
// that someone can always manage the server. It returns the user as
// changed.
func (d Deps) SetUserRole(ctx context.Context, id int64, role store.Role) (store.User, error) {
	if !role.Valid() {
		return store.User{}, errs.Errorf(errs.EINVALID, "role must be viewer, responder or admin, not %q", role)
	}
	target, err := d.Store.User(ctx, id)
	if err != nil {
		return store.User{}, err
	}
	if target.Role == store.RoleAdmin && role != store.RoleAdmin {
		users, err := d.Store.Users(ctx)
		if err != nil {
			return store.User{}, fmt.Errorf("listing users: %w", err)
		}
		admins := 0
		for _, u := range users {
			if u.Role == store.RoleAdmin {
				admins++
			}
		}
		if admins <= 1 {
			return store.User{}, errs.Errorf(errs.ECONFLICT, "%s is the last administrator: make someone else an administrator first", target.Name)
		}
	}
	if err := d.Store.SetUserRole(ctx, id, role); err != nil {
		return store.User{}, err
	}
	target.Role = role
	return target, nil
}
