// Package audit records who changed what: every action a person takes in
// the UI or the API, every configuration reload, every command run on the
// server's host. The web layer and the app record through one small
// interface, Recorder; who acted and from where travel in the request's
// context (WithActor), set once by the web layer's authentication, so a
// handler names only what it did.
//
// Recording never fails the action it records: the action is done when it
// is recorded, and a store that cannot write is logged as an error.
package audit

import (
	"context"
	"encoding/csv"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/tocsin/tocsin/internal/store"
)

// Recorder records audit entries. An entry that names no actor is
// recorded as done by the actor in ctx (WithActor), or by the system.
type Recorder interface {
	Record(ctx context.Context, e store.AuditEntry)
}

// Actor is who acts: a person through a session, an API token, the system
// or the command line, and the client address of a request.
type Actor struct {
	// Actor is "user:<name>", "token:<id>", store.ActorSystem or
	// store.ActorCLI.
	Actor   string
	User    string
	TokenID int64
	IP      string
}

// UserActor is a person acting through a session from ip.
func UserActor(name, ip string) Actor { return Actor{Actor: "user:" + name, User: name, IP: ip} }

// TokenActor is an API token of user acting from ip.
func TokenActor(id int64, user, ip string) Actor {
	return Actor{Actor: "token:" + strconv.FormatInt(id, 10), User: user, TokenID: id, IP: ip}
}

type actorKey struct{}

// WithActor returns ctx carrying who acts in it.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns who acts in ctx, and false when nobody was set.
func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}

// Fill names a's actor, person, token and address in e, where e names none.
func (a Actor) Fill(e *store.AuditEntry) {
	if e.Actor == "" {
		e.Actor, e.User, e.TokenID = a.Actor, a.User, a.TokenID
	}
	if e.IP == "" {
		e.IP = a.IP
	}
}

// Log is the Recorder that writes to the store.
type Log struct {
	store  store.Audit
	log    *slog.Logger
	now    func() time.Time
	actor  Actor
	actorB bool
}

// NewLog returns a Recorder over st; logger receives the entries it could
// not store (nil discards them), now is the clock (nil: time.Now).
func NewLog(st store.Audit, logger *slog.Logger, now func() time.Time) *Log {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &Log{store: st, log: logger, now: now}
}

// As returns a Recorder that records as a when neither the entry nor the
// context names an actor: the command line records as store.ActorCLI.
func (l *Log) As(a Actor) *Log {
	c := *l
	c.actor, c.actorB = a, true
	return &c
}

// Record stores e, filling in the actor and the time.
func (l *Log) Record(ctx context.Context, e store.AuditEntry) {
	if a, ok := ActorFrom(ctx); ok {
		a.Fill(&e)
	}
	if l.actorB {
		l.actor.Fill(&e)
	}
	if e.Actor == "" {
		e.Actor = store.ActorSystem
	}
	if e.Time.IsZero() {
		e.Time = l.now().UTC()
	}
	// The action is done: a request that went away must not lose its
	// record.
	if _, err := l.store.AddAudit(context.WithoutCancel(ctx), e); err != nil {
		l.log.Error("audit: recording an action failed", "action", e.Action, "actor", e.Actor, "object", e.ObjectKind+" "+e.ObjectID, "err", err)
	}
}

// Discard is a Recorder that records nothing, for tests and tools that
// keep no audit log.
type Discard struct{}

// Record does nothing.
func (Discard) Record(context.Context, store.AuditEntry) {}

// CSVHeader is the first row of WriteCSV.
var CSVHeader = []string{"id", "time", "actor", "user", "token_id", "ip", "action", "object_kind", "object_id", "summary"}

// WriteCSV writes entries as CSV (RFC 4180) with a header row; times are
// RFC 3339 in UTC. A cell that a spreadsheet would run as a formula is
// written with a leading quote.
func WriteCSV(w io.Writer, entries []store.AuditEntry, header bool) error {
	cw := csv.NewWriter(w)
	if header {
		if err := cw.Write(CSVHeader); err != nil {
			return err
		}
	}
	for _, e := range entries {
		token := ""
		if e.TokenID != 0 {
			token = strconv.FormatInt(e.TokenID, 10)
		}
		row := []string{strconv.FormatInt(e.ID, 10), e.Time.UTC().Format(time.RFC3339Nano), e.Actor, e.User, token, e.IP,
			e.Action, e.ObjectKind, e.ObjectID, e.Summary}
		for i := range row {
			row[i] = defuse(row[i])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// defuse keeps spreadsheets from evaluating a cell a user wrote (a monitor
// id "=HYPERLINK(...)"): such a cell starts with a quote.
func defuse(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}

var _ Recorder = (*Log)(nil)
var _ Recorder = Discard{}

// Note is what a handler adds to the entry of its request: the id of the
// object it created, a summary, or that the request changed nothing worth
// recording after all.
type Note struct {
	ObjectID string
	Summary  string
	Skip     bool
}

type noteKey struct{}

// WithNote returns ctx carrying a Note for the request's entry, and the
// note.
func WithNote(ctx context.Context) (context.Context, *Note) {
	n := &Note{}
	return context.WithValue(ctx, noteKey{}, n), n
}

// Annotate sets the object id (when not empty) and the summary of the
// entry of the request in ctx; without a Note in ctx it does nothing.
func Annotate(ctx context.Context, objectID, summary string) {
	if n, ok := ctx.Value(noteKey{}).(*Note); ok {
		if objectID != "" {
			n.ObjectID = objectID
		}
		n.Summary = summary
	}
}

// Unrecorded marks the request in ctx as changing nothing to record.
func Unrecorded(ctx context.Context) {
	if n, ok := ctx.Value(noteKey{}).(*Note); ok {
		n.Skip = true
	}
}
