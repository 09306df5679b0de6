package event

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/jetgraph/jetgraph/saver"
)

// Thread is the folded state of one thread's log: every checkpoint of every
// namespace, with values and pending writes. Apply advances it by one event.
// A Thread is not safe for concurrent use; savers guard it.
type Thread struct {
	// ID is the thread id.
	ID string
	// Seq is the sequence of the last event applied.
	Seq uint64
	// Origin is where the thread was forked from, if it was.
	Origin *Origin
	// deletedThrough is the tombstone's high-water mark ("" if never deleted).
	deletedThrough string
	ns             map[string]*namespace
	applied        []*entry // every entry, in the order it was last put: a snapshot's order
	provisional    bool     // PlanCommit applied records that are not stored yet
	order          uint64   // counts puts: an entry's order says when it was last put
	lease          LeaseRecord
	binding        string // ThreadBinding(ID), once computed
	stored         int    // bytes of the events (or snapshot) folded since the last reset

	// BlobThreshold makes the planners keep values larger than this many
	// bytes out of line (ChannelDelta.Blob, WriteRecord.Blob); 0 never
	// does. Savers over a log with a blob store set it.
	BlobThreshold int
}

// Provisional reports whether t holds records applied by PlanCommit that
// were not applied again at their stored sequence. Such a state must be
// dropped if the append fails.
func (t *Thread) Provisional() bool { return t.provisional }

type namespace struct {
	entries map[string]*entry
	// lineChild maps a checkpoint id to its input or loop child: the line of
	// execution that continues from it ("" keys the first checkpoint).
	lineChild map[string]string
	// latest is the live checkpoint put last (log order), when latestOK;
	// a rollback makes it unknown until the next Latest recomputes it.
	latest   *entry
	latestOK bool
}

type entry struct {
	rec CheckpointRecord // without Versions and VersionsSeen: see vers, seen
	// vers and seen are rec's Versions and VersionsSeen, compact
	// (versions.go); record() gives the whole record.
	vers    versionList
	seen    seenList
	values  channelValues
	writes  []WriteRecord // sorted by (task id, idx)
	seq     uint64
	removed bool
	order   uint64 // when it was last put (Thread.order)
	// ver counts the puts of this checkpoint id; parentVer is its parent's
	// ver when it was put (0: no parent in the thread). A snapshot keeps
	// an entry as a delta only over the very parent version it was made
	// from (see seed).
	ver, parentVer uint64
}

// NewThread returns the state of a thread with no events.
func NewThread(id string) *Thread {
	return &Thread{ID: id, ns: make(map[string]*namespace)}
}

// ThreadBinding is what the first record of each event of a thread
// carries in Record.Thread: a hash of the thread id, so that an event
// copied onto another thread's log is recognized as not its own.
func ThreadBinding(threadID string) string {
	sum := sha256.Sum256([]byte(threadID))
	return hex.EncodeToString(sum[:12])
}

// Binding returns ThreadBinding(t.ID).
func (t *Thread) Binding() string {
	if t.binding == "" {
		t.binding = ThreadBinding(t.ID)
	}
	return t.binding
}

// FoldOptions says how Fold handles what it meets.
type FoldOptions struct {
	// To stops the fold after the event at this sequence; 0 folds every
	// event.
	To uint64
	// Resolve fills in the out-of-line values of an event's records (see
	// ResolveBlobs) before they apply. Nil leaves them unresolved.
	Resolve func([]Record) error
	// OnCorrupt receives each event that does not decode, or is bound to
	// another thread, as a *DecodeError naming the thread and sequence;
	// the event is skipped. Nil makes Fold stop and return the error.
	OnCorrupt func(*DecodeError)
	// Applied, when not nil, is called with each event's records once
	// they are folded in.
	Applied func(seq uint64, recs []Record)
}

// Fold folds events, oldest first, into t: the one loop that gives a log
// its meaning, used by every saver, the projector and replay. Events at or
// below t.Seq are skipped. It returns the first error of events, or of
// o.Resolve, wrapped with the thread and sequence.
func (t *Thread) Fold(events iter.Seq2[Event, error], o FoldOptions) error {
	for ev, err := range events {
		if err != nil {
			return fmt.Errorf("thread %q: read events after %d: %w", t.ID, t.Seq, err)
		}
		if o.To != 0 && ev.Seq > o.To {
			return nil
		}
		if ev.Seq <= t.Seq {
			continue
		}
		recs, err := t.decode(ev)
		if err == nil && o.Resolve != nil {
			if err := o.Resolve(recs); err != nil {
				return fmt.Errorf("thread %q: event %d: %w", t.ID, ev.Seq, err)
			}
		}
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) || o.OnCorrupt == nil {
				return err
			}
			o.OnCorrupt(de)
			t.Seq = ev.Seq
			continue
		}
		t.ApplyRecords(ev.Seq, recs)
		t.stored += len(ev.Payload)
		if o.Applied != nil {
			o.Applied(ev.Seq, recs)
		}
		if o.To != 0 && ev.Seq >= o.To {
			return nil
		}
	}
	return nil
}

// Events yields evs, for Fold.
func Events(evs []Event) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		for _, ev := range evs {
			if !yield(ev, nil) {
				return
			}
		}
	}
}

// decode decodes one event of t's log and checks that it is bound to t.
func (t *Thread) decode(ev Event) ([]Record, error) {
	recs, err := Decode(ev.Payload)
	if err == nil && recs[0].Thread != "" && recs[0].Thread != t.Binding() {
		err = &DecodeError{Err: fmt.Errorf("event bound to another thread (binding %s, want %s)", recs[0].Thread, t.Binding())}
	}
	if err != nil {
		de := err.(*DecodeError)
		de.Thread, de.Seq = t.ID, ev.Seq
		return nil, de
	}
	return recs, nil
}

// FoldAll folds events into a new thread and fails on the first corrupt
// one: Fold for tests and tools.
func FoldAll(threadID string, events []Event) (*Thread, error) {
	t := NewThread(threadID)
	err := t.Fold(Events(events), FoldOptions{})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// Event is one entry of a thread's log.
type Event struct {
	Seq     uint64
	Payload []byte
}

// Apply decodes one event and folds it in. A payload that does not decode,
// or is bound to another thread, is a *DecodeError naming the thread and
// sequence, and leaves t unchanged except that Seq advances past it, so a
// reader can log it and go on.
func (t *Thread) Apply(seq uint64, payload []byte) error {
	recs, err := t.decode(Event{Seq: seq, Payload: payload})
	if err != nil {
		t.Seq = seq
		return err
	}
	t.ApplyRecords(seq, recs)
	t.stored += len(payload)
	return nil
}

// Stored returns how many bytes of stored events (or of the snapshot it
// was restored from) t folds since the last seed or tombstone replaced its
// state: what it holds, as stored. A saver that caches threads bounds its
// cache with it.
func (t *Thread) Stored() int { return t.stored }

// AddStored counts n more bytes in Stored: savers call it with the size of
// an event they applied as records (ApplyRecords, Settle).
func (t *Thread) AddStored(n int) { t.stored += n }

// ApplyRecords folds already-decoded records written at seq.
func (t *Thread) ApplyRecords(seq uint64, recs []Record) {
	for i := range recs {
		t.applyRecord(seq, &recs[i])
	}
	t.Seq = seq
	t.provisional = false
}

// Settle records that the records PlanCommit applied provisionally were
// stored at seq. It leaves t as ApplyRecords(seq, recs) would, without
// applying them a second time.
func (t *Thread) Settle(seq uint64, recs []Record) {
	if !t.provisional {
		t.ApplyRecords(seq, recs)
		return
	}
	for _, r := range recs {
		if r.Kind == KindCheckpoint {
			if e := t.entry(r.Checkpoint.NS, r.Checkpoint.ID); e != nil {
				e.seq = seq
			}
		}
	}
	t.Seq = seq
	t.provisional = false
}

func (t *Thread) applyRecord(seq uint64, r *Record) {
	switch r.Kind {
	case KindCheckpoint:
		t.putCheckpoint(seq, *r.Checkpoint)
	case KindWrites:
		if e := t.entry(r.Writes.NS, r.Writes.CheckpointID); e != nil {
			for _, w := range r.Writes.Writes {
				e.addWrite(w)
			}
		}
	case KindSeed:
		t.reset()
		t.Origin = r.Seed.Origin
		// A seed never lowers the tombstone mark: a fork or copy onto a
		// deleted thread id must not bring the deleted checkpoints back.
		t.deletedThrough = max(t.deletedThrough, r.Seed.DeletedThrough)
		t.lease = LeaseRecord{}
		if r.Seed.Lease != nil {
			t.lease = *r.Seed.Lease
		}
		for _, se := range r.Seed.Entries {
			s := seq
			if se.Seq != 0 {
				s = se.Seq
			}
			e := t.putCheckpoint(s, se.Checkpoint)
			for _, w := range se.Writes {
				e.addWrite(w)
			}
			if se.Removed {
				e.removed = true
				t.ns[se.Checkpoint.NS].latestOK = false
			}
		}
	case KindTombstone:
		t.reset()
		t.Origin = nil
		t.lease = LeaseRecord{}
		if r.Tombstone.DeletedThrough > t.deletedThrough {
			t.deletedThrough = r.Tombstone.DeletedThrough
		}
	case KindLease:
		if r.Lease.Until == 0 {
			t.lease = LeaseRecord{}
		} else {
			t.lease = *r.Lease
		}
	case KindRollback:
		for _, ns := range t.ns {
			for _, e := range ns.entries {
				if slices.Contains(r.Rollback.RunIDs, e.rec.Metadata.RunID) && e.rec.Metadata.RunID != "" {
					e.removed = true
					e.writes = nil
					ns.latestOK = false
				}
			}
		}
	}
}

func (t *Thread) reset() {
	t.ns = make(map[string]*namespace)
	t.applied = nil
	t.stored = 0
}

func (t *Thread) namespace(ns string) *namespace {
	n := t.ns[ns]
	if n == nil {
		n = &namespace{entries: make(map[string]*entry), lineChild: make(map[string]string), latestOK: true}
		t.ns[ns] = n
	}
	return n
}

func (t *Thread) entry(ns, id string) *entry {
	if n := t.ns[ns]; n != nil {
		return n.entries[id]
	}
	return nil
}

func (t *Thread) putCheckpoint(seq uint64, rec CheckpointRecord) *entry {
	n := t.namespace(rec.NS)
	var parent *entry
	var parentValues channelValues
	var parentVer uint64
	if p := n.entries[rec.ParentID]; p != nil && rec.ParentID != "" && rec.ParentThread == "" {
		parent, parentValues, parentVer = p, p.values, p.ver
	}
	values := parentValues.apply(rec.Values, parent)
	for i := range rec.Values {
		// Applied: the caller's memory is the value's now (or not needed),
		// and the record must not keep the buffer it was in alive.
		rec.Values[i].full = nil
	}
	e := n.entries[rec.ID]
	if e == nil {
		e = &entry{}
		n.entries[rec.ID] = e
	} else if i := slices.Index(t.applied, e); i >= 0 {
		// A re-put: in log order the checkpoint is now the newest, and a
		// snapshot must list it after everything put before it.
		t.applied = slices.Delete(t.applied, i, i+1)
	}
	t.applied = append(t.applied, e)
	t.order++
	e.rec, e.values, e.seq, e.removed = rec, values, seq, false
	e.vers, e.seen = compactVersions(rec.Versions), compactSeen(rec.VersionsSeen)
	e.rec.Versions, e.rec.VersionsSeen = nil, nil
	e.order, e.ver, e.parentVer = t.order, e.ver+1, parentVer
	if n.latestOK {
		n.latest = e
	}
	if isLine(rec.Metadata.Source) {
		cur, taken := n.lineChild[rec.ParentID]
		if !taken || n.entries[cur] == nil || n.entries[cur].removed {
			n.lineChild[rec.ParentID] = rec.ID
		}
	}
	return e
}

func isLine(source string) bool {
	return source == string(saver.SourceInput) || source == string(saver.SourceLoop)
}

// hasWrite reports whether e holds w, with the same value.
func (e *entry) hasWrite(w WriteRecord) bool {
	if e == nil {
		return false
	}
	i, found := slices.BinarySearchFunc(e.writes, w, compareWrites)
	if !found {
		return false
	}
	h := &e.writes[i]
	return h.Channel == w.Channel && h.Blob == w.Blob && bytes.Equal(h.Value, w.Value)
}

func compareWrites(a, b WriteRecord) int {
	if c := strings.Compare(a.TaskID, b.TaskID); c != 0 {
		return c
	}
	return a.Idx - b.Idx
}

func (e *entry) addWrite(w WriteRecord) {
	i, found := slices.BinarySearchFunc(e.writes, w, compareWrites)
	switch {
	case !found:
		e.writes = slices.Insert(e.writes, i, w)
	case saver.IsSpecialChannel(w.Channel):
		e.writes[i] = w
	}
}

// Empty reports whether the thread has no live checkpoint.
func (t *Thread) Empty() bool {
	for _, n := range t.ns {
		for _, e := range n.entries {
			if !e.removed {
				return false
			}
		}
	}
	return true
}

// Deleted reports whether the thread was deleted (it may have been started
// again since).
func (t *Thread) Deleted() bool { return t.deletedThrough != "" }

// Lease returns the run that holds the thread and when its lease lapses;
// ok is false when no run has claimed it (or the last one released it).
func (t *Thread) Lease() (runID string, until time.Time, ok bool) {
	if t.lease.RunID == "" {
		return "", time.Time{}, false
	}
	return t.lease.RunID, time.Unix(0, t.lease.Until), true
}

func (t *Thread) created(e *entry) time.Time { return time.Unix(0, e.rec.TS).UTC() }
