package engine

// Ownership says which monitors this process runs and evaluates. The
// engine asks it wherever it accepts work: before each scheduled run
// (Runs) and for each result handed in (Submit).
//
// A process that runs alone owns every monitor (Single). Several replicas
// sharing one database will each own a share of them, held as leases in
// the store, so that exactly one replica probes a monitor and writes its
// state. Owns is called for every result: it must be cheap and safe for
// concurrent use, answering from memory, never from the database.
type Ownership interface {
	// Owns reports whether the monitor is this process's to run and
	// evaluate.
	Owns(monitorID string) bool
}

// Single is the Ownership of a process that runs alone: every monitor is
// its own.
type Single struct{}

// Owns returns true.
func (Single) Owns(string) bool { return true }

var _ Ownership = Single{}
