package ui

import (
	"fmt"
	"html/template"
	"net/http"
	"strconv"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// userRow is one account on the users page.
type userRow struct {
	store.User
	SignIn  string
	Created template.HTML
}

type usersData struct {
	Users []userRow
	Roles []store.Role
	// Error says why the last change was refused; Changed names the user
	// whose role was just changed.
	Error   string
	Changed string
}

// handleUsers renders "/users": every account with its role, how it
// signs in and when it was created, for administrators.
func (s *UI) handleUsers(w http.ResponseWriter, r *http.Request, u store.User) error {
	return s.renderUsers(w, r, u, http.StatusOK, usersData{})
}

func (s *UI) renderUsers(w http.ResponseWriter, r *http.Request, u store.User, status int, data usersData) error {
	if err := webcore.RequireAdmin(u, "the users page"); err != nil {
		return err
	}
	users, err := s.d.Store.Users(r.Context())
	if err != nil {
		return fmt.Errorf("listing users: %w", err)
	}
	clk := clock{now: s.d.Now(), loc: viewerZone(r)}
	for _, x := range users {
		data.Users = append(data.Users, userRow{User: x, SignIn: webcore.SignIn(x), Created: clk.when(x.CreatedAt)})
	}
	data.Roles = store.Roles
	s.Render(w, r, status, "users.html", &u, "Users", data)
	return nil
}

// handleUserRole changes a user's role from the users page, as
// PATCH /api/v1/users/{id} does; a refusal (the last administrator) is
// shown on the page.
func (s *UI) handleUserRole(w http.ResponseWriter, r *http.Request, u store.User) error {
	if err := webcore.RequireAdmin(u, "the users page"); err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return errs.Errorf(errs.ENOTFOUND, "There is no user %q.", r.PathValue("id"))
	}
	r.Body = http.MaxBytesReader(w, r.Body, webcore.MaxBody)
	if err := r.ParseForm(); err != nil {
		return errs.Errorf(errs.EINVALID, "the form could not be read: %v", err)
	}
	changed, err := s.d.SetUserRole(r.Context(), id, store.Role(r.PostForm.Get("role")))
	if c := errs.Code(err); c == errs.EINVALID || c == errs.ECONFLICT {
		status := http.StatusBadRequest
		if c == errs.ECONFLICT {
			status = http.StatusConflict
		}
		return s.renderUsers(w, r, u, status, usersData{Error: errs.Message(err)})
	}
	if err != nil {
		return err
	}
	if changed.ID == u.ID && !changed.Can(store.RoleAdmin) {
		// An administrator who stepped down may no longer see the page.
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	return s.renderUsers(w, r, u, http.StatusOK, usersData{Changed: changed.Name + " is now " + string(changed.Role) + "."})
}
