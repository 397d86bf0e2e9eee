package sqlstore

import (
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/tocsin/tocsin/internal/errs"
)

// refused returns err as an EINVALID *errs.Error (wrapping it) when it
// says the database refused the data itself — a constraint, a value out of
// range, text that is not valid in the column's encoding — so writing the
// same rows again would fail again. Any other error (the database is
// unreachable, the disk is full, a timeout) comes back unchanged: it may
// pass when retried. An *errs.Error is returned as it is.
//
// The batched writers rely on this split: on EINVALID they look for the
// rows at fault and write the rest; on anything else they keep the batch
// and retry it.
func refused(err error) error {
	if err == nil {
		return nil
	}
	var e *errs.Error
	if errors.As(err, &e) {
		return err
	}
	if !isDataError(err) {
		return err
	}
	return &errs.Error{Code: errs.EINVALID, Message: "the database refused the data: " + err.Error(), Err: err}
}

// isDataError reports whether err is about the values written rather than
// the database's availability.
func isDataError(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && len(pe.Code) == 5 {
		switch pe.Code[:2] {
		case "22", // data exception: invalid UTF-8, NUL in text, value out of range
			"23", // integrity constraint violation
			"54": // program limit exceeded: a value too large to index
			return true
		}
		return false
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_CONSTRAINT, sqlite3.SQLITE_MISMATCH, sqlite3.SQLITE_TOOBIG, sqlite3.SQLITE_RANGE:
			return true
		}
		return false
	}
	// pgx refuses a Go value it cannot encode for the column's type before
	// anything is sent; its error has no type of its own.
	return strings.Contains(err.Error(), "failed to encode args[")
}
