package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tocsin/tocsin/internal/audit"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

type setupData struct {
	Name  string
	Error string
	Min   int
}

// handleSetupForm renders "/setup" on first run; afterwards it is gone.
func (s *Server) handleSetupForm(w http.ResponseWriter, r *http.Request) error {
	first, err := s.firstRun(r.Context())
	if err != nil {
		return err
	}
	if !first {
		return errs.Errorf(errs.ENOTFOUND, "Setup is done: an administrator exists. Log in instead.")
	}
	s.pages.Render(w, r, http.StatusOK, "setup.html", nil, "Set up Tocsin", setupData{Min: MinPasswordLength})
	return nil
}

// handleSetup creates the first administrator and logs them in.
func (s *Server) handleSetup(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, webcore.MaxBody)
	if err := r.ParseForm(); err != nil {
		return errs.Errorf(errs.EINVALID, "the setup form could not be read: %v", err)
	}
	s.setupMu.Lock()
	defer s.setupMu.Unlock()
	first, err := s.firstRun(r.Context())
	if err != nil {
		return err
	}
	if !first {
		return errs.Errorf(errs.ENOTFOUND, "Setup is done: an administrator exists. Log in instead.")
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	pw, pw2 := r.PostForm.Get("password"), r.PostForm.Get("password2")
	data := setupData{Name: name, Min: MinPasswordLength}
	if msg := checkNewAccount(name, pw, pw2); msg != "" {
		data.Error = msg
		s.pages.Render(w, r, http.StatusBadRequest, "setup.html", nil, "Set up Tocsin", data)
		return nil
	}
	hash, err := s.hashPassword(r.Context(), pw)
	if errors.Is(err, errHashBusy) {
		data.Error = "The server is busy checking passwords. Try again in a few seconds."
		w.Header().Set("Retry-After", strconv.Itoa(hashBusyRetryAfter))
		s.pages.Render(w, r, http.StatusTooManyRequests, "setup.html", nil, "Set up Tocsin", data)
		return nil
	}
	if err != nil {
		return err
	}
	u, err := s.store.CreateUser(r.Context(), store.User{Name: name, PasswordHash: hash, Role: store.RoleAdmin, CreatedAt: s.now().UTC()})
	if err != nil {
		return fmt.Errorf("creating the administrator: %w", err)
	}
	s.hasUsers.Store(true)
	s.record(r, audit.UserActor(u.Name, s.clientIP(r)), store.AuditEntry{Action: "user.create", ObjectKind: "user", ObjectID: u.Name,
		Summary: "the first account, an administrator, created at setup"})
	if err := s.startSession(w, r, u); err != nil {
		return err
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

// checkNewAccount returns what is wrong with a new account's name and
// password, or "" when they are fine.
func checkNewAccount(name, pw, pw2 string) string {
	switch {
	case name == "":
		return "Choose a name to log in with."
	case utf8.RuneCountInString(name) > 64 || !utf8.ValidString(name):
		return "The name must be valid text of at most 64 characters."
	case utf8.RuneCountInString(pw) < MinPasswordLength:
		return fmt.Sprintf("The password must have at least %d characters.", MinPasswordLength)
	case len(pw) > maxPasswordLength:
		return fmt.Sprintf("The password must have at most %d characters.", maxPasswordLength)
	case pw != pw2:
		return "The two passwords differ."
	}
	return ""
}
