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
	// The caller never changes payload afterwards (the store encodes each
	// event into memory of its own and keeps it), so a log that holds
	// events in memory may keep payload rather than a copy.
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

// BlobStore is implemented by logs that keep large values out of line. The
// store puts a value larger than its threshold in the blob store under the
// hex SHA-256 of its bytes before it appends the event that refers to it,
// so a reader never meets a reference to a missing blob. Blobs belong to a
// thread: a fork or copy stores the blobs it refers to under its own
// thread, and deleting, pruning or rolling back a thread removes the blobs
// nothing refers to any more.
type BlobStore interface {
	// PutBlob stores data under the thread and key (the hex SHA-256 of
	// data). Storing a key that exists does nothing.
	PutBlob(ctx context.Context, thread, key string, data []byte) error
	// GetBlob returns the data stored under the thread and key; a missing
	// blob is an error matching saver.ErrNotFound.
	GetBlob(ctx context.Context, thread, key string) ([]byte, error)
	// Blobs yields the keys stored under the thread.
	Blobs(ctx context.Context, thread string) iter.Seq2[string, error]
	// DeleteBlobs removes the thread's blobs with the given keys; missing
	// keys are ignored.
	DeleteBlobs(ctx context.Context, thread string, keys []string) error
}

// AppendLimiter is implemented by logs that refuse events above a size
// (the JetStream log: the server's max payload). The store keeps values out
// of line, in the log's BlobStore, until an event fits.
type AppendLimiter interface {
	// MaxAppendBytes is the largest payload Append accepts.
	MaxAppendBytes() int
}
