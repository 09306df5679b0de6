// Package saver is the contract between jetgraph's graph runtime and the
// stores that keep its checkpoints.
//
// A Saver keeps, for every thread, a tree of checkpoints per namespace: each
// checkpoint names its parent, carries the graph's channel values, versions
// and metadata, and collects the pending writes of the tasks that ran from it.
// Every implementation in this module (memory, SQLite, PostgreSQL and the
// JetStream event store) passes the same conformance suite in
// saver/savertest, so a graph behaves the same on each of them.
//
// This package imports only the standard library; backends import it, never
// the reverse.
package saver

import (
	"context"
	"iter"
	"time"
)

// Config addresses a thread, a namespace within it and, optionally, one
// checkpoint. It is LangGraph's configurable {thread_id, checkpoint_ns,
// checkpoint_id}.
type Config struct {
	// ThreadID names the conversation. Required for every write.
	ThreadID string
	// CheckpointNS is the namespace of a subgraph; "" is the root graph.
	CheckpointNS string
	// CheckpointID selects one checkpoint; "" means the latest.
	CheckpointID string
}

// Checkpoint is the graph's state after one step.
type Checkpoint struct {
	// ID is unique within the thread and sorts by creation time (UUIDv7).
	ID string
	// TS is when the checkpoint was created.
	TS time.Time
	// ChannelValues holds each channel's encoded value. A saver stores only
	// the channels named in Put's newVersions; the others read back from the
	// nearest ancestor that stored them.
	ChannelValues map[string][]byte
	// ChannelVersions is the version of every channel at this checkpoint.
	ChannelVersions map[string]uint64
	// VersionsSeen records, per node, the channel versions it last consumed.
	VersionsSeen map[string]map[string]uint64
}

// Source says what created a checkpoint.
type Source string

// The sources a checkpoint can have.
const (
	SourceInput  Source = "input"  // the input of an invoke (step -1)
	SourceLoop   Source = "loop"   // the end of a superstep (step 0..n)
	SourceUpdate Source = "update" // UpdateState
	SourceFork   Source = "fork"   // a copy of another checkpoint, the start of a branch
)

// Metadata describes a checkpoint. Its fields are matched by List filters
// under the keys "source", "step", "parents" and "run_id"; Extra's keys are
// matched as they are.
type Metadata struct {
	Source Source
	Step   int
	// Parents maps a parent graph's namespace to its checkpoint id.
	Parents map[string]string
	// RunID names the invoke that wrote the checkpoint.
	RunID string
	// Extra holds user keys. Values must be msgpack-encodable; integers read
	// back as int64, unsigned as uint64, floats as float64.
	Extra map[string]any
}

// Write is one value a task writes to a channel.
type Write struct {
	Channel string
	Value   []byte
}

// PendingWrite is a write recorded against a checkpoint by a task that ran
// from it, before the next checkpoint was taken.
type PendingWrite struct {
	TaskID  string
	Channel string
	Value   []byte
}

// Tuple is a checkpoint with everything stored beside it. Its maps and
// slices are the caller's own; the byte slices they hold (channel values,
// write values) may share memory with the saver's cache: treat those as
// read-only.
type Tuple struct {
	// Config addresses exactly this checkpoint.
	Config     Config
	Checkpoint Checkpoint
	Metadata   Metadata
	// ParentConfig addresses the parent checkpoint; nil for a first one.
	ParentConfig *Config
	// PendingWrites are ordered by task id, then by the write's index.
	PendingWrites []PendingWrite
	// Seq is the position in the thread's event log of the event that wrote
	// this checkpoint (the stream sequence for the JetStream store).
	Seq uint64
}

// ListParams selects tuples for List. The zero value lists everything.
type ListParams struct {
	// ThreadID keeps one thread. Defaults to every thread.
	ThreadID string
	// Namespace keeps one namespace when non-nil. Defaults to every namespace.
	Namespace *string
	// CheckpointID keeps one checkpoint. Defaults to every checkpoint.
	CheckpointID string
	// Filter keeps tuples whose metadata has every key equal to the given
	// value. Defaults to no filter.
	Filter map[string]any
	// Before keeps the checkpoints committed before this one: of a thread
	// that holds it, those earlier in the thread's log; otherwise those
	// with a smaller id. Defaults to none.
	Before string
	// Limit caps the number of tuples; zero or less means no cap.
	Limit int
}

// NS returns a pointer to ns, for ListParams.Namespace.
func NS(ns string) *string { return &ns }

// Saver stores checkpoints. Implementations are safe for concurrent use.
type Saver interface {
	// GetTuple returns the checkpoint cfg names, or the latest of its thread
	// and namespace when cfg.CheckpointID is empty: the one committed last
	// to the thread's log, never the largest id or the newest clock. A
	// missing thread or checkpoint is ErrNotFound.
	GetTuple(ctx context.Context, cfg Config) (*Tuple, error)

	// List yields the matching tuples newest first: one thread's in the
	// order they were committed to its log; across threads, which share
	// no log, by checkpoint id.
	List(ctx context.Context, p ListParams) iter.Seq2[*Tuple, error]

	// Put stores op.Checkpoint as a child of op.Config.CheckpointID ("" for
	// a first checkpoint) and returns the config that addresses it. Only
	// the channels in op.NewVersions are stored. A Put whose source is
	// input or loop extends a line of execution: if another input or loop
	// checkpoint already has the same parent, Put fails with ErrConflict
	// and stores nothing. Update and fork checkpoints may branch freely.
	// With op.IfLatest, it stores only if the parent is the namespace's
	// latest checkpoint (ErrStale otherwise).
	//
	// A saver may keep the checkpoint's maps and byte slices instead of
	// copying them (a value that extends its parent's then costs nothing):
	// the caller must not change them after the call.
	Put(ctx context.Context, op PutOp) (Config, error)

	// PutWrites records op.TaskID's op.Writes against the checkpoint
	// op.Config names. Writes are keyed by (task id, index): a repeated key
	// keeps the first value, except for the special channels (see
	// IsSpecialChannel), where the last write wins.
	PutWrites(ctx context.Context, op WritesOp) error

	// DeleteThread removes every checkpoint and write of a thread in all
	// namespaces and leaves a tombstone: a later write that builds on a
	// deleted checkpoint fails with ErrDeleted. Deleting an unknown thread
	// does nothing.
	DeleteThread(ctx context.Context, threadID string) error
}
