package event

import (
	"fmt"
	"slices"
	"strings"
)

// A snapshot is a thread's folded state in the record format: every
// checkpoint as the delta it was stored as, in the order it was applied, with
// its writes. It is about as large as the live part of the log, never larger,
// and encodes deterministically, so a snapshot rebuilt from the log is
// byte-identical to the one it replaces.
type snapshot struct {
	Thread string     `msgpack:"thread"`
	Seq    uint64     `msgpack:"seq"`
	V      int        `msgpack:"v"`
	State  SeedRecord `msgpack:"state"`
}

// Snapshot encodes t's state.
func (t *Thread) Snapshot() ([]byte, error) { return t.Freeze().Encode() }

// Frozen is a thread's state captured by Freeze, to be encoded as a
// snapshot later, in any goroutine, while the thread goes on changing.
type Frozen struct {
	s snapshot
}

// Freeze captures t's state for Encode. It copies the list of checkpoints,
// not their contents, which are never changed once applied.
func (t *Thread) Freeze() *Frozen {
	f := &Frozen{s: snapshot{Thread: t.ID, Seq: t.Seq, V: SchemaVersion, State: *t.seed()}}
	f.s.State.Origin = t.Origin
	return f
}

// Seq is the sequence of the last event the captured state includes.
func (f *Frozen) Seq() uint64 { return f.s.Seq }

// Encode encodes the captured state as Snapshot does.
func (f *Frozen) Encode() ([]byte, error) { return f.AppendEncode(nil) }

// AppendEncode appends the encoded state to dst and returns the result.
// A snapshot can be megabytes: a dst with room for it (the previous
// snapshot's size plus the events since is enough) saves growing the
// buffer step by step.
func (f *Frozen) AppendEncode(dst []byte) ([]byte, error) {
	e := &encoder{b: dst}
	e.snapshot(&f.s)
	if e.err != nil {
		return nil, fmt.Errorf("encode snapshot of thread %q: %w", f.s.Thread, e.err)
	}
	return e.b, nil
}

// snapshot writes s as marshal would.
func (e *encoder) snapshot(s *snapshot) {
	e.mapLen(4)
	e.str("thread")
	e.str(s.Thread)
	e.str("seq")
	e.uint64(s.Seq)
	e.str("v")
	e.int(s.V)
	e.str("state")
	e.seed(&s.State)
}

// Restore decodes a snapshot made by Snapshot. Its out-of-line values are
// left unresolved: use RestoreResolved where the values are read.
func Restore(b []byte) (*Thread, error) { return RestoreResolved(b, nil) }

// RestoreResolved decodes a snapshot made by Snapshot and, when resolve is
// not nil, fills in its out-of-line values with it (see ResolveBlobs)
// before they apply.
func RestoreResolved(b []byte, resolve func([]Record) error) (*Thread, error) {
	var s snapshot
	if err := unmarshal(b, &s); err != nil {
		return nil, &DecodeError{Err: fmt.Errorf("snapshot: %w", err)}
	}
	if s.V < 1 || s.V > SchemaVersion {
		return nil, &DecodeError{Thread: s.Thread, Seq: s.Seq, Err: fmt.Errorf("snapshot: %w: version %d", ErrUnknownKind, s.V)}
	}
	recs := []Record{{Kind: KindSeed, V: SchemaVersion, Seed: &s.State}}
	if resolve != nil {
		if err := resolve(recs); err != nil {
			return nil, fmt.Errorf("snapshot of thread %q at %d: %w", s.Thread, s.Seq, err)
		}
	}
	t := NewThread(s.Thread)
	t.ApplyRecords(s.Seq, recs)
	t.stored = len(b)
	return t, nil
}

// seed lists t's entries in the order they were last put, rolled-back ones
// included (their descendants' deltas need them).
func (t *Thread) seed() *SeedRecord {
	s := t.seedWhere(func(*entry) bool { return true })
	s.Lease = t.leaseRecord()
	return s
}

// seedWhere lists the entries keep accepts, in the order they were last
// put. An entry stays a delta over its parent only if the seed holds that
// parent, before it, as the very version the delta was made from;
// otherwise (the parent was re-put since, or is left out) it carries its
// values in full, so that applying the seed gives every entry the values
// it has in t.
func (t *Thread) seedWhere(keep func(*entry) bool) *SeedRecord {
	s := &SeedRecord{DeletedThrough: t.deletedThrough, Entries: make([]SeedEntry, 0, len(t.applied))}
	listed := make(map[*entry]bool, len(t.applied))
	for _, e := range t.applied {
		if !keep(e) {
			continue
		}
		se := SeedEntry{Checkpoint: e.record(), Writes: slices.Clone(e.writes), Seq: e.seq, Removed: e.removed}
		if e.rec.ParentID != "" && e.rec.ParentThread == "" {
			p := t.entry(e.rec.NS, e.rec.ParentID)
			if p == nil || !listed[p] || p.ver != e.parentVer {
				se.Checkpoint.Values = t.fullValues(e.values)
				// Channels the parent has and e lacks must not leak in
				// when the parent is applied first: clear them.
				if p != nil && listed[p] {
					for _, cv := range p.values {
						if _, ok := e.values.find(cv.channel); !ok {
							se.Checkpoint.Values = append(se.Checkpoint.Values, ChannelDelta{Channel: cv.channel, Op: OpClear})
						}
					}
					slices.SortFunc(se.Checkpoint.Values, func(a, b ChannelDelta) int { return strings.Compare(a.Channel, b.Channel) })
				}
			}
		}
		listed[e] = true
		s.Entries = append(s.Entries, se)
	}
	return s
}
