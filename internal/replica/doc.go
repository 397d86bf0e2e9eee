// Package replica shares the monitors between several `tocsin serve`
// processes on one PostgreSQL database, and answers the engine's "is this
// monitor mine?" (engine.Ownership) for one of them.
//
// Each replica heartbeats a row of the registry (store.Replicas). The
// monitors hash into a fixed number of buckets (BucketOf); a replica runs
// the monitors of the buckets whose lease it holds. Every third of the
// lease time it renews its leases, and balances them with the pure
// Rebalance: under its fair share of the live replicas (Target) it takes
// free or expired buckets, over it it gives up the excess, so a replica
// joining or leaving moves only the buckets that must move.
//
// Safety rests on three rules:
//
//   - fencing: a replica stops treating a bucket as its own once its last
//     successful renewal is older than the lease time less a margin, by
//     its own monotonic clock; a replica cut off from the database stops
//     probing before anyone else may start;
//   - a bucket taken over is not run before the previous holder's lease
//     (or, for a bucket given up, a short grace for its last writes) has
//     ended;
//   - before running a bucket taken over, the replica loads its monitors'
//     stored state (Options.Acquire), so a monitor that moves neither
//     alerts again nor forgets it was down.
//
// Owns reads an atomic snapshot: no lock, no database.
package replica
