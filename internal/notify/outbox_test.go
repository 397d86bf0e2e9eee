package notify_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
)

// testOutbox is what the dispatcher tests need from a store: the outbox,
// a way to add messages as the engine would, and a way to read back the
// attempts.
type testOutbox interface {
	notify.Outbox
	add(ctx context.Context, msgs ...notify.OutboxMessage) error
	attempts(ctx context.Context) ([]notify.Attempt, error)
	message(ctx context.Context, id string) (notify.OutboxMessage, error)
	setFailing(bool)
}

// memOutbox is an in-memory outbox with the store's lease semantics: a
// claimed message is invisible to ClaimDue until its lease ends or an
// attempt is recorded. fail makes every call return an error.
type memOutbox struct {
	mu     sync.Mutex
	msgs   map[string]*memMessage
	att    []notify.Attempt
	failOn bool
}

type memMessage struct {
	notify.OutboxMessage
	leaseOwner string
	leaseUntil time.Time
}

func newMemOutbox() *memOutbox { return &memOutbox{msgs: map[string]*memMessage{}} }

var errStoreDown = errors.New("database is locked")

func (s *memOutbox) setFailing(f bool) {
	s.mu.Lock()
	s.failOn = f
	s.mu.Unlock()
}

func (s *memOutbox) add(_ context.Context, msgs ...notify.OutboxMessage) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range msgs {
		if m.State == "" {
			m.State = notify.StatePending
		}
		s.msgs[m.ID] = &memMessage{OutboxMessage: m}
	}
	return nil
}

func (s *memOutbox) ClaimDue(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]notify.OutboxMessage, error) {
	return s.ClaimDueExcept(ctx, owner, now, lease, limit, nil)
}

func (s *memOutbox) ClaimDueExcept(_ context.Context, owner string, now time.Time, lease time.Duration, limit int, skip []string) ([]notify.OutboxMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failOn {
		return nil, errStoreDown
	}
	var due []*memMessage
	for _, m := range s.msgs {
		if m.State == notify.StatePending && !m.NextAttempt.After(now) && !m.leaseUntil.After(now) && !slices.Contains(skip, m.Channel) {
			due = append(due, m)
		}
	}
	slices.SortFunc(due, func(a, b *memMessage) int { return a.NextAttempt.Compare(b.NextAttempt) })
	if len(due) > limit {
		due = due[:limit]
	}
	out := make([]notify.OutboxMessage, 0, len(due))
	for _, m := range due {
		m.leaseOwner, m.leaseUntil = owner, now.Add(lease)
		out = append(out, m.OutboxMessage)
	}
	return out, nil
}

func (s *memOutbox) RecordAttempts(_ context.Context, as []notify.AttemptRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failOn {
		return errStoreDown
	}
	for _, a := range as {
		if _, ok := s.msgs[a.MessageID]; ok {
			s.recordAttempt(a.Attempt, a.Next)
		}
	}
	return nil
}

func (s *memOutbox) RecordAttempt(_ context.Context, a notify.Attempt, next time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failOn {
		return errStoreDown
	}
	if _, ok := s.msgs[a.MessageID]; !ok {
		return errors.New("no such message")
	}
	s.recordAttempt(a, next)
	return nil
}

func (s *memOutbox) recordAttempt(a notify.Attempt, next time.Time) {
	m := s.msgs[a.MessageID]
	a.ID = int64(len(s.att) + 1)
	s.att = append(s.att, a)
	m.Attempts++
	m.LastError = a.Error
	m.leaseOwner, m.leaseUntil = "", time.Time{}
	switch a.Outcome {
	case notify.OutcomeSent:
		m.State = notify.StateSent
	case notify.OutcomeFailed:
		m.State = notify.StateFailed
	default:
		m.NextAttempt = next
	}
}

func (s *memOutbox) ReleaseLeases(_ context.Context, owner string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failOn {
		return 0, errStoreDown
	}
	n := 0
	for _, m := range s.msgs {
		if m.leaseOwner == owner && m.State == notify.StatePending {
			m.leaseOwner, m.leaseUntil = "", time.Time{}
			n++
		}
	}
	return n, nil
}

func (s *memOutbox) OutboxDepth(context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failOn {
		return 0, errStoreDown
	}
	n := 0
	for _, m := range s.msgs {
		if m.State == notify.StatePending {
			n++
		}
	}
	return n, nil
}

func (s *memOutbox) NextDue(context.Context) (time.Time, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failOn {
		return time.Time{}, false, errStoreDown
	}
	var next time.Time
	ok := false
	for _, m := range s.msgs {
		if m.State != notify.StatePending {
			continue
		}
		t := m.NextAttempt
		if m.leaseUntil.After(t) {
			t = m.leaseUntil
		}
		if !ok || t.Before(next) {
			next, ok = t, true
		}
	}
	return next, ok, nil
}

func (s *memOutbox) attempts(context.Context) ([]notify.Attempt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.att), nil
}

func (s *memOutbox) message(_ context.Context, id string) (notify.OutboxMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.msgs[id]
	if !ok {
		return notify.OutboxMessage{}, errors.New("no such message")
	}
	return m.OutboxMessage, nil
}

var _ testOutbox = (*memOutbox)(nil)

// sqlOutbox is the real SQLite store, in memory.
type sqlOutbox struct {
	*sqlstore.DB
}

func newSQLOutbox(t *testing.T) *sqlOutbox {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), sqlstore.Options{Driver: "sqlite", DSN: ":memory:"})
	if err != nil {
		t.Fatalf("opening the store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return &sqlOutbox{db}
}

func (s *sqlOutbox) add(ctx context.Context, msgs ...notify.OutboxMessage) error {
	return s.SaveBatch(ctx, store.Batch{Outbox: msgs})
}

func (s *sqlOutbox) attempts(ctx context.Context) ([]notify.Attempt, error) {
	as, err := s.Attempts(ctx, "", store.Page{Limit: 1000})
	slices.Reverse(as) // oldest first, like memOutbox
	return as, err
}

func (s *sqlOutbox) message(ctx context.Context, id string) (notify.OutboxMessage, error) {
	ms, err := s.OutboxMessages(ctx, "", store.Page{Limit: 1000})
	if err != nil {
		return notify.OutboxMessage{}, err
	}
	for _, m := range ms {
		if m.ID == id {
			return m, nil
		}
	}
	return notify.OutboxMessage{}, errors.New("no such message")
}

func (s *sqlOutbox) setFailing(bool) {}

var _ testOutbox = (*sqlOutbox)(nil)

// stores runs f once against the in-memory fake and once against SQLite.
func stores(t *testing.T, f func(t *testing.T, newStore func(t *testing.T) testOutbox)) {
	t.Run("sqlite", func(t *testing.T) {
		f(t, func(t *testing.T) testOutbox { return newSQLOutbox(t) })
	})
	t.Run("memory", func(t *testing.T) {
		f(t, func(t *testing.T) testOutbox { return newMemOutbox() })
	})
}
