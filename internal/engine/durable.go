package engine

import (
	"context"
	"sync"
	"sync/atomic"
)

// durability counts results through the engine, so a caller that must
// not acknowledge a result before it is stored (an agent's push) can wait
// for it: submitted counts the results handed to Submit; evaluated, kept
// by Run alone, those Run took from the queue; stored, the evaluated ones
// whose batch has been written.
type durability struct {
	submitted atomic.Uint64
	evaluated uint64

	// waiters counts the calls of Durable waiting: the next flush
	// comes at the flush interval, not the quiet one.
	waiters atomic.Int32

	mu     sync.Mutex
	stored uint64
	// changed is closed, and replaced, whenever stored grows.
	changed chan struct{}
}

// written records that the results evaluated up to through are stored.
func (d *durability) written(through uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if through <= d.stored {
		return
	}
	d.stored = through
	if d.changed != nil {
		close(d.changed)
		d.changed = nil
	}
}

// Durable returns once every result handed to Submit before the call has
// been evaluated and written to the store — at the next flush, within the
// flush interval while the store works — or with ctx's error when ctx
// ends first, as it does while the store cannot write. Results the store
// refused as rows count as written: they were dropped and counted, and
// waiting would not store them.
func (e *Engine) Durable(ctx context.Context) error {
	target := e.dur.submitted.Load()
	e.dur.waiters.Add(1)
	defer e.dur.waiters.Add(-1)
	for {
		e.dur.mu.Lock()
		if e.dur.stored >= target {
			e.dur.mu.Unlock()
			return nil
		}
		if e.dur.changed == nil {
			e.dur.changed = make(chan struct{})
		}
		ch := e.dur.changed
		e.dur.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}
