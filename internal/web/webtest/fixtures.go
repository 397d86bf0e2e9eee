package webtest

import (
	"context"
	"sync"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/heartbeat"
	"github.com/tocsin/tocsin/internal/web"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// Heartbeats lists Views and keeps what the server asked to create; the
// rest of web.Heartbeats does nothing.
type Heartbeats struct {
	webcore.NoHeartbeats
	mu      sync.Mutex
	created []config.Heartbeat
	// Views are the heartbeats Heartbeats and Heartbeat return.
	Views []web.HeartbeatView
}

// Heartbeats returns a copy of Views.
func (f *Heartbeats) Heartbeats() []web.HeartbeatView {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]web.HeartbeatView(nil), f.Views...)
}

// Heartbeat returns the view with the given id.
func (f *Heartbeats) Heartbeat(id string) (web.HeartbeatView, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, v := range f.Views {
		if v.ID == id {
			return v, true
		}
	}
	return web.HeartbeatView{}, false
}

// CreateHeartbeat records h.
func (f *Heartbeats) CreateHeartbeat(_ context.Context, h config.Heartbeat) (web.HeartbeatView, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.created = append(f.created, h)
	return web.HeartbeatView{View: heartbeat.View{Definition: heartbeat.Definition{ID: h.ID, UUID: h.UUID}}, Config: h}, nil
}

// Take returns what was created since the last Take.
func (f *Heartbeats) Take() []config.Heartbeat {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.created
	f.created = nil
	return out
}

// OwnedShop gives the environment's service "shop" a description and
// owners: a person with an address and a team with its members.
func OwnedShop(e *Env) {
	e.RT.Mu.Lock()
	defer e.RT.Mu.Unlock()
	e.RT.Cfg = &config.Config{
		People: []config.Person{
			{ID: "alice", Name: "Alice Example", Email: "alice@example.com"},
			{ID: "bob", Name: "Bob <the builder>"},
		},
		Teams:    []config.Team{{ID: "ops", Name: "Operations", Members: []string{"bob"}}},
		Services: []config.Service{{ID: "shop", Name: "Web shop", Description: "Checkout & payment.", Owners: []string{"alice", "ops"}}},
	}
}

// Schedules gives the environment two on-call schedules. "support"
// (Europe/Oslo) rotates Ann and Bob daily at 09:00 from Monday 2026-01-05,
// office hours only (weekdays 09:00–17:00), with Cat overriding Wednesday
// 2026-03-04 10:00–12:00; "always" (America/New_York) has Bob on call
// around the clock. Ann's name holds a comma and a semicolon, which iCal
// must escape. At the environment's start (Sunday 2026-03-01 12:00 UTC)
// nobody is on call in "support"; Ann takes Monday, Bob Tuesday, Ann
// Wednesday.
func Schedules(e *Env) {
	e.RT.Mu.Lock()
	defer e.RT.Mu.Unlock()
	e.RT.Cfg = &config.Config{
		People: []config.Person{
			{ID: "ann", Name: "Ann Example, first line; ops", Email: "ann@example.com", Timezone: "Europe/Oslo"},
			{ID: "bob", Name: "Bob Builder"},
			{ID: "cat", Name: "Cat"},
		},
		Schedules: []config.Schedule{
			{ID: "support", Name: "Support", Timezone: "Europe/Oslo",
				Layers: []config.ScheduleLayer{{Name: "office", Rotation: "daily", Handoff: "09:00", Start: "2026-01-05", Members: []string{"ann", "bob"},
					Restrict: &config.ScheduleRestrict{Days: []string{"weekdays"}, From: "09:00", To: "17:00"}}},
				Overrides: []config.ScheduleOverride{{Person: "cat", From: "2026-03-04 10:00", To: "2026-03-04 12:00"}}},
			{ID: "always", Timezone: "America/New_York",
				Layers: []config.ScheduleLayer{{Rotation: "weekly", Handoff: "09:00", Start: "2026-01-05", Members: []string{"bob"}}}},
		},
	}
}
