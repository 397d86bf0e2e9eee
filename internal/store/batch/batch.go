// Package batch writes batches of rows so that a row the database refuses
// never holds back the rows behind it, and keeps the health of each batched
// writer (results, pings, outbox) for /readyz and /metrics.
//
// The store says why a write failed: EINVALID or ECONFLICT when it refused
// the data itself (writing the same rows again would fail again), anything
// else when it could not write at all (unreachable, disk full, timeout). On
// a refusal Write splits the batch in halves and writes each, down to the
// single rows at fault, which it reports and drops; on anything else it
// stops and hands back what is left, for the writer to keep and retry.
package batch

import (
	"github.com/tocsin/tocsin/internal/errs"
)

// Refused reports whether err says the store refused the data itself
// (codes EINVALID, ECONFLICT, ETOOLARGE), rather than failing to write.
func Refused(err error) bool {
	switch errs.Code(err) {
	case errs.EINVALID, errs.ECONFLICT, errs.ETOOLARGE:
		return true
	}
	return false
}

// Rejected is a row the store refused, and why.
type Rejected[T any] struct {
	Row T
	Err error
}

// Outcome is what Write did with a batch.
type Outcome[T any] struct {
	// Rejected are the rows the store refused; they were not written.
	Rejected []Rejected[T]
	// Unwritten are the rows not written because of Err, in batch order.
	Unwritten []T
	// Err is the error that stopped the writing when the store could not
	// write (not a refusal); nil when every row was written or rejected.
	Err error
}

// Write writes rows with write, as one call when the store takes them.
// When it refuses them, Write bisects: it writes each half on its own,
// recursively, until the rows at fault stand alone; those are rejected
// (counted and logged on w) and the others are written. A batch with k bad
// rows among n costs about 2·k·log2(n) extra writes. The first error that
// is not a refusal stops it: the rows not yet written come back in
// Unwritten, with the error in Err. Every call to write goes through
// w.Do, so w sees each attempt; w may be nil.
func Write[T any](w *Writer, rows []T, write func([]T) error) Outcome[T] {
	var o Outcome[T]
	if len(rows) == 0 {
		return o
	}
	o.write(w, rows, write)
	for _, r := range o.Rejected {
		w.Reject(r.Err)
	}
	return o
}

func (o *Outcome[T]) write(w *Writer, rows []T, write func([]T) error) {
	if o.Err != nil {
		o.Unwritten = append(o.Unwritten, rows...)
		return
	}
	err := w.Do(func() error { return write(rows) })
	switch {
	case err == nil:
	case !Refused(err):
		o.Err = err
		o.Unwritten = append(o.Unwritten, rows...)
	case len(rows) == 1:
		o.Rejected = append(o.Rejected, Rejected[T]{Row: rows[0], Err: err})
	default:
		mid := len(rows) / 2
		o.write(w, rows[:mid], write)
		o.write(w, rows[mid:], write)
	}
}
