package event

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jetgraph/jetgraph/saver"
)

// The Plan methods check a change against the thread's current state and
// return the records that make it. A saver appends them conditionally on
// t.Seq and, once appended, applies them with ApplyRecords. Planned records
// are normalized to exactly what decoding their encoding gives (owned
// bytes, empty as nil, metadata through the codec), so applying them equals
// applying the stored event. If the append
// finds the log moved on, the saver catches up and plans again: the checks
// run against the new state, so a retry never overrides another writer.

// PlanPut plans saver.Saver.Put.
func (t *Thread) PlanPut(cfg saver.Config, cp saver.Checkpoint, md saver.Metadata, newVersions map[string]uint64) ([]Record, saver.Config, error) {
	if err := validatePut(cfg, cp); err != nil {
		return nil, saver.Config{}, err
	}
	if err := t.checkParent(cfg.CheckpointNS, cfg.CheckpointID); err != nil {
		return nil, saver.Config{}, err
	}
	n := t.ns[cfg.CheckpointNS]
	if isLine(string(md.Source)) && n != nil {
		if child, ok := n.lineChild[cfg.CheckpointID]; ok && child != cp.ID {
			if e := n.entries[child]; e != nil && !e.removed {
				return nil, saver.Config{}, &saver.ConflictError{ThreadID: t.ID,
					Reason: fmt.Sprintf("checkpoint %q of namespace %q already continues from %q", child, cfg.CheckpointNS, cfg.CheckpointID)}
			}
		}
	}
	var parent *entry
	var parentValues channelValues
	if p := t.entry(cfg.CheckpointNS, cfg.CheckpointID); p != nil && cfg.CheckpointID != "" {
		parent, parentValues = p, p.values
	}
	rec := CheckpointRecord{
		NS:           cfg.CheckpointNS,
		ID:           cp.ID,
		ParentID:     cfg.CheckpointID,
		TS:           cp.TS.UnixNano(),
		Versions:     toVersions(cp.ChannelVersions),
		VersionsSeen: toSeen(cp.VersionsSeen),
	}
	var err error
	if rec.Metadata, err = metadataRecord(md); err != nil {
		return nil, saver.Config{}, fmt.Errorf("thread %q checkpoint %s: %w", t.ID, cp.ID, err)
	}
	if cp.TS.IsZero() {
		rec.TS = 0
	}
	var keys [8]string // channels of a typical step, without a heap slice
	changed := appendSorted(keys[:0], newVersions)
	// The thread keeps the deltas with the checkpoint: no spare capacity.
	if len(changed) > 0 {
		rec.Values = make([]ChannelDelta, 0, len(changed))
	}
	for _, ch := range changed {
		v, ok := cp.ChannelValues[ch]
		if !ok {
			rec.Values = append(rec.Values, ChannelDelta{Channel: ch, Op: OpClear})
			continue
		}
		d := delta(ch, parentValues.get(ch), v)
		if d.Op == OpAppend {
			d.full = v[:len(v):len(v)]
		}
		// A node's output, already stored as the parent's pending write,
		// is not stored again: the delta refers to the write.
		if refs, ok := parent.refsFor(ch, d.Data); ok {
			d.Refs, d.Data = refs, nil
		} else {
			d.Data = owned(d.Data)
			t.outOfLine(&d.Data, &d.Blob, &d.blob)
		}
		rec.Values = append(rec.Values, d)
	}
	out := saver.Config{ThreadID: t.ID, CheckpointNS: cfg.CheckpointNS, CheckpointID: cp.ID}
	if e := t.entry(rec.NS, rec.ID); e != nil && !e.removed && sameCheckpoint(new(e.record()), &rec) {
		// Stored already: a put sent again after its first attempt landed
		// without an answer. Storing it again would only repeat it.
		return nil, out, nil
	}
	return []Record{{Kind: KindCheckpoint, V: SchemaVersion, Checkpoint: &rec}}, out, nil
}

// sameCheckpoint reports whether a and b are stored as the same bytes.
func sameCheckpoint(a, b *CheckpointRecord) bool {
	ea, eb := getEncoder(), &encoder{}
	defer putEncoder(ea)
	ea.checkpoint(a)
	eb.checkpoint(b)
	return ea.err == nil && eb.err == nil && bytes.Equal(ea.b, eb.b)
}

// minRefBytes is the smallest value worth referring to a write for: a
// reference names a task id, which takes about this much.
const minRefBytes = 64

// refsFor returns references to p's writes that make up data, when data
// is large enough for that to pay.
func (p *entry) refsFor(ch string, data []byte) ([]WriteRef, bool) {
	// A special channel's write is replaced by the next one to it: only
	// writes that never change may be referred to.
	if p == nil || len(data) < minRefBytes || len(p.writes) == 0 || saver.IsSpecialChannel(ch) {
		return nil, false
	}
	return p.matchWrites(ch, data)
}

// appendSorted appends m's keys to buf, sorted (what buf held before
// stays where it was).
func appendSorted[V any](buf []string, m map[string]V) []string {
	start := len(buf)
	for k := range m {
		buf = append(buf, k)
	}
	slices.Sort(buf[start:])
	return buf
}

// owned copies b so a record does not alias its caller's memory; empty is
// nil, as a decoded record has it.
func owned(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return bytes.Clone(b)
}

// checkParent refuses a parent that was deleted.
func (t *Thread) checkParent(ns, parentID string) error {
	if parentID == "" || t.entry(ns, parentID) != nil {
		return nil
	}
	if t.deletedThrough != "" && parentID <= t.deletedThrough {
		return &saver.DeletedError{ThreadID: t.ID, CheckpointID: parentID}
	}
	return nil
}

// PlanWrites plans saver.Saver.PutWrites. The checkpoint must exist.
func (t *Thread) PlanWrites(cfg saver.Config, writes []saver.Write, taskID string) ([]Record, error) {
	if err := validateWrites(cfg, taskID); err != nil {
		return nil, err
	}
	if e := t.entry(cfg.CheckpointNS, cfg.CheckpointID); e == nil || e.removed {
		if err := t.checkParent(cfg.CheckpointNS, cfg.CheckpointID); err != nil {
			return nil, err
		}
		return nil, &saver.NotFoundError{ThreadID: t.ID, CheckpointNS: cfg.CheckpointNS, CheckpointID: cfg.CheckpointID}
	}
	rec := WritesRecord{NS: cfg.CheckpointNS, CheckpointID: cfg.CheckpointID}
	e := t.entry(cfg.CheckpointNS, cfg.CheckpointID)
	stored := true // every write is there already, with its value
	for i, w := range writes {
		wr := WriteRecord{TaskID: taskID, Idx: saver.WriteIndex(w.Channel, i), Channel: w.Channel, Value: owned(w.Value)}
		t.outOfLine(&wr.Value, &wr.Blob, &wr.blob)
		rec.Writes = append(rec.Writes, wr)
		stored = stored && e.hasWrite(wr)
	}
	if stored && len(writes) > 0 {
		return nil, nil // a retry of writes that landed
	}
	return []Record{{Kind: KindWrites, V: SchemaVersion, Writes: &rec}}, nil
}

// PlanDelete plans saver.Saver.DeleteThread. It returns no records for a
// thread that holds nothing.
func (t *Thread) PlanDelete() []Record {
	if t.Empty() {
		return nil
	}
	through := t.deletedThrough
	for _, n := range t.ns {
		for id := range n.entries {
			through = max(through, id)
		}
	}
	return []Record{{Kind: KindTombstone, V: SchemaVersion, Tombstone: &TombstoneRecord{DeletedThrough: through}}}
}

// PlanFork plans the seed of a new thread that starts from the checkpoint
// src names in t (the latest when src.CheckpointID is empty): one new
// checkpoint, with source fork and the source checkpoint as its parent
// (ParentThread), holding every value, so its cost does not depend on t's
// history. It returns the seed and the new checkpoint's namespace and id.
func (t *Thread) PlanFork(src saver.Config) ([]Record, saver.Config, error) {
	tu, err := t.Get(src)
	if err != nil {
		return nil, saver.Config{}, err
	}
	e := t.entry(tu.Config.CheckpointNS, tu.Config.CheckpointID)
	rec := CheckpointRecord{
		NS:           e.rec.NS,
		ID:           saver.NewCheckpointID(e.rec.ID),
		ParentID:     e.rec.ID,
		ParentThread: t.ID,
		TS:           time.Now().UnixNano(),
		Versions:     e.vers.versions(),
		VersionsSeen: e.seen.seen(),
		Metadata:     MetadataRecord{Source: string(saver.SourceFork), Step: e.rec.Metadata.Step},
		Values:       t.fullValues(e.values),
	}
	seed := SeedRecord{
		Origin:  &Origin{ThreadID: t.ID, NS: rec.NS, CheckpointID: e.rec.ID, Seq: t.Seq},
		Entries: []SeedEntry{{Checkpoint: rec}},
	}
	return []Record{{Kind: KindSeed, V: SchemaVersion, Seed: &seed}}, saver.Config{CheckpointNS: rec.NS, CheckpointID: rec.ID}, nil
}

// PlanCopy plans the seed of a thread that holds the same checkpoints and
// writes as t.
func (t *Thread) PlanCopy() []Record {
	seed := t.seed()
	seed.Origin = &Origin{ThreadID: t.ID, Seq: t.Seq}
	seed.DeletedThrough = ""
	seed.Lease = nil
	for i := range seed.Entries {
		seed.Entries[i].Seq = 0 // sequences of the source mean nothing in the copy
	}
	return []Record{{Kind: KindSeed, V: SchemaVersion, Seed: seed}}
}

// PlanPrune plans a prune. It returns no records when there is nothing to drop.
func (t *Thread) PlanPrune(strategy saver.PruneStrategy) ([]Record, error) {
	switch strategy {
	case saver.PruneDelete:
		return t.PlanDelete(), nil
	case saver.PruneKeepLatest, "":
	default:
		return nil, saver.Invalid("prune strategy", fmt.Sprintf("unknown %q", strategy))
	}
	var entries []SeedEntry
	total := 0
	for _, nsName := range t.Namespaces() {
		ref, _ := t.Latest(nsName)
		e := t.entry(nsName, ref.ID)
		rec := e.record()
		rec.Values = t.fullValues(e.values)
		entries = append(entries, SeedEntry{Checkpoint: rec, Writes: slices.Clone(e.writes), Seq: e.seq})
	}
	for _, n := range t.ns {
		total += len(n.entries)
	}
	if total == len(entries) {
		return nil, nil
	}
	seed := SeedRecord{Origin: t.Origin, DeletedThrough: t.deletedThrough, Entries: entries, Lease: t.leaseRecord()}
	return []Record{{Kind: KindSeed, V: SchemaVersion, Seed: &seed}}, nil
}

// PlanRollback plans saver.RunDeleter.DeleteForRuns for this thread: a
// seed that holds every checkpoint except those the runs wrote (and those
// rolled back before), so that once the log drops the events before it,
// nothing of the removed checkpoints is stored. A checkpoint whose parent
// goes keeps its values in full. It returns no records when no live
// checkpoint has one of the run ids.
func (t *Thread) PlanRollback(runIDs []string) []Record {
	gone := func(e *entry) bool {
		return e.removed || e.rec.Metadata.RunID != "" && slices.Contains(runIDs, e.rec.Metadata.RunID)
	}
	hit := slices.ContainsFunc(t.applied, func(e *entry) bool { return !e.removed && gone(e) })
	if !hit {
		return nil
	}
	seed := t.seedWhere(func(e *entry) bool { return !gone(e) })
	return []Record{{Kind: KindSeed, V: SchemaVersion, Seed: seed}}
}

// fullValues lists values as deltas that set every channel, out of line
// where large.
func (t *Thread) fullValues(values channelValues) []ChannelDelta {
	var out []ChannelDelta
	for _, cv := range values {
		d := ChannelDelta{Channel: cv.channel, Op: OpSet, Data: cv.v.bytes()}
		t.outOfLine(&d.Data, &d.Blob, &d.blob)
		out = append(out, d)
	}
	return out
}

// outOfLine moves data out of the record (to *blob, named by *key) when
// it is larger than t.BlobThreshold.
func (t *Thread) outOfLine(data *[]byte, key *string, blob *[]byte) {
	if t.BlobThreshold <= 0 || len(*data) <= t.BlobThreshold {
		return
	}
	*key, *blob, *data = BlobKey(*data), *data, nil
}

// PlanLease plans a saver.LeaseOp at time now.
func (t *Thread) PlanLease(op saver.LeaseOp, now time.Time) ([]Record, error) {
	if op.RunID == "" {
		return nil, saver.Invalid("lease run id", "empty")
	}
	if op.IfLatest != "" {
		if err := t.checkLatest(saver.Config{CheckpointNS: op.CheckpointNS, CheckpointID: op.IfLatest}); err != nil {
			return nil, err
		}
	}
	if run, until, ok := t.Lease(); ok && run != op.RunID && until.After(now) {
		return nil, &saver.BusyError{ThreadID: t.ID, RunID: run, Until: until}
	}
	rec := LeaseRecord{RunID: op.RunID}
	if !op.Until.IsZero() {
		rec.Until = op.Until.UnixNano()
	}
	return []Record{{Kind: KindLease, V: SchemaVersion, Lease: &rec}}, nil
}

func (t *Thread) leaseRecord() *LeaseRecord {
	if t.lease.RunID == "" {
		return nil
	}
	l := t.lease
	return &l
}

// metadataRecord converts md, passing Extra through the codec so the record
// holds exactly what a reader of the stored event will decode.
func metadataRecord(md saver.Metadata) (MetadataRecord, error) {
	rec := MetadataRecord{Source: string(md.Source), Step: md.Step, RunID: md.RunID}
	if len(md.Parents) > 0 {
		rec.Parents = maps.Clone(md.Parents)
	}
	if len(md.Extra) > 0 {
		b, err := marshal(md.Extra)
		if err != nil {
			return rec, fmt.Errorf("encode metadata: %w", err)
		}
		if err := unmarshal(b, &rec.Extra); err != nil {
			return rec, fmt.Errorf("encode metadata: %w", err)
		}
	}
	return rec, nil
}

// checkLatest refuses, with a *saver.StaleError, a put whose parent is not
// the latest checkpoint of its namespace (PutOp.IfLatest).
func (t *Thread) checkLatest(cfg saver.Config) error {
	latest, _ := t.Latest(cfg.CheckpointNS)
	if latest.ID != cfg.CheckpointID {
		return &saver.StaleError{ThreadID: t.ID, CheckpointNS: cfg.CheckpointNS, Expected: cfg.CheckpointID, Latest: latest.ID}
	}
	return nil
}

// PlanCommit plans a saver.Committer.Commit. Each op is planned against the
// state the ops before it leave, so they are applied to t as they are
// planned, provisionally at t.Seq: the caller must apply the returned
// records again with ApplyRecords once they are stored (applying a record
// twice is harmless; it fixes their sequence), or drop t if planning or the
// append fails.
func (t *Thread) PlanCommit(ops []saver.Op) ([]Record, []saver.Config, error) {
	var recs []Record
	var outs []saver.Config
	now := time.Now()
	changes := 0 // records of ops other than leases
	for i, op := range ops {
		var r []Record
		var err error
		switch {
		case op.Lease != nil && op.Put == nil && op.Writes == nil:
			if op.Lease.ThreadID != t.ID {
				return nil, nil, saver.Invalid(fmt.Sprintf("op %d thread id", i), "differs from the first op's")
			}
			r, err = t.PlanLease(*op.Lease, now)
		case op.Put != nil && op.Writes == nil && op.Lease == nil:
			if op.Put.Config.ThreadID != t.ID {
				return nil, nil, saver.Invalid(fmt.Sprintf("op %d thread id", i), "differs from the first op's")
			}
			var stale error
			if op.Put.IfLatest {
				stale = t.checkLatest(op.Put.Config)
			}
			var out saver.Config
			r, out, err = t.PlanPut(op.Put.Config, op.Put.Checkpoint, op.Put.Metadata, op.Put.NewVersions)
			outs = append(outs, out)
			// A put stored already (a retry) met its condition when it
			// landed; any other must meet it now.
			if stale != nil && (err != nil || len(r) > 0) {
				return nil, nil, fmt.Errorf("op %d: %w", i, stale)
			}
		case op.Writes != nil && op.Put == nil && op.Lease == nil:
			if op.Writes.Config.ThreadID != t.ID {
				return nil, nil, saver.Invalid(fmt.Sprintf("op %d thread id", i), "differs from the first op's")
			}
			r, err = t.PlanWrites(op.Writes.Config, op.Writes.Writes, op.Writes.TaskID)
		default:
			return nil, nil, saver.Invalid(fmt.Sprintf("op %d", i), "needs exactly one of Put, Writes and Lease")
		}
		if err != nil {
			return nil, nil, fmt.Errorf("op %d: %w", i, err)
		}
		if op.Lease == nil {
			changes += len(r)
		}
		for i := range r {
			t.applyRecord(t.Seq, &r[i])
		}
		t.provisional = true
		recs = append(recs, r...)
	}
	if changes == 0 && slices.ContainsFunc(ops, func(op saver.Op) bool { return op.Lease == nil }) {
		// Every put and write is stored already: the commit landed
		// before, and sending it again would only repeat it.
		return nil, outs, nil
	}
	return recs, outs, nil
}
