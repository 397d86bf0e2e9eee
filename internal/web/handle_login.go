package web

import (
	"fmt"
	"math"
	"net/http"
	"strings"

	"github.com/tocsin/tocsin/internal/errs"
)

// maxBody bounds every request body.
const maxBody = 1 << 20

type loginData struct {
	Name  string
	Next  string
	Error string
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
	s.render(w, r, http.StatusOK, "login.html", nil, "Log in", loginData{Next: localPath(r.URL.Query().Get("next"))})
	return nil
}

// handleLogin checks a name and password and starts a session.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		return errs.Errorf(errs.EINVALID, "the login form could not be read: %v", err)
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	pw := r.PostForm.Get("password")
	data := loginData{Name: name, Next: localPath(r.PostForm.Get("next"))}

	key := limiterKey(s.clientIP(r), name)
	if ok, wait := s.limiter.Allow(key); !ok {
		data.Error = fmt.Sprintf("Too many failed logins. Try again in %d minutes.", int(math.Ceil(wait.Minutes())))
		s.render(w, r, http.StatusTooManyRequests, "login.html", nil, "Log in", data)
		return nil
	}
	u, err := s.store.UserByName(r.Context(), name)
	hash := u.PasswordHash
	if errs.Code(err) == errs.ENOTFOUND {
		if hash, herr := s.dummyHash(); herr == nil {
			_, _ = checkPassword(hash, pw)
		}
	} else if err != nil {
		return fmt.Errorf("looking up user: %w", err)
	}
	match := false
	if err == nil {
		var herr error
		if match, herr = checkPassword(hash, pw); herr != nil {
			s.log.Error("checking password", "user", name, "err", herr)
		}
	}
	if !match {
		s.limiter.Fail(key)
		data.Error = "Wrong name or password."
		s.render(w, r, http.StatusUnauthorized, "login.html", nil, "Log in", data)
		return nil
	}
	s.limiter.Succeed(key)
	if err := s.startSession(w, r, u); err != nil {
		return err
	}
	http.Redirect(w, r, data.Next, http.StatusSeeOther)
	return nil
}

// handleLogout ends the session.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) error {
	if err := s.endSession(w, r); err != nil {
		return err
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}
