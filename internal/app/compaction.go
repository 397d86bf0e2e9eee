package app

import (
	"context"
	"time"
)

// compactEvery is how often the server compacts stored results; a slice of
// time (ten minutes) is packed one to two minutes after it closes.
const compactEvery = time.Minute

// compactGrace is how long after a slice of time closes its results are
// left as they are, so the results of its last checks, still in the
// write buffer, are packed with it. Later ones (an agent's buffered
// results) are merged into the pack by the next compaction.
const compactGrace = time.Minute

// compactResults packs the results of closed slices of time into the
// store's compact form (on PostgreSQL; SQLite keeps its rows), once a
// minute, a few monitors per transaction, beside the writers.
func (a *App) compactResults(ctx context.Context) {
	for {
		start := time.Now()
		n, err := a.store.CompactResults(ctx, a.now().UTC().Add(-compactGrace))
		switch {
		case err != nil && ctx.Err() == nil:
			a.log.Error("compacting stored results", "err", err)
		case n > 0:
			a.log.Debug("compacted stored results", "results", n, "took", time.Since(start).Round(time.Millisecond))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(compactEvery):
		}
	}
}
