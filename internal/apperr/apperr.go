// Package apperr defines Atlante's one error type: an operation, a kind from a
// closed list, a message that is safe to show to a client, and the cause that
// is only logged.
package apperr

import (
	"context"
	"errors"
	"fmt"
)

// Kind classifies an error; the HTTP layer maps each kind to one status.
type Kind int

// The closed list of kinds. Internal is the zero value so that an error that
// nobody classified is never shown to a client.
const (
	Internal      Kind = iota // a fault of ours: fixed text to the client, cause logged
	Invalid                   // the request or input is malformed or out of range
	Unprocessable             // well-formed, but cannot be processed (e.g. invalid geometry)
	NotFound                  // the object does not exist (or the caller may not know it does)
	Conflict                  // the object's state forbids the change
	Precondition              // an If-Match precondition failed
	Unauthorized              // no or bad credentials
	Forbidden                 // credentials valid, but outside their scope
	TooLarge                  // the request or its result is too large
	NotAllowed                // the method is not allowed on this resource (read-only)
	Unavailable               // the database is unreachable or a query timed out
	Canceled                  // the client went away
)

var kindNames = [...]string{
	Internal:      "internal",
	Invalid:       "invalid",
	Unprocessable: "unprocessable",
	NotFound:      "not found",
	Conflict:      "conflict",
	Precondition:  "precondition failed",
	Unauthorized:  "unauthorized",
	Forbidden:     "forbidden",
	TooLarge:      "too large",
	NotAllowed:    "not allowed",
	Unavailable:   "unavailable",
	Canceled:      "canceled",
}

func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// FieldError names one problem with one field of the input (a query
// parameter, a property, a CSV column).
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// Error is the error type every package returns for conditions a caller may
// want to act on.
type Error struct {
	Op     string       // the operation, e.g. "features.Items"
	Kind   Kind         // what went wrong, for the caller
	Msg    string       // safe to show to the client
	Fields []FieldError // optional per-field problems
	Err    error        // the cause, only logged
}

func (e *Error) Error() string {
	s := e.Op
	if s != "" {
		s += ": "
	}
	if e.Msg != "" {
		s += e.Msg
	} else {
		s += e.Kind.String()
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error of kind k with a client-safe message.
func New(op string, k Kind, format string, args ...any) *Error {
	return &Error{Op: op, Kind: k, Msg: fmt.Sprintf(format, args...)}
}

// Wrap returns an error of kind k with a client-safe message and a cause.
func Wrap(op string, k Kind, err error, format string, args ...any) *Error {
	return &Error{Op: op, Kind: k, Msg: fmt.Sprintf(format, args...), Err: err}
}

// Invalidf is shorthand for an Invalid error about one field.
func Invalidf(op, field, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{Op: op, Kind: Invalid, Msg: field + ": " + msg, Fields: []FieldError{{Field: field, Reason: msg}}}
}

// KindOf returns the kind of the first *Error in err's chain. Context
// cancellation and deadlines are recognised even when unwrapped.
func KindOf(err error) Kind {
	if err == nil {
		return Internal
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	switch {
	case errors.Is(err, context.Canceled):
		return Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return Unavailable
	}
	return Internal
}

// Message returns the client-safe message of err, or "" when it has none.
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Msg
	}
	return ""
}

// Fields returns the field problems of err, if any.
func Fields(err error) []FieldError {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}
