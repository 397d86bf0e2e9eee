package runner

import (
	"context"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// ping is one request the test server accepted.
type ping struct {
	Target string // the uuid, or key/slug
	Action string // "", start, fail, log or an exit status
	RID    string
	Method string
	UA     string
	Body   string
}

// pingServer implements the Healthchecks.io ping URL forms on a real
// listener that can be taken down (connections refused) and brought back
// on the same address.
type pingServer struct {
	t    *testing.T
	addr string

	mu        sync.Mutex
	srv       *http.Server
	uuids     map[string]bool
	slugs     map[string]bool // "key/slug"
	answers   []int           // statuses to give instead of accepting, in order
	retry     string          // Retry-After sent with those answers
	bodyLimit int
	pings     []ping
	got       chan ping
}

var testUUID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func newPingServer(t *testing.T) *pingServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &pingServer{t: t, addr: ln.Addr().String(), uuids: map[string]bool{}, slugs: map[string]bool{}, got: make(chan ping, 100)}
	s.serve(ln)
	t.Cleanup(s.down)
	return s
}

func (s *pingServer) URL() string { return "http://" + s.addr }

func (s *pingServer) serve(ln net.Listener) {
	srv := &http.Server{Handler: s}
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

// down closes the listener and every connection: clients get refused. A
// request in flight is answered first, so a ping the test saw arrive is
// not also seen failing by the client.
func (s *pingServer) down() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if srv.Shutdown(ctx) != nil {
			_ = srv.Close()
		}
	}
}

// up listens again on the same address.
func (s *pingServer) up() {
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		s.t.Errorf("listening again on %s: %v", s.addr, err)
		return
	}
	s.serve(ln)
}

func (s *pingServer) answer(statuses ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answers = append(s.answers, statuses...)
}

func (s *pingServer) recorded() []ping {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ping(nil), s.pings...)
}

func (s *pingServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	rest, ok := strings.CutPrefix(r.URL.Path, "/ping/")
	if !ok {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	parts := strings.Split(rest, "/")
	var target, action string
	switch {
	case len(parts) == 1 && testUUID.MatchString(parts[0]):
		target = parts[0]
	case len(parts) == 2 && testUUID.MatchString(parts[0]):
		target, action = parts[0], parts[1]
	case len(parts) == 2:
		target = parts[0] + "/" + parts[1]
	case len(parts) == 3:
		target, action = parts[0]+"/"+parts[1], parts[2]
	default:
		http.Error(w, "invalid url format", http.StatusBadRequest)
		return
	}
	switch action {
	case "", "start", "fail", "log":
	default:
		if n, err := strconv.Atoi(action); err != nil || n < 0 || n > 255 {
			http.Error(w, "invalid url format", http.StatusBadRequest)
			return
		}
	}
	rid := r.URL.Query().Get("rid")
	if rid != "" && !testUUID.MatchString(rid) {
		http.Error(w, "invalid url format", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	if len(s.answers) > 0 {
		code := s.answers[0]
		s.answers = s.answers[1:]
		retry := s.retry
		s.mu.Unlock()
		if retry != "" {
			w.Header().Set("Retry-After", retry)
		}
		http.Error(w, strings.ToLower(http.StatusText(code)), code)
		return
	}
	known := s.uuids[target] || s.slugs[target]
	limit := s.bodyLimit
	var p ping
	if known {
		p = ping{Target: target, Action: action, RID: rid, Method: r.Method, UA: r.UserAgent(), Body: string(body)}
		s.pings = append(s.pings, p)
	}
	s.mu.Unlock()
	if !known {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if limit > 0 {
		w.Header().Set("Ping-Body-Limit", strconv.Itoa(limit))
	}
	s.got <- p
	_, _ = io.WriteString(w, "OK")
}
