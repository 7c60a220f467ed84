package model

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to one HTTP status in the api package's error table.
const (
	CodeInvalid     = "invalid"         // well-formed but invalid input (422)
	CodeMalformed   = "malformed"       // the body cannot be parsed (400)
	CodeNotFound    = "not_found"       // unknown resource (404)
	CodeConflict    = "conflict"        // the resource's state forbids the change (409)
	CodeUnavailable = "unavailable"     // a dependency is down (503)
	CodeInternal    = "internal"        // a bug or an unexpected failure (500)
	CodeTimeout     = "timeout"         // a job ran past its deadline
	CodeCanceled    = "canceled"        // a job was canceled on request
	CodeTooLarge    = "too_large"       // the input is over a configured size limit (413)
	CodeCorrupt     = "corrupt"         // stored bytes fail their integrity check
	CodeTrainFailed = "training_failed" // the training library failed on this data; retrying will not help
)

// Error is a domain error: a machine-readable code, a message a user can act
// on, and for CodeInvalid the problem with each offending field.
type Error struct {
	Code    string
	Message string
	// Fields maps a field (a JSON path such as "params.trees") to its problem.
	Fields map[string]string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return e.Code + ": " + e.Message
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns a CodeInvalid error carrying field problems.
// It returns nil when fields is empty, so a Valid method can end with
// `return model.Invalid(problems)`.
func Invalid(fields map[string]string) error {
	if len(fields) == 0 {
		return nil
	}
	return &Error{Code: CodeInvalid, Message: "the request is invalid", Fields: fields}
}

// ErrorCode returns the code of the first *Error in err's chain,
// CodeInternal for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage returns the message of the first *Error in err's chain and
// "internal error" for any other error, so internals never reach a client.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
