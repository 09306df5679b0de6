package sqlite

import (
	"errors"
	"fmt"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/jetgraph/jetgraph/saver"
)

// code returns the SQLite result code of err (extended codes reduced to
// their primary code), or 0 when err does not come from SQLite.
func code(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() & 0xff
	}
	return 0
}

// mapErr wraps SQLite errors that have a saver meaning with its sentinel:
// an oversized row is saver.ErrTooLarge, a corrupt file saver.ErrCorrupt.
// Constraint violations are conflicts; Append reports them itself with the
// sequences involved.
func mapErr(err error) error {
	switch code(err) {
	case sqlite3.SQLITE_TOOBIG:
		return fmt.Errorf("%w: %w", saver.ErrTooLarge, err)
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return fmt.Errorf("%w: %w", saver.ErrCorrupt, err)
	case sqlite3.SQLITE_CONSTRAINT:
		return fmt.Errorf("%w: %w", saver.ErrConflict, err)
	}
	return err
}
