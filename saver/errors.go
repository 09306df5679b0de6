package saver

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors. Every backend maps its native errors to these; check them
// with errors.Is.
var (
	// ErrNotFound: the thread, namespace or checkpoint does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: another writer changed the thread first; nothing was written.
	ErrConflict = errors.New("conflict")
	// ErrStale: a write made on condition that a checkpoint was still the
	// latest (PutOp.IfLatest) found that it no longer was; nothing was
	// written. Errors that match it also match ErrConflict.
	ErrStale = errors.New("no longer the latest checkpoint")
	// ErrDeleted: the write builds on a thread that was deleted.
	ErrDeleted = errors.New("thread deleted")
	// ErrInvalid: the arguments are malformed (empty thread id, ...).
	ErrInvalid = errors.New("invalid argument")
	// ErrTooLarge: the write exceeds what the store accepts in one append.
	ErrTooLarge = errors.New("too large")
	// ErrCorrupt: stored data could not be decoded.
	ErrCorrupt = errors.New("corrupt data")
)

// NotFoundError says which checkpoint is missing. It unwraps to ErrNotFound.
type NotFoundError struct {
	ThreadID     string
	CheckpointNS string
	CheckpointID string
}

func (e *NotFoundError) Error() string {
	if e.CheckpointID == "" {
		return fmt.Sprintf("thread %q namespace %q: no checkpoint: %v", e.ThreadID, e.CheckpointNS, ErrNotFound)
	}
	return fmt.Sprintf("thread %q namespace %q: checkpoint %s: %v", e.ThreadID, e.CheckpointNS, e.CheckpointID, ErrNotFound)
}

// Unwrap returns ErrNotFound.
func (e *NotFoundError) Unwrap() error { return ErrNotFound }

// ConflictError says why a write lost a race. It unwraps to ErrConflict.
type ConflictError struct {
	ThreadID string
	// Reason describes the conflict, e.g. "checkpoint X already has a child".
	Reason string
	// Expected and Actual are log positions when the conflict was detected by
	// a conditional append; zero otherwise.
	Expected, Actual uint64
}

func (e *ConflictError) Error() string {
	msg := fmt.Sprintf("thread %q: %v", e.ThreadID, ErrConflict)
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	if e.Expected != 0 || e.Actual != 0 {
		msg += fmt.Sprintf(" (expected last sequence %d, found %d)", e.Expected, e.Actual)
	}
	return msg
}

// Unwrap returns ErrConflict.
func (e *ConflictError) Unwrap() error { return ErrConflict }

// StaleError says which checkpoint a conditional write expected to be the
// latest of its namespace, and which was. It unwraps to ErrStale and
// ErrConflict.
type StaleError struct {
	ThreadID     string
	CheckpointNS string
	// Expected is the checkpoint the write built on ("" for none); Latest is
	// the namespace's latest checkpoint ("" for none).
	Expected, Latest string
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("thread %q namespace %q: expected latest checkpoint %q, found %q: %v", e.ThreadID, e.CheckpointNS, e.Expected, e.Latest, ErrStale)
}

// Unwrap returns ErrStale and ErrConflict.
func (e *StaleError) Unwrap() []error { return []error{ErrStale, ErrConflict} }

// InvalidError names the argument that is malformed. It unwraps to ErrInvalid.
type InvalidError struct {
	Field  string
	Reason string
}

func (e *InvalidError) Error() string {
	return fmt.Sprintf("%s: %s: %v", e.Field, e.Reason, ErrInvalid)
}

// Unwrap returns ErrInvalid.
func (e *InvalidError) Unwrap() error { return ErrInvalid }

// Invalid returns an *InvalidError.
func Invalid(field, reason string) error { return &InvalidError{Field: field, Reason: reason} }

// BusyError says that another run holds the thread: it took the thread's
// lease (LeaseOp) and its lease has not lapsed. Nothing was written. It
// unwraps to ErrConflict.
type BusyError struct {
	ThreadID string
	// RunID is the run that holds the thread.
	RunID string
	// Until is when the holder's lease lapses unless it renews it.
	Until time.Time
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("thread %q: run %s is in progress (lease until %s): %v", e.ThreadID, e.RunID, e.Until.UTC().Format(time.RFC3339Nano), ErrConflict)
}

// Unwrap returns ErrConflict.
func (e *BusyError) Unwrap() error { return ErrConflict }

// CorruptError names stored data that could not be decoded: the thread, the
// checkpoint (when known) and the log sequence of the event that wrote it.
// It unwraps to ErrCorrupt and to the cause.
type CorruptError struct {
	ThreadID     string
	CheckpointID string
	Seq          uint64
	Err          error
}

func (e *CorruptError) Error() string {
	msg := fmt.Sprintf("thread %q", e.ThreadID)
	if e.CheckpointID != "" {
		msg += " checkpoint " + e.CheckpointID
	}
	if e.Seq != 0 {
		msg += fmt.Sprintf(" (event %d)", e.Seq)
	}
	return msg + fmt.Sprintf(": %v: %v", ErrCorrupt, e.Err)
}

// Unwrap returns ErrCorrupt and the cause.
func (e *CorruptError) Unwrap() []error { return []error{ErrCorrupt, e.Err} }

// DeletedError says a write built on a checkpoint of a deleted thread. It
// unwraps to ErrDeleted.
type DeletedError struct {
	ThreadID     string
	CheckpointID string
}

func (e *DeletedError) Error() string {
	return fmt.Sprintf("thread %q: checkpoint %s: %v", e.ThreadID, e.CheckpointID, ErrDeleted)
}

// Unwrap returns ErrDeleted.
func (e *DeletedError) Unwrap() error { return ErrDeleted }
