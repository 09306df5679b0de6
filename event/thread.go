package event

import (
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
	applied        []*entry // every entry, in the order it was added: a snapshot's order
	provisional    bool     // PlanCommit applied records that are not stored yet
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
	// latest is the newest live checkpoint id, when latestOK; a rollback
	// makes it unknown until the next Latest recomputes it.
	latest   string
	latestOK bool
}

type entry struct {
	rec     CheckpointRecord
	enc     []byte // rec as it was encoded, when known (see SeedEntry.enc)
	values  channelValues
	writes  []WriteRecord // sorted by (task id, idx)
	seq     uint64
	removed bool
}

// NewThread returns the state of a thread with no events.
func NewThread(id string) *Thread {
	return &Thread{ID: id, ns: make(map[string]*namespace)}
}

// Fold folds a thread's events, in order, into its state. It is the one
// function that gives events their meaning.
func Fold(threadID string, events []Event) (*Thread, error) {
	t := NewThread(threadID)
	for _, ev := range events {
		if err := t.Apply(ev.Seq, ev.Payload); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// Event is one entry of a thread's log.
type Event struct {
	Seq     uint64
	Payload []byte
}

// Apply decodes one event and folds it in. A payload that does not decode is
// a *DecodeError naming the thread and sequence, and leaves t unchanged
// except that Seq advances past it, so a reader can log it and go on.
func (t *Thread) Apply(seq uint64, payload []byte) error {
	recs, err := Decode(payload)
	if err != nil {
		de := err.(*DecodeError)
		de.Thread, de.Seq = t.ID, seq
		t.Seq = seq
		return de
	}
	t.ApplyRecords(seq, recs)
	return nil
}

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
				e.seq, e.enc = seq, r.cpEnc
			}
		}
	}
	t.Seq = seq
	t.provisional = false
}

func (t *Thread) applyRecord(seq uint64, r *Record) {
	switch r.Kind {
	case KindCheckpoint:
		t.putCheckpoint(seq, *r.Checkpoint).enc = r.cpEnc
	case KindWrites:
		if e := t.entry(r.Writes.NS, r.Writes.CheckpointID); e != nil {
			for _, w := range r.Writes.Writes {
				e.addWrite(w)
			}
		}
	case KindSeed:
		t.reset()
		t.Origin = r.Seed.Origin
		t.deletedThrough = r.Seed.DeletedThrough
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
		if r.Tombstone.DeletedThrough > t.deletedThrough {
			t.deletedThrough = r.Tombstone.DeletedThrough
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
	var parent channelValues
	if p := n.entries[rec.ParentID]; p != nil && rec.ParentID != "" {
		parent = p.values
	}
	values := parent.apply(rec.Values)
	e := n.entries[rec.ID]
	if e == nil {
		e = &entry{}
		t.applied = append(t.applied, e)
		n.entries[rec.ID] = e
	}
	e.rec, e.values, e.seq, e.removed, e.enc = rec, values, seq, false, nil
	if n.latestOK && rec.ID > n.latest {
		n.latest = rec.ID
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

func (e *entry) addWrite(w WriteRecord) {
	i, found := slices.BinarySearchFunc(e.writes, w, func(a, b WriteRecord) int {
		if c := strings.Compare(a.TaskID, b.TaskID); c != 0 {
			return c
		}
		return a.Idx - b.Idx
	})
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

func (t *Thread) created(e *entry) time.Time { return time.Unix(0, e.rec.TS).UTC() }
