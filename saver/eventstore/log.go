// Package eventstore implements saver.Saver over any append-only,
// per-thread event log. The memory, SQLite, PostgreSQL and JetStream savers
// are each a Log plus this package, so checks, folding, caching and retries
// are written once.
package eventstore

import (
	"context"
	"iter"

	"github.com/jetgraph/jetgraph/event"
)

// Log is a durable, per-thread, append-only sequence of event payloads.
// Sequences increase within a thread; they need not be dense.
type Log interface {
	// LastSeq returns the sequence of the thread's newest event, 0 if none.
	LastSeq(ctx context.Context, thread string) (uint64, error)
	// Read yields the thread's events with a sequence above after, oldest
	// first, up to the newest. It stops when yield returns false.
	Read(ctx context.Context, thread string, after uint64) iter.Seq2[event.Event, error]
	// Append appends payload if the thread's newest event is expect (0: the
	// thread has none) and returns the new event's sequence. If the thread
	// moved on, it appends nothing and returns an error that matches
	// saver.ErrConflict (a *saver.ConflictError with both sequences).
	Append(ctx context.Context, thread string, expect uint64, payload []byte) (uint64, error)
	// Threads yields the id of every thread that has events.
	Threads(ctx context.Context) iter.Seq2[string, error]
}

// Truncater is implemented by logs that can drop a thread's old events.
// The store calls it after a seed or tombstone made them unnecessary.
type Truncater interface {
	// Truncate drops the thread's events with a sequence below before,
	// except the newest event, which it always keeps: appends are conditional
	// on it.
	Truncate(ctx context.Context, thread string, before uint64) error
}

// SnapshotLoader is implemented by logs that keep folded snapshots of
// threads. A cold read starts from the snapshot and folds the events after it.
type SnapshotLoader interface {
	// LoadSnapshot returns the newest snapshot of the thread (made by
	// event.Thread.Snapshot), or nil if there is none.
	LoadSnapshot(ctx context.Context, thread string) ([]byte, error)
}

// SnapshotSaver is implemented by logs that want the store to write
// snapshots as it goes (a log with a separate projector does not).
type SnapshotSaver interface {
	SaveSnapshot(ctx context.Context, thread string, seq uint64, snapshot []byte) error
}
