package webtest

import (
	"context"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/mute"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// Mutes builds the snapshot of maintenance windows and silences from the
// configuration and the store, as the app does.
type Mutes struct {
	Store store.Store
	Cfg   func() *config.Config
	Now   func() time.Time
	snap  atomic.Pointer[mute.Snapshot]
}

// Snapshot returns the snapshot of the last Changed.
func (m *Mutes) Snapshot() *mute.Snapshot { return m.snap.Load() }

// Changed rereads the stored windows and silences.
func (m *Mutes) Changed(ctx context.Context) {
	cfg := m.Cfg()
	ws, _ := mute.WindowsFromConfig(cfg)
	rows, err := m.Store.MaintenanceWindows(ctx, m.Now())
	if err != nil {
		panic(err)
	}
	for _, w := range rows {
		mw, err := webcore.StoredWindow(w)
		if err != nil {
			panic(err)
		}
		ws = append(ws, mw)
	}
	srows, err := m.Store.Silences(ctx, m.Now())
	if err != nil {
		panic(err)
	}
	var ss []mute.Silence
	for _, r := range srows {
		s := mute.Silence{ID: strconv.FormatInt(r.ID, 10), Reason: r.Reason, CreatedBy: r.CreatedBy, StartsAt: r.StartsAt, EndsAt: r.EndsAt}
		for _, mm := range r.Matchers {
			x, err := mute.NewMatcher(mm.Name, mm.Op, mm.Value)
			if err != nil {
				panic(err)
			}
			s.Matchers = append(s.Matchers, x)
		}
		ss = append(ss, s)
	}
	m.snap.Store(mute.New(cfg, ws, ss))
}

// WithMutes is an option of New that serves m over the server's store,
// clock and runtime. The monitors of the runtime join its configuration,
// so windows and silences can select them.
func WithMutes(m *Mutes) func(*web.Options) {
	return func(o *web.Options) {
		rt := o.Runtime.(*Runtime)
		rt.Mu.Lock()
		for _, v := range rt.Views {
			rt.Cfg.Monitors = append(rt.Cfg.Monitors, v.Config)
		}
		rt.Mu.Unlock()
		m.Store, m.Cfg, m.Now = o.Store, rt.Config, o.Now
		o.Mutes = m
		m.Changed(context.Background())
	}
}
