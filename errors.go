// Package phonghop holds the domain types and errors of the paperless meeting-room
// server. It has no dependencies beyond the standard library; the subpackages wrap
// storage, live events, voting, minutes and HTTP around it.
package phonghop

import (
	"errors"
	"fmt"
)

// Error codes of the API contract. The HTTP layer maps each to one status.
const (
	EInvalid         = "invalid_argument"
	EUnauthenticated = "unauthenticated"
	EForbidden       = "forbidden"
	ENotFound        = "not_found"
	EConflict        = "conflict"
	ETooLarge        = "payload_too_large"
	EUnsupportedType = "unsupported_media_type"
	ETooMany         = "too_many_requests"
	EUnavailable     = "unavailable"
	EInternal        = "internal"
)

// Error is an error meant for the client: its message is safe to show.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf returns an *Error with a formatted, client-safe message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EInternal for any
// other non-nil error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	default:
		return EInternal
	}
}

// ErrorMessage returns the client-safe message of err; internals never leak.
func ErrorMessage(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Message
	default:
		return "internal error"
	}
}
