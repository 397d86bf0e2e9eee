package web

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/heartbeat"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// The form on /heartbeats refuses a period of 0 and a name over the limit
// too, instead of quietly taking the default.
func TestHeartbeatFormRefusesZeroAndLongNames(t *testing.T) {
	t.Parallel()
	hbs := &recordingHeartbeats{}
	e := newEnv(t, func(o *Options) { o.Heartbeats = hbs })
	c := e.setup()
	for _, form := range []map[string]string{
		{"id": "a", "period": "0"},
		{"id": "a", "period": "1h", "grace": "0"},
		{"id": "a", "period": "1h", "name": strings.Repeat("n", 201)},
	} {
		v := make(map[string][]string)
		for k, x := range form {
			v[k] = []string{x}
		}
		if r := e.postForm(c, "/heartbeats", v); r.status != 400 {
			t.Errorf("form %v: %d, want 400", form, r.status)
		}
	}
	if got := hbs.take(); len(got) > 0 {
		t.Errorf("refused forms reached CreateHeartbeat: %+v", got)
	}
}

// recordingHeartbeats keeps what the API asked to create.
type recordingHeartbeats struct {
	webcore.NoHeartbeats
	mu      sync.Mutex
	created []config.Heartbeat
}

func (f *recordingHeartbeats) CreateHeartbeat(_ context.Context, h config.Heartbeat) (HeartbeatView, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.created = append(f.created, h)
	return HeartbeatView{View: heartbeat.View{Definition: heartbeat.Definition{ID: h.ID, UUID: h.UUID}}, Config: h}, nil
}

func (f *recordingHeartbeats) take() []config.Heartbeat {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.created
	f.created = nil
	return out
}
