package event

// SchemaVersion is the version written into every record. Readers accept
// records up to this version.
const SchemaVersion = 1

// Kind names a record type. Kinds are stored as strings and never renumbered.
type Kind string

// The record kinds.
const (
	// KindCheckpoint stores one checkpoint, as a delta over its parent.
	KindCheckpoint Kind = "checkpoint"
	// KindWrites stores a task's pending writes against a checkpoint.
	KindWrites Kind = "writes"
	// KindSeed replaces the whole thread with the checkpoints it carries: the
	// first event of a fork or a copy, and what a prune leaves.
	KindSeed Kind = "seed"
	// KindTombstone deletes the thread.
	KindTombstone Kind = "tombstone"
	// KindRollback removes the checkpoints written by some runs. Writers no
	// longer append it (DeleteForRuns compacts the thread with a seed); it
	// is folded for logs written before.
	KindRollback Kind = "rollback"
	// KindLease claims the thread for a run, renews the claim or releases
	// it (saver.LeaseOp).
	KindLease Kind = "lease"
)

// Record is one change to a thread. Exactly the field that matches Kind is set.
type Record struct {
	Kind       Kind              `msgpack:"k"`
	V          int               `msgpack:"v"`
	Checkpoint *CheckpointRecord `msgpack:"cp,omitempty"`
	Writes     *WritesRecord     `msgpack:"wr,omitempty"`
	Seed       *SeedRecord       `msgpack:"sd,omitempty"`
	Tombstone  *TombstoneRecord  `msgpack:"tb,omitempty"`
	Rollback   *RollbackRecord   `msgpack:"rb,omitempty"`
	Lease      *LeaseRecord      `msgpack:"ls,omitempty"`
	// Thread binds an event to its thread: the first record of every
	// event written carries ThreadBinding of the thread id, and a reader
	// treats an event bound to another thread as corrupt. Events written
	// before bindings existed have none.
	Thread string `msgpack:"th,omitempty"`
}

// Op says how a channel delta applies to the parent's value.
type Op string

// The delta operations.
const (
	OpSet    Op = "set"    // the value is Data
	OpAppend Op = "append" // the value is the parent's value followed by Data
	OpClear  Op = "clear"  // the channel has no value
)

// ChannelDelta is one stored channel of a checkpoint.
type ChannelDelta struct {
	Channel string `msgpack:"c"`
	Op      Op     `msgpack:"o"`
	Data    []byte `msgpack:"d,omitempty"`
	// Blob, when set, names the thread's blob (eventstore.BlobStore) that
	// holds the data, which is then not stored in the record.
	Blob string `msgpack:"b,omitempty"`
	// Refs, when set, say the data is the values of these pending writes
	// of the parent checkpoint, one after another: a node's output is
	// stored once, as its write, and the checkpoint refers to it.
	Refs []WriteRef `msgpack:"w,omitempty"`

	// blob is the data of an out-of-line value once read from the blob
	// store (or before it was written there). It is not stored.
	blob []byte

	// full is, in a planned append, the whole value in the memory the
	// caller gave it in (saver.Saver.Put may keep it): applying the record
	// then needs no copy, and the next put that extends the same memory is
	// recognized without comparing bytes. It is not stored.
	full []byte
}

// WriteRef names one pending write of a checkpoint by its key.
type WriteRef struct {
	TaskID string `msgpack:"t"`
	Idx    int    `msgpack:"i"`
}

// MetadataRecord is saver.Metadata as stored.
type MetadataRecord struct {
	Source  string            `msgpack:"src,omitempty"`
	Step    int               `msgpack:"step"`
	Parents map[string]string `msgpack:"par,omitempty"`
	RunID   string            `msgpack:"run,omitempty"`
	Extra   map[string]any    `msgpack:"x,omitempty"`
}

// CheckpointRecord is a checkpoint as stored: only the channels that changed,
// each as a delta over the parent's value.
type CheckpointRecord struct {
	NS       string `msgpack:"ns,omitempty"`
	ID       string `msgpack:"id"`
	ParentID string `msgpack:"pid,omitempty"`
	// ParentThread, when set, says ParentID is a checkpoint of that thread
	// (the source of a fork), not of this one.
	ParentThread string         `msgpack:"pth,omitempty"`
	TS           int64          `msgpack:"ts"` // Unix nanoseconds
	Versions     Versions       `msgpack:"ver,omitempty"`
	VersionsSeen SeenVersions   `msgpack:"seen,omitempty"`
	Metadata     MetadataRecord `msgpack:"md"`
	Values       []ChannelDelta `msgpack:"val,omitempty"` // sorted by channel
}

// WriteRecord is one pending write.
type WriteRecord struct {
	TaskID  string `msgpack:"t"`
	Idx     int    `msgpack:"i"`
	Channel string `msgpack:"c"`
	Value   []byte `msgpack:"v,omitempty"`
	// Blob, when set, names the blob that holds the value (see
	// ChannelDelta.Blob).
	Blob string `msgpack:"b,omitempty"`

	blob []byte // the out-of-line value, once read; not stored
}

// WritesRecord stores a task's writes against one checkpoint.
type WritesRecord struct {
	NS           string        `msgpack:"ns,omitempty"`
	CheckpointID string        `msgpack:"cid"`
	Writes       []WriteRecord `msgpack:"w"`
}

// Origin points from a forked thread back to where it was forked from.
type Origin struct {
	ThreadID     string `msgpack:"thread"`
	NS           string `msgpack:"ns,omitempty"`
	CheckpointID string `msgpack:"cid"`
	Seq          uint64 `msgpack:"seq"` // the source thread's sequence at the fork
}

// SeedEntry is one checkpoint carried by a seed, with its writes.
type SeedEntry struct {
	Checkpoint CheckpointRecord `msgpack:"cp"`
	Writes     []WriteRecord    `msgpack:"w,omitempty"`
	Seq        uint64           `msgpack:"seq,omitempty"` // the sequence that wrote it, in snapshots
	Removed    bool             `msgpack:"rm,omitempty"`  // rolled back, kept for its descendants' values
}

// SeedRecord replaces a thread's state with Entries, applied in order.
type SeedRecord struct {
	Origin *Origin `msgpack:"origin,omitempty"`
	// DeletedThrough carries a tombstone over (see TombstoneRecord).
	DeletedThrough string      `msgpack:"del,omitempty"`
	Entries        []SeedEntry `msgpack:"e"`
	// Lease carries the thread's run lease over a prune or a snapshot.
	Lease *LeaseRecord `msgpack:"ls,omitempty"`
}

// TombstoneRecord deletes a thread. Writes that build on a checkpoint id at or
// below DeletedThrough that no longer exists are refused as deleted.
type TombstoneRecord struct {
	DeletedThrough string `msgpack:"del"`
}

// LeaseRecord claims the thread for run RunID until Until (Unix
// nanoseconds), or releases it when Until is 0.
type LeaseRecord struct {
	RunID string `msgpack:"run"`
	Until int64  `msgpack:"until"`
}

// RollbackRecord removes the checkpoints whose run id is listed.
type RollbackRecord struct {
	RunIDs []string `msgpack:"runs"`
}
