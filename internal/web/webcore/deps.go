package webcore

import (
	"net/http"
	"time"

	"github.com/tocsin/tocsin/internal/store"
)

// Handler is a handler behind a login: u is the logged-in user; a returned
// error becomes the audience's error answer (a JSON body for the API, a
// page for the UI) with the status of its code.
type Handler = func(w http.ResponseWriter, r *http.Request, u store.User) error

// Deps is what the audience packages need from the server that mounts
// them. Every field is required.
type Deps struct {
	Store      store.Store
	Runtime    Runtime
	Heartbeats Heartbeats
	Kinds      Kinds
	// Channels sends test notifications through a channel.
	Channels ChannelTester
	Now      func() time.Time
	// Version is shown in the footer and in /api/v1/status.
	Version string
	// CreateToken validates name and stores a new API token for u,
	// returning it with its secret; RevokeToken deletes token id of u.
	// The web package owns API tokens, their secrets and hashing.
	CreateToken func(r *http.Request, u store.User, name string) (store.APIToken, string, error)
	RevokeToken func(r *http.Request, u store.User, id int64) error
	// Schedules are the on-call schedules of the running configuration,
	// converted once per configuration and shared by the pages, the API
	// and /metrics.
	Schedules *Schedules
	// Mutes holds the maintenance windows and silences; nil when the
	// server runs without them (then nothing is muted).
	Mutes Mutes
	// AlertActed is called after a person acted on a paged alert, so the
	// escalator sends the news at once; nil when nothing listens.
	AlertActed func()
	// IncidentEvent queues an incident event (incident.opened, .updated,
	// .resolved) for the channels subscribed to it, with the message of
	// the update that caused it ("" for none); nil when nothing listens.
	IncidentEvent func(event string, in store.Incident, message string)
	// FollowUpsChanged is called after a follow-up action was added or
	// changed; nil when nothing listens.
	FollowUpsChanged func()
}
