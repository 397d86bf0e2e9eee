package webcore

import (
	"context"

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
// that someone can always manage the server; the store checks it in the
// statement that changes the role, so two administrators demoting each
// other at once cannot both succeed. It returns the user as changed.
func (d Deps) SetUserRole(ctx context.Context, id int64, role store.Role) (store.User, error) {
	if !role.Valid() {
		return store.User{}, errs.Errorf(errs.EINVALID, "role must be viewer, responder or admin, not %q", role)
	}
	target, err := d.Store.User(ctx, id)
	if err != nil {
		return store.User{}, err
	}
	if err := d.Store.SetUserRoleUnlessLastAdmin(ctx, id, role); err != nil {
		if errs.Code(err) == errs.ECONFLICT {
			return store.User{}, errs.Errorf(errs.ECONFLICT, "%s is the last administrator: make someone else an administrator first", target.Name)
		}
		return store.User{}, err
	}
	target.Role = role
	return target, nil
}
