// Package ingest serves what arrives without a session on the hot path:
// heartbeat pings under /ping/ (Healthchecks.io-compatible). It knows no
// login, no templates and no API types; the web package mounts it ahead of
// every middleware the pages and the API need.
package ingest

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/heartbeat"
	"github.com/tocsin/tocsin/internal/safetext"
)

// Receiver takes heartbeat pings (the app's heartbeat hub).
type Receiver interface {
	heartbeat.Receiver
	// BodyLimit is how many body bytes are kept per ping.
	BodyLimit() int
	// UnknownNotFound says whether a ping to an unknown heartbeat is
	// answered 404 "not found" rather than 200 "OK (not found)"
	// (server.unknown_ping).
	UnknownNotFound() bool
}

// pingDrainLimit bounds how much of an oversized body is read and thrown
// away to keep the connection usable; past it the connection is closed.
const pingDrainLimit = 10 << 20

var pingBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Deps is what the ping handler needs from the server that mounts it.
type Deps struct {
	// Pings receives the pings; nil answers them 404.
	Pings Receiver
	// Now is the clock; required.
	Now func() time.Time
	// ClientIP names the address a request came from (trusted proxies
	// applied); required.
	ClientIP func(*http.Request) string
	// Logger receives internal errors; required.
	Logger *slog.Logger
}

// Pings is the handler of every path under /ping/.
type Pings struct {
	d Deps
}

// NewPings returns the handler of every path under /ping/.
func NewPings(d Deps) *Pings { return &Pings{d: d} }

// ServeHTTP serves the Healthchecks.io-compatible ping API under /ping/:
// GET, POST and HEAD, no authentication (the uuid or the ping key is the
// secret). Answers are short plain text, as Healthchecks.io gives them:
// 200 "OK", 201 "Created" (a slug was provisioned), 200 "OK (not found)"
// (or 404 "not found" when the receiver says so: server.unknown_ping),
// 400 "invalid url format", 429 "rate limit exceeded", 429 with the
// limit's name when ?create=1 is past a creation limit, 503 when the ping
// could not be stored (nothing was stored; retry).
func (s *Pings) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Access-Control-Allow-Origin", "*")
	rcv := s.d.Pings
	if rcv == nil {
		pingAnswer(w, http.StatusNotFound, "not found")
		return
	}
	limit := rcv.BodyLimit()
	h.Set("Ping-Body-Limit", strconv.Itoa(limit))
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
	default:
		h.Set("Allow", "GET, HEAD, POST")
		pingAnswer(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	p, err := heartbeat.ParsePath(strings.TrimPrefix(r.URL.Path, "/ping/"))
	if err != nil {
		pingAnswer(w, http.StatusBadRequest, "invalid url format")
		return
	}
	q := r.URL.Query()
	if rid := q.Get("rid"); rid != "" {
		if !heartbeat.ValidRunID(rid) {
			pingAnswer(w, http.StatusBadRequest, "invalid rid")
			return
		}
		p.RunID = rid
	}
	p.Create = q.Get("create") == "1"
	p.Transport, p.Method, p.Time = "http", r.Method, s.d.Now()
	p.Source = s.d.ClientIP(r)
	// The receiver makes text valid UTF-8 and cuts it on a character
	// boundary at heartbeat.UserAgentLimit, whichever way a ping comes.
	p.UserAgent = r.UserAgent()
	var buf *bytes.Buffer
	if r.Method == http.MethodPost && r.Body != nil {
		buf = pingBuffers.Get().(*bytes.Buffer)
		buf.Reset()
		defer pingBuffers.Put(buf)
		n, err := buf.ReadFrom(io.LimitReader(r.Body, int64(limit)+1))
		if err != nil {
			pingAnswer(w, http.StatusBadRequest, "could not read the request body")
			return
		}
		if n > int64(limit) {
			p.Truncated = true
			// Read on so the client sees the answer and the connection
			// stays usable, up to a bound.
			if m, _ := io.CopyN(io.Discard, r.Body, pingDrainLimit); m == pingDrainLimit {
				h.Set("Connection", "close")
			}
		}
		if buf.Len() > 0 {
			// Bytes, stored as they are; a cut never splits a character.
			p.Body, _ = safetext.CutBytes(buf.Bytes(), limit)
		}
	}
	ctx := r.Context()
	var created *bool
	if p.Create {
		ctx, created = heartbeat.ReportCreated(ctx)
	}
	err = rcv.Receive(ctx, p)
	switch errs.Code(err) {
	case "":
		if created != nil && *created {
			pingAnswer(w, http.StatusCreated, "Created")
			return
		}
		pingAnswer(w, http.StatusOK, "OK")
	case errs.ENOTFOUND:
		if rcv.UnknownNotFound() {
			pingAnswer(w, http.StatusNotFound, "not found")
			return
		}
		pingAnswer(w, http.StatusOK, "OK (not found)")
	case errs.EINVALID:
		if errors.Is(err, heartbeat.ErrRefused) {
			// The database refused this ping alone; say so rather than
			// blame the URL.
			pingAnswer(w, http.StatusBadRequest, errs.Message(err))
			return
		}
		pingAnswer(w, http.StatusBadRequest, "invalid url format")
	case errs.ERATELIMIT:
		var cle *heartbeat.CreateLimitError
		if errors.As(err, &cle) {
			// Auto-provisioning refused: say which limit and how to
			// raise it; the cap has no Retry-After, as waiting does not
			// lift it.
			if cle.RetryAfter > 0 {
				h.Set("Retry-After", strconv.Itoa(int(math.Ceil(cle.RetryAfter.Seconds()))))
			}
			pingAnswer(w, http.StatusTooManyRequests, cle.Error())
			return
		}
		h.Set("Retry-After", "1")
		pingAnswer(w, http.StatusTooManyRequests, "rate limit exceeded")
	case errs.EUNAVAILABLE:
		h.Set("Retry-After", "1")
		pingAnswer(w, http.StatusServiceUnavailable, "unavailable, try again")
	default:
		s.d.Logger.Error("receiving a ping", "path", r.URL.Path, "err", err)
		pingAnswer(w, http.StatusServiceUnavailable, "unavailable, try again")
	}
}

func pingAnswer(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Length", strconv.Itoa(len(msg)))
	w.WriteHeader(status)
	_, _ = io.WriteString(w, msg)
}
