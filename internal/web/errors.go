package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// statusByCode is the one table from error codes to HTTP statuses.
var statusByCode = map[string]int{
	errs.EINVALID:      http.StatusBadRequest,
	errs.EUNAUTHORIZED: http.StatusUnauthorized,
	errs.EFORBIDDEN:    http.StatusForbidden,
	errs.ENOTFOUND:     http.StatusNotFound,
	errs.ECONFLICT:     http.StatusConflict,
	errs.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	errs.ERATELIMIT:    http.StatusTooManyRequests,
	errs.EUNAVAILABLE:  http.StatusServiceUnavailable,
	errs.EINTERNAL:     http.StatusInternalServerError,
}

// errorStatus returns the HTTP status for err and its normalised code.
func errorStatus(err error) (int, string) {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return http.StatusRequestEntityTooLarge, errs.ETOOLARGE
	}
	code := errs.Code(err)
	st, ok := statusByCode[code]
	if !ok {
		return http.StatusInternalServerError, errs.EINTERNAL
	}
	return st, code
}

// errorMessage is what the caller is told about err; internal details stay
// in the log.
func errorMessage(err error) string {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return "the request body is larger than 1 MiB"
	}
	return errs.Message(err)
}

// logError logs internal errors; every other code is the caller's doing
// and not worth an operator's attention.
func (s *Server) logError(r *http.Request, status int, err error) {
	if status >= 500 && status != http.StatusServiceUnavailable {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	} else if status == http.StatusServiceUnavailable {
		s.log.Warn("request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	}
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// jsonError writes err as `{"error": {"code": ..., "message": ...}}`.
func (s *Server) jsonError(w http.ResponseWriter, r *http.Request, err error) {
	status, code := errorStatus(err)
	s.logError(r, status, err)
	webcore.WriteJSON(w, status, errorBody{Error: errorDetail{Code: code, Message: errorMessage(err)}})
}

// htmlError renders err as an error page. u is the logged-in user, if any.
func (s *Server) htmlError(w http.ResponseWriter, r *http.Request, u *store.User, err error) {
	status, _ := errorStatus(err)
	s.logError(r, status, err)
	title := http.StatusText(status)
	if status == http.StatusNotFound {
		title = "Page not found"
	}
	s.pages.Render(w, r, status, "error.html", u, title, errorPage{Status: status, Message: errorMessage(err)})
}

type errorPage struct {
	Status  int
	Message string
}

// handleNotFound answers every path no other route matches.
func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) error {
	var u *store.User
	if su, ok, err := s.sessionUser(r); err == nil && ok {
		u = &su
	}
	s.htmlError(w, r, u, errs.Errorf(errs.ENOTFOUND, "There is nothing at %s.", r.URL.Path))
	return nil
}

// apiNotFound answers unknown paths under /api/.
func (s *Server) apiNotFound(w http.ResponseWriter, r *http.Request, _ store.User) error {
	return errs.Errorf(errs.ENOTFOUND, "no API endpoint %s %s; see /api/v1/openapi.json", r.Method, r.URL.Path)
}

// unrouted serves the requests no route matches, which ServeMux answers in
// plain text: 404, or 405 with the Allow header it works out from the
// patterns registered for the path. The answers are replaced by ones in the
// form of the part of the site asked for: a JSON error under /api/, a page
// elsewhere. Matched requests go straight to the mux.
func (s *Server) unrouted(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(&unroutedWriter{ResponseWriter: w, s: s, r: r}, r)
	})
}

// unroutedWriter replaces the mux's plain-text 404 and 405; anything else
// (the redirect of an unclean path) passes through.
type unroutedWriter struct {
	http.ResponseWriter
	s        *Server
	r        *http.Request
	replaced bool
}

func (w *unroutedWriter) WriteHeader(status int) {
	if w.replaced {
		return
	}
	switch status {
	case http.StatusNotFound:
		w.replaced = true
		if strings.HasPrefix(w.r.URL.Path, "/api/") {
			w.s.api(w.s.apiNotFound).ServeHTTP(w.ResponseWriter, w.r)
		} else {
			w.s.public(w.s.handleNotFound).ServeHTTP(w.ResponseWriter, w.r)
		}
	case http.StatusMethodNotAllowed:
		w.replaced = true
		w.s.methodNotAllowed(w.ResponseWriter, w.r)
	default:
		w.ResponseWriter.WriteHeader(status)
	}
}

func (w *unroutedWriter) Write(b []byte) (int, error) {
	if w.replaced {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// methodNotAllowed answers a method the path does not take, keeping the
// Allow header the mux set. It needs no login: which methods a path takes
// is no secret (the OpenAPI description lists them).
func (s *Server) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	allow := w.Header().Get("Allow")
	if strings.HasPrefix(r.URL.Path, "/api/") {
		webcore.WriteJSON(w, http.StatusMethodNotAllowed, errorBody{Error: errorDetail{Code: codeMethodNotAllowed,
			Message: fmt.Sprintf("%s %s is not an API endpoint; %s takes %s", r.Method, r.URL.Path, r.URL.Path, allow)}})
		return
	}
	var u *store.User
	if su, ok, err := s.sessionUser(r); err == nil && ok {
		u = &su
	}
	s.pages.Render(w, r, http.StatusMethodNotAllowed, "error.html", u, "Method not allowed", errorPage{Status: http.StatusMethodNotAllowed,
		Message: fmt.Sprintf("%s does not take %s requests, only %s.", r.URL.Path, r.Method, allow)})
}

// codeMethodNotAllowed is the API error code of a 405.
const codeMethodNotAllowed = "method_not_allowed"

// crossOriginDenied answers unsafe requests that came from another origin.
func (s *Server) crossOriginDenied(w http.ResponseWriter, r *http.Request) {
	err := errs.Errorf(errs.EFORBIDDEN, "cross-origin request refused: unsafe requests must come from this site's own pages")
	if strings.HasPrefix(r.URL.Path, "/api/") {
		s.jsonError(w, r, err)
		return
	}
	s.htmlError(w, r, nil, err)
}
