// Package engine is the evaluation pipeline: it takes every Result — from
// a local probe, from a heartbeat's ping or missed deadline, later from an
// agent — to the notifications it causes, through a fixed chain of stages,
// each a package of its own that reads alone:
//
//  1. monitor (internal/monitor): the pure state machine,
//     (state, result, now) → (state, transitions), with thresholds and
//     flapping.
//  2. alert (internal/alert): a transition becomes an alert — the event it
//     raises and the channels that want it — or nothing; and a change to
//     the paged alert of its group (alert.Group: open, join, recover),
//     put down to a dependency that is down when one is (alert.Impact,
//     alert.Released). The store applies those changes in the flush
//     transaction, where it finds the group's open alert; the escalator
//     (internal/escalate) pages from there. Maintenance and silences
//     belong here too.
//  3. incident and 4. oncall: not built yet. They join between alert and
//     notify (see route in stages.go), each taking what the stage before
//     returned; no stage before them changes for it.
//  5. notify (internal/notify): an alert becomes one durable outbox
//     message per channel; the notify.Dispatcher sends them later, apart
//     from the pipeline, so a slow channel never slows evaluation.
//
// The stages are pure functions of the configuration and their input; the
// engine owns everything around them: their order, the monitors' live
// state, and the writes.
//
// # Single writer and transaction boundary
//
// The Engine is the single writer of monitor state. Probes and the
// heartbeat hub hand results in with Submit (which blocks while the queue
// is full: back pressure on the probes); one goroutine (Run) evaluates
// them in arrival order. Pause, resume and configuration changes (Apply,
// SetPaused) take the same lock, so a monitor's state moves one step at a
// time.
//
// What the stages produce — the result, the new state, the transitions and
// the outbox messages they cause — is collected in memory and written in
// one transaction per flush (store.Results.SaveBatch): every FlushInterval
// when the batch moves a status or an alert, holds a notification or is
// waited for (Durable), else every QuietFlush; as soon as about 2,000 rows
// wait; and once more on Close. A transition
// and its notifications are therefore stored together or not at all, and
// nothing is sent before it is stored. A row the database refuses is
// dropped alone (internal/store/batch finds it); when the database cannot
// write at all the batch is kept and retried, so an outage delays but
// loses nothing. After a flush that stored notifications the engine wakes
// the dispatcher.
//
// # Ownership
//
// The engine asks an Ownership "is this monitor mine?" wherever it accepts
// work: Runs (the scheduler's question before each run) and Submit. A
// process that runs alone answers yes for every monitor (Single); replicas
// sharing a database will answer from leases, so that one replica runs and
// evaluates each monitor. Views show every configured monitor either way.
//
// # What stays outside
//
// internal/app builds the engine and wires it: the scheduler's jobs and
// the heartbeat hub submit to it, the web runtime reads its Views, the
// per-monitor metrics observe it (Observer), and its flushes wake the
// outbox dispatcher.
package engine
