package engine

// Messages of the records the engine writes once per monitor and event.
// The program's log handler summarises them during a storm (logx.Storm).
const (
	// LogStateChanged is written for each state change, with the
	// attributes monitor, from, to, flapping and reason.
	LogStateChanged = "monitor state changed"
	// LogLeaseLost is written when the database refused a write because
	// this replica no longer held the leases of some of its buckets
	// (another replica took them over while the write hung), with the
	// number of buckets; their rows are held until the next round of
	// leases writes or drops them.
	LogLeaseLost = "write refused: the leases of its monitors were lost meanwhile"
	// LogHeldBack is written for each notification a maintenance window
	// or silence holds back, with monitor, event, by, id, until, reason.
	LogHeldBack = "notification held back"
)
