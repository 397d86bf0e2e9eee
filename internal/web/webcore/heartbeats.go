package webcore

import (
	"context"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/heartbeat"
)

// HeartbeatView is one heartbeat as the UI and API show it.
type HeartbeatView struct {
	heartbeat.View
	Config config.Heartbeat
	// Paused is the monitor state's pause (by a person or the config).
	Paused bool
	// PausedSince is when it was paused; zero when it is not paused.
	PausedSince time.Time
}

// DisplayStatus is the status to show: paused wins over the pings' verdict.
func (v HeartbeatView) DisplayStatus() string {
	if v.Paused {
		return string(heartbeat.StatusPaused)
	}
	return string(v.Status)
}

// Heartbeats is the live side of heartbeats (the app implements it).
type Heartbeats interface {
	// Heartbeats lists every heartbeat, config ones first.
	Heartbeats() []HeartbeatView
	// Heartbeat returns one; ok is false for an unknown id.
	Heartbeat(id string) (HeartbeatView, bool)
	// CreateHeartbeat stores a new heartbeat (an empty uuid is
	// generated): EINVALID for a bad definition, ECONFLICT for a taken
	// id, uuid or slug.
	CreateHeartbeat(ctx context.Context, h config.Heartbeat) (HeartbeatView, error)
	// DeleteHeartbeat removes a stored heartbeat: ENOTFOUND, or ECONFLICT
	// for one defined in the config file.
	DeleteHeartbeat(ctx context.Context, id string) error
	// SetHeartbeatPaused pauses or resumes one: ENOTFOUND, ECONFLICT.
	SetHeartbeatPaused(ctx context.Context, id string, paused bool) error
}

// NoHeartbeats is Heartbeats when heartbeats are not enabled: none to
// show, none to create.
type NoHeartbeats struct{}

// Heartbeats is empty.
func (NoHeartbeats) Heartbeats() []HeartbeatView { return nil }

// Heartbeat finds none.
func (NoHeartbeats) Heartbeat(string) (HeartbeatView, bool) { return HeartbeatView{}, false }

// DeleteHeartbeat is ENOTFOUND.
func (NoHeartbeats) DeleteHeartbeat(context.Context, string) error {
	return errs.Errorf(errs.ENOTFOUND, "heartbeats are not enabled")
}

// SetHeartbeatPaused is ENOTFOUND.
func (NoHeartbeats) SetHeartbeatPaused(context.Context, string, bool) error {
	return errs.Errorf(errs.ENOTFOUND, "heartbeats are not enabled")
}

// CreateHeartbeat is EUNAVAILABLE.
func (NoHeartbeats) CreateHeartbeat(context.Context, config.Heartbeat) (HeartbeatView, error) {
	return HeartbeatView{}, errs.Errorf(errs.EUNAVAILABLE, "heartbeats are not enabled")
}

// Length limits of a heartbeat's text fields, in characters (docs/api.md);
// the id, uuid and slug have patterns of their own.
const (
	maxHeartbeatName     = 200
	maxHeartbeatCron     = 100
	maxHeartbeatTimezone = 64
)

// HeartbeatTextLimits refuses a heartbeat whose name, cron expression or
// timezone is longer than a page, a log line or the IANA database has room
// for.
func HeartbeatTextLimits(h config.Heartbeat) error {
	for _, f := range []struct {
		name, value string
		limit       int
	}{{"name", h.Name, maxHeartbeatName}, {"cron", h.Cron, maxHeartbeatCron}, {"timezone", h.Timezone, maxHeartbeatTimezone}} {
		if n := utf8.RuneCountInString(f.value); n > f.limit {
			return errs.Errorf(errs.EINVALID, "field %q is %d characters long; the limit is %d", f.name, n, f.limit)
		}
	}
	return nil
}

// BaseURL is the server's public URL from the config, "" when unknown.
func BaseURL(rt Runtime) string {
	if cfg := rt.Config(); cfg != nil {
		return strings.TrimRight(cfg.Server.BaseURL, "/")
	}
	return ""
}

// AfterCursor is the index after the heartbeat named by cursor ("" is 0).
func AfterCursor(all []HeartbeatView, cursor string) (int, error) {
	if cursor == "" {
		return 0, nil
	}
	for i, v := range all {
		if v.ID == cursor {
			return i + 1, nil
		}
	}
	return 0, errs.Errorf(errs.EINVALID, "before must be a cursor from a previous page's \"next\"; no heartbeat %q exists", cursor)
}

// HeartbeatByID is the heartbeat the request's {id} names: ENOTFOUND when
// there is none.
func HeartbeatByID(hb Heartbeats, r *http.Request) (HeartbeatView, error) {
	id := r.PathValue("id")
	v, ok := hb.Heartbeat(id)
	if !ok {
		return HeartbeatView{}, errs.Errorf(errs.ENOTFOUND, "no heartbeat %q", id)
	}
	return v, nil
}
