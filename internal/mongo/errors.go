package mongo

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"

	"gitlab.com/mlserve/mlserve/model"
)

// storeErr turns a driver error into a domain error, keeping the driver's
// error in the chain for logs: no document is CodeNotFound, a duplicate key
// CodeConflict, and a server that cannot be reached in time
// CodeUnavailable, so the API answers 503 while the database is down.
// Other errors, including the caller's own cancellation, are wrapped as they
// are. Callers with a better message for not-found or duplicate key check
// for them first.
func storeErr(op string, err error) error {
	var code, msg string
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mongo.ErrNoDocuments):
		code, msg = model.CodeNotFound, "not found"
	case mongo.IsDuplicateKeyError(err):
		code, msg = model.CodeConflict, "already exists"
	case unavailable(err):
		code, msg = model.CodeUnavailable, "the database is unavailable"
	default:
		return fmt.Errorf("%s: %w", op, err)
	}
	return fmt.Errorf("%s: %w: %w", op, model.Errorf(code, "%s", msg), err)
}

// unavailable reports whether err means the server could not be reached or
// did not answer in time, as opposed to refusing the operation.
func unavailable(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false // the caller gave up; the server may be fine
	}
	var sse topology.ServerSelectionError
	// A pool the driver cleared after another operation's network error
	// fails the operations queued on it with an error of its own.
	var cleared driver.RetryablePoolError
	return errors.As(err, &sse) ||
		errors.As(err, &cleared) ||
		errors.Is(err, mongo.ErrClientDisconnected) ||
		mongo.IsNetworkError(err) ||
		mongo.IsTimeout(err)
}
