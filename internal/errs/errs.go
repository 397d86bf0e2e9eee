// Package errs defines the one error type Tocsin uses to tell callers what
// kind of failure happened, so that HTTP handlers and the CLI can answer with
// the right status without parsing messages.
package errs

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to one HTTP status in the web package.
const (
	EINVALID      = "invalid"      // bad input from the caller
	ENOTFOUND     = "not_found"    // the thing does not exist
	ECONFLICT     = "conflict"     // it exists already, or the state forbids the change
	EUNAUTHORIZED = "unauthorized" // no or bad credentials
	EFORBIDDEN    = "forbidden"    // credentials fine, action not allowed
	ETOOLARGE     = "too_large"    // request body or value over its limit
	ERATELIMIT    = "rate_limited" // too many requests
	EUNAVAILABLE  = "unavailable"  // a dependency (store, target) is unreachable
	EINTERNAL     = "internal"     // a bug or an unexpected failure
)

// Error is an application error with a machine-readable code and a message
// written for the person who caused it.
type Error struct {
	Code    string
	Message string
	// Err is the underlying error, when there is one; Message already
	// says what it means for the caller.
	Err error
}

// Error returns the human message.
func (e *Error) Error() string { return e.Message }

// Unwrap returns the underlying error, or nil.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Code returns the code of the first *Error in err's chain, EINTERNAL for any
// other non-nil error and "" for nil.
func Code(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// Message returns the human message of the first *Error in err's chain, or a
// generic text for internal errors, whose details must not leak to callers.
func Message(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
