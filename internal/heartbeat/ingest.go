package heartbeat

import (
	"context"
	"crypto/subtle"
	"errors"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/safetext"
)

// Receive takes one ping and returns once it is stored. Errors are
// *errs.Error: ENOTFOUND (unknown heartbeat), EINVALID (malformed ping),
// ERATELIMIT (too many pings), EUNAVAILABLE (shutting down, or the
// database failed: nothing was stored, the client may retry). A ping the
// database refuses gets EINVALID with ErrRefused in its chain; the pings
// sharing its commit are stored all the same.
func (h *Hub) Receive(ctx context.Context, p Ping) error {
	switch p.Kind {
	case KindSuccess, KindStart, KindFail, KindLog:
	case KindExit:
		if p.ExitStatus < 0 || p.ExitStatus > 255 {
			return errs.Errorf(errs.EINVALID, "exit status %d is out of range 0-255", p.ExitStatus)
		}
	default:
		return errs.Errorf(errs.EINVALID, "unknown ping kind %q", p.Kind)
	}
	if len(p.RunID) > 128 {
		return errs.Errorf(errs.EINVALID, "the run id is longer than 128 characters")
	}
	cleanText(&p)
	ls := h.limits.Load()
	d, err := h.resolve(ctx, p, ls)
	if err != nil {
		return err
	}
	if p.Time.IsZero() {
		p.Time = h.o.Now()
	}
	// The store keeps milliseconds; so does the state, so a replay after a
	// restart gives the same state.
	p.Time = p.Time.UTC().Truncate(time.Millisecond)
	if b, cut := safetext.CutBytes(p.Body, ls.BodyLimit); cut {
		p.Body, p.Truncated = b, true
	}
	if p.Source != "" && !ls.perClient.allow(p.Source, p.Time) {
		h.m.limited.WithLabelValues("client").Inc()
		return errs.Errorf(errs.ERATELIMIT, "too many pings from %s; slow down", p.Source)
	}
	if !ls.perHeartbeat.allow(d.ID, p.Time) {
		h.m.limited.WithLabelValues("heartbeat").Inc()
		return errs.Errorf(errs.ERATELIMIT, "too many pings for this heartbeat; slow down")
	}
	req := h.reqs.Get().(*request)
	req.ping, req.def = p, d
	h.closeMu.RLock()
	if h.closed {
		h.closeMu.RUnlock()
		h.reqs.Put(req)
		return errs.Errorf(errs.EUNAVAILABLE, "the server is shutting down; ping again shortly")
	}
	h.in <- req
	h.closeMu.RUnlock()
	// Wait for the commit even if the client went away: the writer owns
	// req until it answers.
	err = <-req.done
	req.ping, req.def = Ping{}, nil
	h.reqs.Put(req)
	return err
}

// Known returns nil when p names a heartbeat (by UUID, or by slug with the
// right ping key) and ENOTFOUND otherwise. It never creates one; the email
// listener asks it before it accepts a recipient.
func (h *Hub) Known(ctx context.Context, p Ping) error {
	p.Create = false
	_, err := h.resolve(ctx, p, h.limits.Load())
	return err
}

func (h *Hub) resolve(ctx context.Context, p Ping, ls *limitState) (*Definition, error) {
	ix := h.defs.Load()
	if p.UUID != "" {
		if d, ok := ix.byUUID[strings.ToLower(p.UUID)]; ok {
			return d, nil
		}
		return nil, errs.Errorf(errs.ENOTFOUND, "no heartbeat has uuid %q", p.UUID)
	}
	if p.Slug == "" || ls.PingKey == "" || subtle.ConstantTimeCompare([]byte(p.PingKey), []byte(ls.PingKey)) != 1 {
		return nil, errs.Errorf(errs.ENOTFOUND, "no heartbeat has this ping key and slug")
	}
	if d, ok := ix.bySlug[p.Slug]; ok {
		return d, nil
	}
	if !p.Create || h.o.Create == nil {
		return nil, errs.Errorf(errs.ENOTFOUND, "no heartbeat has slug %q", p.Slug)
	}
	// Every limit is checked before anything is created: first the cap
	// (cheap, and it needs no lock to refuse a flood), then the rates.
	if err := ls.create.full(len(ix.bySlug)); err != nil {
		h.m.limited.WithLabelValues("max_heartbeats_per_key").Inc()
		return nil, err
	}
	cancel, err := ls.create.reserve(p.Source, h.o.Now())
	if err != nil {
		var cle *CreateLimitError
		if errors.As(err, &cle) {
			h.m.limited.WithLabelValues(cle.Limit).Inc()
		}
		return nil, err
	}
	h.createMu.Lock()
	defer h.createMu.Unlock()
	ix = h.defs.Load()
	if d, ok := ix.bySlug[p.Slug]; ok {
		cancel() // created by a ping just before this one
		return d, nil
	}
	if err := ls.create.full(len(ix.bySlug)); err != nil {
		cancel()
		h.m.limited.WithLabelValues("max_heartbeats_per_key").Inc()
		return nil, err
	}
	if _, err := h.o.Create(ctx, p.Slug); err != nil {
		return nil, err
	}
	if d, ok := h.defs.Load().bySlug[p.Slug]; ok {
		h.o.Logger.Info("heartbeat created by a ping", "slug", p.Slug, "heartbeat", d.ID)
		if f, ok := ctx.Value(createdKey{}).(*bool); ok {
			*f = true
		}
		return d, nil
	}
	return nil, errs.Errorf(errs.EINTERNAL, "heartbeat for slug %q was created but is not known", p.Slug)
}

type createdKey struct{}

// ReportCreated returns a context in which Receive records, in the flag
// returned, whether the ping created its heartbeat (?create=1).
func ReportCreated(ctx context.Context) (context.Context, *bool) {
	f := new(bool)
	return context.WithValue(ctx, createdKey{}, f), f
}
