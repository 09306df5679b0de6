package postgres

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/jetgraph/jetgraph/saver"
)

// PostgreSQL error codes with a saver meaning.
const (
	uniqueViolation      = "23505"
	serializationFailure = "40001"
	deadlockDetected     = "40P01"
	programLimitExceeded = "54000"
	dataCorrupted        = "XX001"
	indexCorrupted       = "XX002"
)

// sqlState returns the SQLSTATE of err, or "" when it has none.
func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// isConflict reports whether err means another writer got there first: a
// unique violation, or a serialization failure or deadlock when the
// caller's transactions run at a stricter isolation level.
func isConflict(err error) bool {
	switch sqlState(err) {
	case uniqueViolation, serializationFailure, deadlockDetected:
		return true
	}
	return false
}

// mapErr wraps native errors that have a saver meaning with its sentinel.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	switch sqlState(err) {
	case uniqueViolation, serializationFailure, deadlockDetected:
		return fmt.Errorf("%w: %w", saver.ErrConflict, err)
	case programLimitExceeded:
		return fmt.Errorf("%w: %w", saver.ErrTooLarge, err)
	case dataCorrupted, indexCorrupted:
		return fmt.Errorf("%w: %w", saver.ErrCorrupt, err)
	}
	return err
}
