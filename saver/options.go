package saver

import (
	"context"
	"time"
)

// Copier is implemented by savers that copy a whole thread cheaply.
type Copier interface {
	// CopyThread makes dst hold the same checkpoints and writes as src, in
	// the same order. dst must not exist yet (ErrConflict otherwise).
	CopyThread(ctx context.Context, src, dst string) error
}

// Forker is implemented by savers that start a thread from one checkpoint of
// another: the new thread's first checkpoint holds the values at src and
// points back to it, at a cost that does not grow with src's history.
type Forker interface {
	// ForkThread seeds thread dst with the checkpoint src names (the latest
	// when src.CheckpointID is empty) and returns the config of the seeded
	// checkpoint. dst must not exist yet (ErrConflict otherwise).
	ForkThread(ctx context.Context, src Config, dst string) (Config, error)
}

// PruneStrategy says what Prune keeps.
type PruneStrategy string

// The prune strategies.
const (
	// PruneKeepLatest keeps the latest checkpoint of each namespace, with its
	// pending writes, and drops the rest.
	PruneKeepLatest PruneStrategy = "keep_latest"
	// PruneDelete drops every checkpoint of the thread.
	PruneDelete PruneStrategy = "delete"
)

// Pruner is implemented by savers that can drop old checkpoints.
type Pruner interface {
	Prune(ctx context.Context, threadIDs []string, strategy PruneStrategy) error
}

// RunDeleter is implemented by savers that can roll back what runs wrote.
type RunDeleter interface {
	// DeleteForRuns removes the checkpoints (and their writes) whose
	// metadata RunID is one of runIDs, in every thread.
	DeleteForRuns(ctx context.Context, runIDs []string) error
}

// Locator is implemented by savers that find a checkpoint by its id alone,
// in whichever thread holds it. The graph uses it to fork by config: a new
// thread id with another thread's checkpoint id.
type Locator interface {
	Locate(ctx context.Context, checkpointID string) (Config, error)
}

// Op is one operation of a Commit: exactly one of Put, Writes and Lease is
// set.
type Op struct {
	Put    *PutOp
	Writes *WritesOp
	Lease  *LeaseOp
}

// LeaseOp claims a thread for one run, renews the claim or releases it, so
// that two runs never interleave on a thread. A run puts one in each of its
// commits: the first claims the thread, later ones renew the claim, the
// last releases it (Until zero).
//
// A lease op of run R fails with a *BusyError (matching ErrConflict), and
// its commit stores nothing, when another run holds the thread and its
// lease has not lapsed at the time of the op (by the committing process's
// clock: hosts must agree on the time to well within a lease's length).
// Otherwise R holds the thread until Until, or no run does when Until is
// zero. A run that crashed holds the thread until its lease lapses.
type LeaseOp struct {
	ThreadID string
	RunID    string
	// Until is when the claim lapses unless renewed; zero releases it.
	Until time.Time
	// IfLatest, when not empty, also requires that it is the latest
	// checkpoint of namespace CheckpointNS when the op applies; otherwise
	// the op fails with a *StaleError. A run that starts without a Put (a
	// resume) claims the thread with the checkpoint it read as the head.
	IfLatest     string
	CheckpointNS string
}

// PutOp is what Saver.Put and a Commit store: a checkpoint, its parent and
// metadata, the channels it changed, and a condition.
type PutOp struct {
	Config      Config
	Checkpoint  Checkpoint
	Metadata    Metadata
	NewVersions map[string]uint64
	// IfLatest stores the checkpoint only if its parent (Config.CheckpointID,
	// or no checkpoint at all when empty) is, when the op applies, the latest
	// checkpoint of its namespace. Otherwise Commit stores nothing and fails
	// with an error matching ErrStale. A caller that read the latest
	// checkpoint with CachedGetter builds on it with this condition.
	IfLatest bool
}

// WritesOp is what Saver.PutWrites and a Commit store: a task's writes
// against a checkpoint.
type WritesOp struct {
	Config Config
	Writes []Write
	TaskID string
}

// CachedGetter is implemented by savers that keep threads in memory and can
// answer GetTuple from that cache without a round trip to the store. Another
// process may have moved the thread on since the cache last saw the store,
// so the answer may be stale: build on it only with a Commit whose PutOp has
// IfLatest, and read again with GetTuple when that fails with ErrStale.
type CachedGetter interface {
	// GetTupleCached is GetTuple answered from the cache when it holds the
	// thread and the checkpoint cfg names, and from the store otherwise.
	GetTupleCached(ctx context.Context, cfg Config) (*Tuple, error)
}

// Committer is implemented by savers that store several operations on one
// thread as a single atomic append: a superstep's writes and the checkpoint
// that follows them, so that a crash leaves either all of them or none.
type Committer interface {
	// Commit applies ops in order, each seeing the ones before it, and
	// stores them together. A commit that is too large for one append of
	// the store is an error matching ErrTooLarge and stores nothing. Like Put, it may keep the checkpoints'
	// maps and byte slices. It returns the config of each Put, in order. If
	// any op fails, nothing is stored. All ops must name the same thread.
	Commit(ctx context.Context, ops []Op) ([]Config, error)
}
