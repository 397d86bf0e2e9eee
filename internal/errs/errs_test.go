package errs

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"
)

// TestErrorUnwraps checks that the cause kept in Err stays reachable
// through errors.Is and errors.As, also when the *Error is itself wrapped,
// while Code and Message still answer from the *Error.
func TestErrorUnwraps(t *testing.T) {
	cause := &fs.PathError{Op: "open", Path: "/var/lib/tocsin/db", Err: fs.ErrPermission}
	e := &Error{Code: EUNAVAILABLE, Message: "the store cannot be opened", Err: cause}
	for name, err := range map[string]error{
		"bare":    e,
		"wrapped": fmt.Errorf("starting: %w", e),
	} {
		t.Run(name, func(t *testing.T) {
			if !errors.Is(err, fs.ErrPermission) {
				t.Errorf("errors.Is(%v, fs.ErrPermission) = false, want true", err)
			}
			var pe *fs.PathError
			if !errors.As(err, &pe) || pe.Path != "/var/lib/tocsin/db" {
				t.Errorf("errors.As(%v, *fs.PathError) = %v, want the cause", err, pe)
			}
			var got *Error
			if !errors.As(err, &got) || got != e {
				t.Errorf("errors.As(%v, *Error) = %v, want the error itself", err, got)
			}
			if Code(err) != EUNAVAILABLE || Message(err) != "the store cannot be opened" {
				t.Errorf("Code, Message = %q, %q", Code(err), Message(err))
			}
		})
	}
	if errors.Is(Errorf(EINVALID, "bad"), fs.ErrPermission) {
		t.Error("an *Error without a cause matches fs.ErrPermission")
	}
	if err := (&Error{Code: EINVALID, Message: "bad"}).Unwrap(); err != nil {
		t.Errorf("Unwrap without a cause = %v, want nil", err)
	}
}
