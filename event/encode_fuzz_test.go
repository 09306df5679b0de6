package event

import (
	"bytes"
	"encoding/binary"
	"math"
	"reflect"
	"testing"
)

// FuzzEncodeMatchesReflection builds records from the input and requires
// Encode to write the reflection encoder's bytes, and Decode to give the
// records back unchanged. The records are built as Decode returns them
// (valid kinds, empty optional fields as nil, Extra in decoded types), so a
// lossy encoding cannot hide behind the decoder's normalizing.
func FuzzEncodeMatchesReflection(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	f.Add(bytes.Repeat([]byte{0xff}, 64))
	f.Add(bytes.Repeat([]byte{0x80, 0x7f, 0x20, 0x1f}, 40))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs := newRecordFuzzer(data).records()
		requireSameEncoding(t, recs)
		payload, err := Encode(recs)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(payload)
		if err != nil {
			t.Fatalf("decode %x: %v", payload, err)
		}
		if !reflect.DeepEqual(got, recs) {
			t.Fatalf("decode lost something:\n got %#v\nwant %#v", got, recs)
		}
		for _, r := range recs {
			if r.Seed != nil {
				requireSameSnapshot(t, snapshot{Thread: r.Seed.DeletedThrough, Seq: uint64(len(payload)), V: SchemaVersion, State: *r.Seed})
			}
		}
	})
}

// recordFuzzer reads fuzz input as choices; past the end every choice is 0.
type recordFuzzer struct{ data []byte }

func newRecordFuzzer(data []byte) *recordFuzzer { return &recordFuzzer{data: data} }

func (f *recordFuzzer) byte() byte {
	if len(f.data) == 0 {
		return 0
	}
	b := f.data[0]
	f.data = f.data[1:]
	return b
}

// n returns a count below 20, so lists and maps cross the 15/16 boundary
// between msgpack's fix and 16-bit formats.
func (f *recordFuzzer) n() int { return int(f.byte()) % 20 }

func (f *recordFuzzer) u64() uint64 {
	var b [8]byte
	for i := range b {
		b[i] = f.byte()
	}
	// a shift picks the magnitude, so every int format is reached
	return binary.LittleEndian.Uint64(b[:]) >> (f.byte() % 64)
}

func (f *recordFuzzer) i64() int64 {
	var b [8]byte
	for i := range b {
		b[i] = f.byte()
	}
	return int64(binary.LittleEndian.Uint64(b[:])) >> (f.byte() % 64)
}

// str returns a string of up to 300 bytes (crossing str8 and str16), not
// necessarily UTF-8.
func (f *recordFuzzer) str() string {
	l := int(f.byte())
	if l >= 250 {
		l = int(f.byte()) + 45 // 45..300
	}
	l %= 301
	b := make([]byte, 0, l)
	for range l {
		if len(f.data) == 0 {
			b = append(b, byte(len(b)))
			continue
		}
		b = append(b, f.byte())
	}
	return string(b)
}

// id returns a non-empty string.
func (f *recordFuzzer) id() string { return "i" + f.str() }

// bytes returns nil or a non-empty slice, as decoded.
func (f *recordFuzzer) bytes() []byte {
	s := f.str()
	if s == "" {
		return nil
	}
	return []byte(s)
}

func (f *recordFuzzer) records() []Record {
	recs := make([]Record, 1+f.n())
	for i := range recs {
		recs[i] = f.record()
	}
	return recs
}

func (f *recordFuzzer) record() Record {
	r := f.body()
	if f.byte()%4 == 0 {
		r.Thread = f.str()
	}
	return r
}

func (f *recordFuzzer) body() Record {
	switch f.byte() % 6 {
	case 0:
		return Record{Kind: KindCheckpoint, V: SchemaVersion, Checkpoint: f.checkpoint()}
	case 1:
		return Record{Kind: KindWrites, V: SchemaVersion, Writes: &WritesRecord{NS: f.str(), CheckpointID: f.id(), Writes: f.writes(true)}}
	case 2:
		return Record{Kind: KindSeed, V: SchemaVersion, Seed: f.seed()}
	case 3:
		return Record{Kind: KindTombstone, V: SchemaVersion, Tombstone: &TombstoneRecord{DeletedThrough: f.str()}}
	case 5:
		return Record{Kind: KindLease, V: SchemaVersion, Lease: f.lease()}
	default:
		var runs []string
		if n := f.n(); n > 0 || f.byte()%2 == 0 { // nil or empty
			runs = make([]string, n)
			for i := range runs {
				runs[i] = f.str()
			}
		}
		return Record{Kind: KindRollback, V: SchemaVersion, Rollback: &RollbackRecord{RunIDs: runs}}
	}
}

func (f *recordFuzzer) lease() *LeaseRecord {
	return &LeaseRecord{RunID: f.str(), Until: f.i64()}
}

func (f *recordFuzzer) checkpoint() *CheckpointRecord {
	c := &CheckpointRecord{NS: f.str(), ID: f.id(), ParentID: f.str(), ParentThread: f.str(), TS: f.i64(), Versions: f.versions()}
	if n := f.n(); n > 0 {
		c.VersionsSeen = make(SeenVersions, n)
		for range n {
			v := f.versions()
			if v == nil && f.byte()%2 == 0 {
				v = Versions{} // an inner map keeps nil and empty apart
			}
			c.VersionsSeen[f.str()] = v
		}
	}
	c.Metadata = MetadataRecord{Source: f.str(), Step: int(f.i64()), RunID: f.str()}
	if n := f.n(); n > 0 {
		c.Metadata.Parents = make(map[string]string, n)
		for range n {
			c.Metadata.Parents[f.str()] = f.str()
		}
	}
	if n := f.n(); n > 0 {
		c.Metadata.Extra = make(map[string]any, n)
		for range n {
			c.Metadata.Extra[f.str()] = f.value(3)
		}
	}
	for range f.n() {
		d := ChannelDelta{Channel: f.str(), Op: []Op{OpSet, OpAppend, OpClear}[f.byte()%3], Data: f.bytes(), Blob: f.str()}
		for range f.n() % 4 {
			d.Refs = append(d.Refs, WriteRef{TaskID: f.str(), Idx: int(f.i64())})
		}
		c.Values = append(c.Values, d)
	}
	return c
}

// versions returns nil or a non-empty map, as decoded.
func (f *recordFuzzer) versions() Versions {
	n := f.n()
	if n == 0 {
		return nil
	}
	v := make(Versions, n)
	for range n {
		v[f.str()] = f.u64()
	}
	return v
}

// value returns a metadata value of a type Decode gives back, nested at
// most depth deep.
func (f *recordFuzzer) value(depth int) any {
	kind := f.byte() % 9
	if depth == 0 {
		kind %= 6
	}
	switch kind {
	case 0:
		return nil
	case 1:
		return f.byte()%2 == 0
	case 2:
		return f.i64()
	case 3:
		return f.u64()
	case 4:
		v := math.Float64frombits(f.u64())
		if math.IsNaN(v) {
			return 0.5 // NaN is not DeepEqual to itself
		}
		return v
	case 5:
		return f.str()
	case 6, 7:
		l := make([]any, f.n())
		for i := range l {
			l[i] = f.value(depth - 1)
		}
		return l
	default:
		m := make(map[string]any)
		for range f.n() {
			m[f.str()] = f.value(depth - 1)
		}
		return m
	}
}

// writes returns a list of writes; keepEmpty says whether an empty list may
// be non-nil (where the field is not omitempty).
func (f *recordFuzzer) writes(keepEmpty bool) []WriteRecord {
	n := f.n()
	if n == 0 && (!keepEmpty || f.byte()%2 == 0) {
		return nil
	}
	ws := make([]WriteRecord, n)
	for i := range ws {
		ws[i] = WriteRecord{TaskID: f.str(), Idx: int(f.i64()), Channel: f.str(), Value: f.bytes(), Blob: f.str()}
	}
	return ws
}

func (f *recordFuzzer) seed() *SeedRecord {
	s := &SeedRecord{DeletedThrough: f.str()}
	if f.byte()%2 == 0 {
		s.Origin = &Origin{ThreadID: f.str(), NS: f.str(), CheckpointID: f.str(), Seq: f.u64()}
	}
	if n := f.n(); n > 0 || f.byte()%2 == 0 { // nil or empty
		s.Entries = make([]SeedEntry, n)
		for i := range s.Entries {
			s.Entries[i] = SeedEntry{Checkpoint: *f.checkpoint(), Writes: f.writes(false), Seq: f.u64(), Removed: f.byte()%2 == 0}
		}
	}
	if f.byte()%2 == 0 {
		s.Lease = f.lease()
	}
	return s
}
