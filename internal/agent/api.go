package agent

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/probe"
)

// Paths of the agent API.
const (
	AssignmentPath = "/api/agent/v1/assignment"
	ResultsPath    = "/api/agent/v1/results"
)

// Limits of one push: a batch holds at most MaxBatch results and its body,
// unpacked, at most MaxBody bytes.
const (
	MaxBatch = 1000
	MaxBody  = 8 << 20
)

// PushRequest is the body of POST /api/agent/v1/results.
type PushRequest struct {
	Results []probe.Result `json:"results"`
}

// PushResponse answers a push: one verdict per result, in order.
type PushResponse struct {
	Results []Verdict `json:"results"`
}

// Register adds the agent API's routes with handle (a ServeMux's Handle).
func (s *Server) Register(handle func(pattern string, h http.Handler)) {
	handle("GET "+AssignmentPath, s.authed(s.handleAssignment))
	handle("POST "+ResultsPath, s.authed(s.handleResults))
}

func (s *Server) authed(h func(w http.ResponseWriter, r *http.Request, who Identity)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			token = ""
		}
		who, err := s.Authenticate(r.Context(), strings.TrimSpace(token))
		if err != nil {
			writeError(w, err)
			return
		}
		s.Seen(who.ID)
		h(w, r, who)
	})
}

func (s *Server) handleAssignment(w http.ResponseWriter, r *http.Request, who Identity) {
	a, err := s.Assignment(who)
	if err != nil {
		writeError(w, err)
		return
	}
	etag := `"` + a.Version + `"`
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *Server) handleResults(w http.ResponseWriter, r *http.Request, who Identity) {
	var body io.Reader = http.MaxBytesReader(w, r.Body, MaxBody)
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(body)
		if err != nil {
			writeError(w, errs.Errorf(errs.EINVALID, "the body is not gzip: %v", err))
			return
		}
		defer zr.Close()
		body = io.LimitReader(zr, MaxBody+1)
	}
	var req PushRequest
	dec := json.NewDecoder(body)
	if err := dec.Decode(&req); err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			writeError(w, errs.Errorf(errs.ETOOLARGE, "the batch is larger than %d bytes", MaxBody))
			return
		}
		writeError(w, errs.Errorf(errs.EINVALID, "the body is not a batch of results: %v", err))
		return
	}
	if len(req.Results) > MaxBatch {
		writeError(w, errs.Errorf(errs.ETOOLARGE, "%d results in one batch; at most %d", len(req.Results), MaxBatch))
		return
	}
	verdicts, err := s.Accept(r.Context(), who, req.Results)
	if err != nil {
		w.Header().Set("Retry-After", "5")
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, PushResponse{Results: verdicts})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"data": v})
}

// apiError is the body of an error answer, as the JSON API writes it.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, err error) {
	code := errs.Code(err)
	status := http.StatusInternalServerError
	switch code {
	case errs.EINVALID:
		status = http.StatusBadRequest
	case errs.EUNAUTHORIZED:
		status = http.StatusUnauthorized
	case errs.ETOOLARGE:
		status = http.StatusRequestEntityTooLarge
	case errs.ENOTFOUND:
		status = http.StatusNotFound
	case errs.EUNAVAILABLE:
		status = http.StatusServiceUnavailable
	}
	var body apiError
	body.Error.Code, body.Error.Message = code, errs.Message(err)
	if status == http.StatusInternalServerError {
		body.Error.Message = "the server failed to answer; see its log"
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// errorMessage reads an error answer's message.
func errorMessage(status int, b []byte) string {
	var e apiError
	if json.Unmarshal(b, &e) == nil && e.Error.Message != "" {
		return e.Error.Message
	}
	return fmt.Sprintf("HTTP %d: %.200s", status, b)
}
