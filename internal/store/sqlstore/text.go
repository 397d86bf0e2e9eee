package sqlstore

import "github.com/tocsin/tocsin/internal/safetext"

// Text contract: every string the store writes, and every string it looks
// rows up by, is first made valid UTF-8 without NUL bytes (safetext.Valid:
// invalid sequences become U+FFFD, NULs are dropped). PostgreSQL refuses
// such text, and refuses the whole statement with it, so one hostile value
// would fail every row written beside it; SQLite would keep bytes that read
// back as something other than text. Callers sanitise at ingest already;
// this is the last line of defence, and it keeps both databases alike.
// Bytes ([]byte: ping bodies, hashes) are stored as they are. Values the
// store keeps as JSON (monitor states, a transition's result, an outbox
// message's event) are written as encoding/json encodes them: valid UTF-8
// already (each invalid byte becomes U+FFFD), a NUL as the escape \u0000.

// text returns s as the store keeps it.
func text(s string) string { return safetext.Valid(s) }

// textArgs replaces, in place, every string among a statement's args with
// text(s), and returns args.
func textArgs(args ...any) []any {
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = safetext.Valid(s)
		}
	}
	return args
}
