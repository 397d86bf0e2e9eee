package engine

// Messages of the records the engine writes once per monitor and event.
// The program's log handler summarises them during a storm (logx.Storm).
const (
	// LogStateChanged is written for each state change, with the
	// attributes monitor, from, to, flapping and reason.
	LogStateChanged = "monitor state changed"
	// LogHeldBack is written for each notification a maintenance window
	// or silence holds back, with monitor, event, by, id, until, reason.
	LogHeldBack = "notification held back"
)
