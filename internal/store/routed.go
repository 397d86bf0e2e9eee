package store

import (
	"context"
	"encoding/json"
	"time"
)

// Kinds of routed work.
const (
	// RoutedPing is a heartbeat ping, stored in pings by the replica that
	// took it; Payload is the heartbeat package's encoding of it.
	RoutedPing = "ping"
	// RoutedResult is an agent's result (a probe.Result as JSON).
	RoutedResult = "result"
)

// Routed is work one replica accepted for the replica that runs its
// monitor: a ping of a heartbeat or a result of a monitor whose bucket
// another replica holds. The holder of Bucket takes it (TakeRouted).
type Routed struct {
	ID     int64
	Bucket int
	Kind   string
	// Subject is the heartbeat or monitor id.
	Subject string
	Payload json.RawMessage
	Created time.Time
}

// Routing hands work between replicas (PostgreSQL; on SQLite one process
// owns every monitor and nothing is routed).
type Routing interface {
	// Route stores items for the holders of their buckets. Pings are
	// routed with the ping itself, in PingBatch.Routed.
	Route(ctx context.Context, items []Routed) error
	// TakeRouted passes up to limit stored items of kind and buckets,
	// oldest first,
	// to take, and deletes them in the same transaction when take returns
	// nil, together with writing the heartbeat states take returns. Items
	// another replica is taking at the same moment are skipped. An error
	// from take keeps the items for the next call. It returns how many
	// items were taken.
	TakeRouted(ctx context.Context, kind string, buckets []int, limit int, take func([]Routed) (map[string]json.RawMessage, error)) (int, error)
	// RoutedWaiting reports whether items of any kind wait for buckets,
	// in one statement outside a transaction: a replica polls for its
	// work several times a second, and most polls find none.
	RoutedWaiting(ctx context.Context, buckets []int) (bool, error)
}
