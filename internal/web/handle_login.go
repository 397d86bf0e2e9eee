package web

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/tocsin/tocsin/internal/audit"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// hashBusyRetryAfter is the Retry-After, in seconds, of a login or setup
// refused because every hashing slot stayed busy.
const hashBusyRetryAfter = 2

type loginData struct {
	Name  string
	Next  string
	Error string
	// OIDC shows the button that signs in through the OIDC provider.
	OIDC bool
}

// handleLoginForm renders "/login".
func (s *Server) handleLoginForm(w http.ResponseWriter, r *http.Request) error {
	first, err := s.firstRun(r.Context())
	if err != nil {
		return err
	}
	if first {
		http.Redirect(w, r, "/setup", http.StatusSeeOther)
		return nil
	}
	if _, ok, err := s.sessionUser(r); err == nil && ok {
		http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
		return nil
	}
	s.pages.Render(w, r, http.StatusOK, "login.html", nil, "Log in", loginData{Next: localPath(r.URL.Query().Get("next")), OIDC: s.oidc != nil})
	return nil
}

// handleLogin checks a name and password and starts a session.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, webcore.MaxBody)
	if err := r.ParseForm(); err != nil {
		return errs.Errorf(errs.EINVALID, "the login form could not be read: %v", err)
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	pw := r.PostForm.Get("password")
	data := loginData{Name: name, Next: localPath(r.PostForm.Get("next")), OIDC: s.oidc != nil}

	// The attempt is reserved before anything is looked up or hashed, so
	// parallel requests cannot overrun the budgets; it is given back when
	// the password was never checked or was right.
	res, ok, wait := s.limiter.Reserve(loginBudgets(s.clientIP(r), name)...)
	if !ok {
		data.Error = fmt.Sprintf("Too many failed logins. Try again in %d minutes.", int(math.Ceil(wait.Minutes())))
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		s.pages.Render(w, r, http.StatusTooManyRequests, "login.html", nil, "Log in", data)
		return nil
	}
	u, err := s.store.UserByName(r.Context(), name)
	known := err == nil
	hash := u.PasswordHash
	if errs.Code(err) == errs.ENOTFOUND {
		// Check against a hash of the same cost, so an unknown name
		// takes as long as a wrong password.
		hash = s.dummyHash
	} else if err != nil {
		s.limiter.Release(res)
		return fmt.Errorf("looking up user: %w", err)
	}
	match, herr := s.verifyPassword(r.Context(), hash, pw)
	if errors.Is(herr, errHashBusy) || errors.Is(herr, context.Canceled) || errors.Is(herr, context.DeadlineExceeded) {
		// The password was never checked.
		s.limiter.Release(res)
		data.Error = "The server is busy checking other logins. Try again in a few seconds."
		w.Header().Set("Retry-After", strconv.Itoa(hashBusyRetryAfter))
		s.pages.Render(w, r, http.StatusTooManyRequests, "login.html", nil, "Log in", data)
		return nil
	}
	if herr != nil && known {
		s.log.Error("checking password", "user", name, "err", herr)
	}
	if !match || !known {
		s.record(r, audit.Actor{Actor: "anonymous", IP: s.clientIP(r)}, store.AuditEntry{Action: "session.login_failed", ObjectKind: "user", ObjectID: name,
			Summary: "wrong name or password"})
		data.Error = "Wrong name or password."
		s.pages.Render(w, r, http.StatusUnauthorized, "login.html", nil, "Log in", data)
		return nil
	}
	s.limiter.Succeed(res)
	if err := s.startSession(w, r, u); err != nil {
		return err
	}
	s.record(r, audit.UserActor(u.Name, s.clientIP(r)), store.AuditEntry{Action: "session.login", ObjectKind: "user", ObjectID: u.Name})
	http.Redirect(w, r, data.Next, http.StatusSeeOther)
	return nil
}

// handleLogout ends the session.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) error {
	u, known, _ := s.sessionUser(r)
	if err := s.endSession(w, r); err != nil {
		return err
	}
	if known {
		s.record(r, audit.UserActor(u.Name, s.clientIP(r)), store.AuditEntry{Action: "session.logout", ObjectKind: "user", ObjectID: u.Name})
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}
