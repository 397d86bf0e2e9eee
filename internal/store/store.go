// Package store declares the repositories the rest of Tocsin consumes. The
// sqlstore package implements them for SQLite and PostgreSQL; storetest is
// the conformance suite both pass. Contracts never assume a single process:
// several replicas may share one PostgreSQL database.
//
// Methods return *errs.Error with code ENOTFOUND when the thing asked for
// does not exist and ECONFLICT when a unique value is taken. Write methods
// return EINVALID (or ECONFLICT) when the database refused the data itself,
// so writing the same data again would fail again, and any other error when
// it could not write (unreachable, disk full, timeout): the batched writers
// drop refused rows one by one (internal/store/batch) and retry the rest.
package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/probe"
)

// Page selects one page of a newest-first listing by keyset: items with
// ID < Before (0 means from the newest), at most Limit (clamped to 1..1000,
// default 50).
type Page struct {
	Limit  int
	Before int64
}

// StoredResult is a probe result with its row id.
type StoredResult struct {
	ID int64
	probe.Result
}

// StoredTransition is a transition with its row id.
type StoredTransition struct {
	ID int64
	monitor.Transition
}

// Batch is everything the engine produced since its last flush. SaveBatch
// writes it in one transaction, so a transition and the notifications it
// caused are stored together or not at all.
type Batch struct {
	Results     []probe.Result
	States      map[string]monitor.State
	Transitions []monitor.Transition
	Outbox      []notify.OutboxMessage
	// Alerts open, join and resolve the paged alerts of the transitions.
	Alerts []AlertChange
	// Replica names the replica that saves the batch, kept with each of
	// its States so that a replica's refresh of the others' states can
	// leave out its own (MonitorStatesSince); empty on a single process.
	Replica string
	// Fence, when set, is checked before the batch commits: a replica
	// writes its monitors' rows only while it holds their leases. Nil
	// for a process that runs alone.
	Fence *Fence
}

// BatchRow is one row of a Batch: a result, a state (StateOf names its
// monitor), a transition or an outbox message; exactly one is set.
type BatchRow struct {
	Result     *probe.Result
	StateOf    string
	State      monitor.State
	Transition *monitor.Transition
	Outbox     *notify.OutboxMessage
	Alert      *AlertChange
}

// String names the row in a log line: its kind and monitor.
func (r BatchRow) String() string {
	switch {
	case r.Result != nil:
		return fmt.Sprintf("result of monitor %q at %s", r.Result.MonitorID, r.Result.Time.UTC().Format(time.RFC3339Nano))
	case r.Transition != nil:
		return fmt.Sprintf("transition of monitor %q from %s to %s", r.Transition.MonitorID, r.Transition.From, r.Transition.To)
	case r.Outbox != nil:
		return fmt.Sprintf("notification %q for channel %q", r.Outbox.ID, r.Outbox.Channel)
	case r.Alert != nil:
		return r.Alert.String()
	}
	return fmt.Sprintf("state of monitor %q", r.StateOf)
}

// Rows splits b into its rows: results, states, transitions and outbox
// messages, in that order, so a writer can look for the one the database
// refuses.
func (b Batch) Rows() []BatchRow {
	out := make([]BatchRow, 0, len(b.Results)+len(b.States)+len(b.Transitions)+len(b.Outbox)+len(b.Alerts))
	for i := range b.Results {
		out = append(out, BatchRow{Result: &b.Results[i]})
	}
	for id, st := range b.States {
		out = append(out, BatchRow{StateOf: id, State: st})
	}
	for i := range b.Transitions {
		out = append(out, BatchRow{Transition: &b.Transitions[i]})
	}
	for i := range b.Outbox {
		out = append(out, BatchRow{Outbox: &b.Outbox[i]})
	}
	for i := range b.Alerts {
		out = append(out, BatchRow{Alert: &b.Alerts[i]})
	}
	return out
}

// JoinRows is the Batch of rows, the inverse of Batch.Rows.
func JoinRows(rows []BatchRow) Batch {
	b := Batch{States: map[string]monitor.State{}}
	for _, r := range rows {
		switch {
		case r.Result != nil:
			b.Results = append(b.Results, *r.Result)
		case r.Transition != nil:
			b.Transitions = append(b.Transitions, *r.Transition)
		case r.Outbox != nil:
			b.Outbox = append(b.Outbox, *r.Outbox)
		case r.Alert != nil:
			b.Alerts = append(b.Alerts, *r.Alert)
		default:
			b.States[r.StateOf] = r.State
		}
	}
	return b
}

// Empty reports whether b has nothing to write.
func (b Batch) Empty() bool {
	return len(b.Results) == 0 && len(b.States) == 0 && len(b.Transitions) == 0 && len(b.Outbox) == 0 && len(b.Alerts) == 0
}

// HourlyRollup summarises one monitor's results in one UTC hour.
type HourlyRollup struct {
	MonitorID string
	Hour      time.Time
	Total     int
	Failed    int
	// Latency percentiles of the probe duration.
	P50, P95, P99, Max time.Duration
}

// Uptime is the share of good results over a span, from raw results and rollups.
type Uptime struct {
	Total  int
	Failed int
}

// Ratio returns the fraction of good results, or -1 when there were none.
func (u Uptime) Ratio() float64 {
	if u.Total == 0 {
		return -1
	}
	return float64(u.Total-u.Failed) / float64(u.Total)
}

// LatencyPoint is one bucket of a latency series.
type LatencyPoint struct {
	Time   time.Time
	Avg    time.Duration
	Max    time.Duration
	Failed int
	Total  int
}

// Results holds what monitors saw and how their state moved.
type Results interface {
	// SaveBatch writes a batch in one transaction. It returns EINVALID or
	// ECONFLICT, having written nothing, when the database refuses a row
	// of it: a result, state or transition without a monitor id, a value
	// that cannot be encoded, text the database does not take, a
	// duplicate outbox message. With b.Fence set it checks the fence
	// last, in the same transaction, and returns ECONFLICT wrapping a
	// *LeaseLostError, having written nothing, when the fence does not
	// hold.
	SaveBatch(ctx context.Context, b Batch) error
	// MonitorStates returns the last saved state of every monitor.
	MonitorStates(ctx context.Context) (map[string]monitor.State, error)
	// MonitorStatesSince returns the last saved state of the monitors
	// whose state was saved since the read that returned the mark since
	// (every monitor for 0), and the mark to pass to the next read. A
	// state saved by a transaction that commits while a read runs comes
	// with the next read; a state may come twice, never not at all. A
	// non-empty except leaves out the states last saved by that replica
	// (Batch.Replica): a replica has its own in memory already.
	MonitorStatesSince(ctx context.Context, since int64, except string) (map[string]monitor.State, int64, error)
	// Results lists a monitor's results, newest first. A result's ID is its
	// start time in unix milliseconds. OK results come back with an empty
	// Reason (the routine summary is not stored; show the duration instead);
	// times are truncated to the millisecond and durations to the
	// microsecond.
	Results(ctx context.Context, monitorID string, p Page) ([]StoredResult, error)
	// Transitions lists a monitor's transitions, newest first; monitorID ""
	// lists all monitors'.
	Transitions(ctx context.Context, monitorID string, p Page) ([]StoredTransition, error)
	// Uptime counts results in [since, now) using rollups for whole hours
	// and raw results for the rest.
	Uptime(ctx context.Context, monitorID string, since time.Time) (Uptime, error)
	// UptimeAll is Uptime for every monitor at once (for the overview), in
	// a fixed number of queries. Monitors without results in the span are
	// absent from the map.
	UptimeAll(ctx context.Context, since time.Time) (map[string]Uptime, error)
	// Latency returns n buckets (n clamped to 1..1000) of equal width
	// covering [since, now), oldest first; empty buckets have Total 0.
	Latency(ctx context.Context, monitorID string, since time.Time, n int) ([]LatencyPoint, error)
	// Rollup computes hourly rollups for every complete hour before until
	// that has none yet. Safe to call repeatedly and from several replicas.
	Rollup(ctx context.Context, until time.Time) error
	// Prune deletes raw results older than rawBefore and rollups older
	// than rollupBefore, returning how many rows went. Transitions,
	// notification attempts and finished outbox messages older than
	// rollupBefore go too. Call Rollup first so no hour is lost.
	Prune(ctx context.Context, rawBefore, rollupBefore time.Time) (int64, error)
	// Rollups lists a monitor's hourly rollups in [from, to), oldest first.
	Rollups(ctx context.Context, monitorID string, from, to time.Time) ([]HourlyRollup, error)
	// CompactResults stores the results of time slices that ended by
	// before in a more compact form where the database gains by it
	// (PostgreSQL packs a monitor's ten minutes into one row; SQLite keeps
	// its rows), returning how many results it moved. Every read sees the
	// same results before and after, including results stored later for a
	// compacted slice. Safe to call repeatedly, from several replicas, and
	// while results are written: writers never wait for it.
	CompactResults(ctx context.Context, before time.Time) (int64, error)
}

// Outbox holds notifications until they are sent or given up. The messages
// and attempts are the notify package's types: the outbox is notify's
// stage, and the store only keeps it. notify.Outbox is the part its
// dispatcher uses (claiming, recording attempts, leases); the listings here
// are for the UI and the API.
type Outbox interface {
	notify.Outbox
	// Attempts lists attempts newest first; monitorID "" lists all.
	Attempts(ctx context.Context, monitorID string, p Page) ([]notify.Attempt, error)
	// OutboxMessages lists messages newest first; monitorID "" lists all.
	OutboxMessages(ctx context.Context, monitorID string, p Page) ([]notify.OutboxMessage, error)
	// ChannelMessages lists the messages for any of channels newest first,
	// paged by Seq: the inbox page reads the messages of its channels here.
	// No channels lists none.
	ChannelMessages(ctx context.Context, channels []string, p Page) ([]notify.OutboxMessage, error)
}

// User is an account that can log in.
type User struct {
	ID           int64
	Name         string
	PasswordHash string // argon2id, PHC string format; "" for an OIDC account
	// Role is what the user may do; CreateUser makes "" a viewer.
	Role Role
	// OIDCSubject ties an account made by an OIDC sign-in to its issuer
	// and subject ("ISSUER SUBJECT"); "" for a local account.
	OIDCSubject string
	CreatedAt   time.Time
}

// Can reports whether the user's role allows what need requires (the
// pages ask it to hide the controls the user may not use).
func (u User) Can(need Role) bool { return u.Role.Allows(need) }

// Session is a login. The cookie holds a random token; the store keeps only
// its SHA-256 hash.
type Session struct {
	TokenHash []byte
	UserID    int64
	CreatedAt time.Time
	ExpiresAt time.Time
}

// APIToken is a bearer token for the JSON API, stored hashed.
type APIToken struct {
	ID        int64
	UserID    int64
	Name      string
	TokenHash []byte
	Prefix    string // first characters, shown to tell tokens apart
	// Role is what the token may do, never more than its user's role;
	// CreateAPIToken makes "" its user's role.
	Role       Role
	CreatedAt  time.Time
	LastUsedAt time.Time
}

// Accounts holds users, sessions and API tokens.
type Accounts interface {
	CreateUser(ctx context.Context, u User) (User, error)
	User(ctx context.Context, id int64) (User, error)
	UserByName(ctx context.Context, name string) (User, error)
	UserCount(ctx context.Context) (int, error)
	// Users lists every account by name.
	Users(ctx context.Context) ([]User, error)
	SetPassword(ctx context.Context, userID int64, hash string) error
	// UserByOIDCSubject returns the account an OIDC sign-in made, by
	// "ISSUER SUBJECT"; ENOTFOUND when there is none.
	UserByOIDCSubject(ctx context.Context, subject string) (User, error)
	// SetUserRole changes a user's role; ENOTFOUND when the user does
	// not exist. It does not look at the other administrators: an OIDC
	// sign-in sets the role its groups give.
	SetUserRole(ctx context.Context, userID int64, role Role) error
	// SetUserRoleUnlessLastAdmin changes a user's role unless that leaves
	// no administrator: ECONFLICT then. The check and the change are one
	// statement, so two administrators demoting each other at once cannot
	// both succeed. ENOTFOUND when the user does not exist.
	SetUserRoleUnlessLastAdmin(ctx context.Context, userID int64, role Role) error

	CreateSession(ctx context.Context, s Session) error
	// Session returns ENOTFOUND for an unknown or expired session.
	Session(ctx context.Context, tokenHash []byte) (Session, error)
	DeleteSession(ctx context.Context, tokenHash []byte) error
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error)

	CreateAPIToken(ctx context.Context, t APIToken) (APIToken, error)
	APITokenByHash(ctx context.Context, tokenHash []byte) (APIToken, error)
	APITokens(ctx context.Context, userID int64) ([]APIToken, error)
	DeleteAPIToken(ctx context.Context, userID, id int64) error
	TouchAPIToken(ctx context.Context, id int64, at time.Time) error
}

// MailProbe is one probe mail a mail loop monitor sent, as the store keeps
// it so the mails in flight survive a restart. State is "pending",
// "received", "lost" or "late".
type MailProbe struct {
	MonitorID string
	// Token is unique per mail of a monitor.
	Token  string
	SentAt time.Time
	// Via is the SMTP server the mail was submitted to.
	Via   string
	State string
	// ReceivedAt is when the mail was delivered, zero until it was.
	ReceivedAt time.Time
	// Folder is where the probe found it.
	Folder string
}

// MailProbes is the bookkeeping of mail loop monitors: the probe mails in
// flight survive a restart. The app hands it to those probers as their
// ledger.
type MailProbes interface {
	// AddMailProbe records a mail just sent; ECONFLICT for a token already
	// recorded for the monitor.
	AddMailProbe(ctx context.Context, m MailProbe) error
	// UpdateMailProbe stores the State, ReceivedAt and Folder of a
	// recorded mail (by MonitorID and Token); ENOTFOUND for an unknown mail.
	UpdateMailProbe(ctx context.Context, m MailProbe) error
	// MailProbes lists a monitor's mails sent at or after since, and every
	// one still pending whatever its age, oldest first.
	MailProbes(ctx context.Context, monitorID string, since time.Time) ([]MailProbe, error)
	// PruneMailProbes deletes the monitor's mails (every monitor's when
	// monitorID is "") sent before before, returning how many went.
	PruneMailProbes(ctx context.Context, monitorID string, before time.Time) (int64, error)
}

// Ping is one stored heartbeat ping.
type Ping struct {
	// ID orders pings; it is assigned by the store and used for paging.
	ID          int64
	HeartbeatID string
	Time        time.Time
	// Kind is "success", "start", "fail", "log" or "exit".
	Kind string
	// ExitStatus is meaningful for Kind "exit" only.
	ExitStatus int
	RunID      string
	// Duration is the run time when the ping ended a started run.
	Duration  time.Duration
	Body      []byte
	Truncated bool
	Transport string
	Method    string
	Source    string
	UserAgent string
}

// PingBatch is what one group commit writes: pings and, now and then, the
// state of every heartbeat changed since the last time (opaque JSON owned
// by the heartbeat package). A batch with States also moves the
// checkpoint to its own last ping: the states include every ping up to it.
type PingBatch struct {
	Pings  []Ping
	States map[string]json.RawMessage
	// Routed are pings of heartbeats another replica runs, written with
	// the pings for that replica to take (Routing).
	Routed []Routed
}

// StoredHeartbeat is a heartbeat created through the API or by a ping,
// rather than in the config file. Spec is its definition as JSON.
type StoredHeartbeat struct {
	ID        string
	UUID      string
	Slug      string
	Spec      json.RawMessage
	CreatedAt time.Time
}

// Heartbeats holds pings, heartbeat states and the heartbeats created at
// run time.
type Heartbeats interface {
	// SavePings writes a batch in one transaction: when it returns nil,
	// every ping in it is stored. It returns EINVALID, having written
	// nothing, when the database refuses a ping of it (no heartbeat id,
	// text the database does not take).
	SavePings(ctx context.Context, b PingBatch) error
	// Pings lists a heartbeat's pings, newest first, paged by ID.
	Pings(ctx context.Context, heartbeatID string, p Page) ([]Ping, error)
	// CountPings counts a heartbeat's stored pings; "" counts all.
	CountPings(ctx context.Context, heartbeatID string) (int64, error)
	// HeartbeatStates returns the last saved state of every heartbeat and
	// the checkpoint: the id of the last ping those states include.
	HeartbeatStates(ctx context.Context) (states map[string]json.RawMessage, through int64, err error)
	// PingsAfter lists pings of every heartbeat with ID > after, oldest
	// first, at most limit (clamped to 1..10000).
	PingsAfter(ctx context.Context, after int64, limit int) ([]Ping, error)
	// PrunePings deletes pings older than before, returning how many went.
	PrunePings(ctx context.Context, before time.Time) (int64, error)
	// CreateHeartbeat stores a heartbeat; ECONFLICT when its id, uuid or
	// slug is taken.
	CreateHeartbeat(ctx context.Context, h StoredHeartbeat) error
	// StoredHeartbeats lists the stored heartbeats, oldest first.
	StoredHeartbeats(ctx context.Context) ([]StoredHeartbeat, error)
	// DeleteHeartbeat removes a stored heartbeat (its pings stay until
	// pruned); ENOTFOUND when there is none with that id.
	DeleteHeartbeat(ctx context.Context, id string) error
}

// Store is everything a Tocsin server needs from its database.
type Store interface {
	Results
	Outbox
	Accounts
	MailProbes
	Heartbeats
	Monitors
	Channels
	CalendarTokens
	Mutes
	Alerts
	StatusPages
	Changes
	Incidents
	Postmortems
	IncidentUpdates
	Subscribers
	IncidentHistory
	AlertFeed
	FollowUps
	Agents
	Uptimes
	Baselines
	Audit
	Replicas
	Routing
	// Ping checks the database is reachable (for /readyz).
	Ping(ctx context.Context) error
	Close() error
}
