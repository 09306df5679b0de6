package event

import (
	"bytes"
	"encoding/binary"
	"errors"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// The record types read by hand: a cold read decodes a snapshot of every
// checkpoint of a thread, and the reflection decoder spent most of its time
// on reflection. The decoder below reads exactly the shapes the encoder
// (and the reflection encoder before it) writes, and gives what the
// reflection decoder gives for them, which the tests hold it to. Anything
// else (an unknown key, a float where an int goes, a string stored as
// bin, corrupt bytes) makes it give up, and unmarshal falls back to the
// reflection decoder, which decides: the hand decoder never accepts what
// the reflection decoder would refuse or read differently.

// errHand says the hand decoder met something it does not read.
var errHand = errors.New("not read by hand")

// decoder reads msgpack from b; the first failure stops it.
type decoder struct {
	b   []byte
	off int
	err error
	// names interns the short strings that repeat in every checkpoint
	// (channel and node names, sources, kinds, ops): one copy each.
	names map[string]string
}

// maxFields is more fields than any record type has.
const maxFields = 12

func (d *decoder) fail() { d.err = errHand }

func (d *decoder) rest() int { return len(d.b) - d.off }

// code returns the next format byte, consuming it.
func (d *decoder) code() byte {
	if d.err != nil || d.off >= len(d.b) {
		d.fail()
		return msgpcode.Nil
	}
	c := d.b[d.off]
	d.off++
	return c
}

// take returns the next n bytes, consuming them.
func (d *decoder) take(n int) []byte {
	if d.err != nil || n < 0 || n > d.rest() {
		d.fail()
		return nil
	}
	b := d.b[d.off : d.off+n : d.off+n]
	d.off += n
	return b
}

func (d *decoder) u8() int  { b := d.take(1); return int(firstOr0(b)) }
func (d *decoder) u16() int { b := d.take(2); return int(be16(b)) }
func (d *decoder) u32() int64 {
	b := d.take(4)
	if b == nil {
		return 0
	}
	return int64(binary.BigEndian.Uint32(b))
}

func firstOr0(b []byte) byte {
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

func be16(b []byte) uint16 {
	if len(b) < 2 {
		return 0
	}
	return binary.BigEndian.Uint16(b)
}

// isNil consumes a nil and reports whether there was one.
func (d *decoder) isNil() bool {
	if d.err == nil && d.off < len(d.b) && d.b[d.off] == msgpcode.Nil {
		d.off++
		return true
	}
	return false
}

// length reads a length of at most the bytes left (each element takes at
// least one): a corrupt length never makes anyone allocate.
func (d *decoder) length(n int64, per int) int {
	if d.err != nil || n < 0 || n*int64(per) > int64(d.rest()) {
		d.fail()
		return 0
	}
	return int(n)
}

// mapLen reads a map header; -1 for nil.
func (d *decoder) mapLen() int {
	c := d.code()
	switch {
	case c == msgpcode.Nil:
		return -1
	case msgpcode.IsFixedMap(c):
		return d.length(int64(c&msgpcode.FixedMapMask), 2)
	case c == msgpcode.Map16:
		return d.length(int64(d.u16()), 2)
	case c == msgpcode.Map32:
		return d.length(d.u32(), 2)
	}
	d.fail()
	return 0
}

// arrayLen reads an array header; -1 for nil.
func (d *decoder) arrayLen() int {
	c := d.code()
	switch {
	case c == msgpcode.Nil:
		return -1
	case msgpcode.IsFixedArray(c):
		return d.length(int64(c&msgpcode.FixedArrayMask), 1)
	case c == msgpcode.Array16:
		return d.length(int64(d.u16()), 1)
	case c == msgpcode.Array32:
		return d.length(d.u32(), 1)
	}
	d.fail()
	return 0
}

// strBytes reads a string's bytes, without copying; nil for nil.
func (d *decoder) strBytes() []byte {
	c := d.code()
	var n int64
	switch {
	case c == msgpcode.Nil:
		return nil
	case msgpcode.IsFixedString(c):
		n = int64(c & msgpcode.FixedStrMask)
	case c == msgpcode.Str8:
		n = int64(d.u8())
	case c == msgpcode.Str16:
		n = int64(d.u16())
	case c == msgpcode.Str32:
		n = d.u32()
	default:
		d.fail()
		return nil
	}
	return d.take(d.length(n, 1))
}

func (d *decoder) str() string { return string(d.strBytes()) }

// name reads a string that recurs, interned.
func (d *decoder) name() string {
	b := d.strBytes()
	if len(b) == 0 || len(b) > 64 {
		return string(b)
	}
	if s, ok := d.names[string(b)]; ok {
		return s
	}
	if d.names == nil {
		d.names = make(map[string]string)
	}
	s := string(b)
	d.names[s] = s
	return s
}

// key reads a map key: a string, compared without allocating.
func (d *decoder) key() []byte { return d.strBytes() }

// bin reads bytes into new memory: nil for nil, empty for empty, as the
// reflection decoder gives them.
func (d *decoder) bin() []byte {
	c := d.code()
	var n int64
	switch c {
	case msgpcode.Nil:
		return nil
	case msgpcode.Bin8:
		n = int64(d.u8())
	case msgpcode.Bin16:
		n = int64(d.u16())
	case msgpcode.Bin32:
		n = d.u32()
	default:
		d.fail()
		return nil
	}
	b := d.take(d.length(n, 1))
	if d.err != nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}

// int64 reads an integer of any width that fits an int64.
func (d *decoder) int64() int64 {
	c := d.code()
	switch {
	case msgpcode.IsFixedNum(c):
		return int64(int8(c))
	case c == msgpcode.Uint8:
		return int64(d.u8())
	case c == msgpcode.Uint16:
		return int64(d.u16())
	case c == msgpcode.Uint32:
		return d.u32()
	case c == msgpcode.Int8:
		return int64(int8(d.u8()))
	case c == msgpcode.Int16:
		return int64(int16(d.u16()))
	case c == msgpcode.Int32:
		return int64(int32(d.u32()))
	case c == msgpcode.Int64, c == msgpcode.Uint64:
		b := d.take(8)
		if b == nil {
			return 0
		}
		n := binary.BigEndian.Uint64(b)
		if c == msgpcode.Uint64 && int64(n) < 0 {
			d.fail() // the reflection decoder decides what that means
		}
		return int64(n)
	}
	d.fail()
	return 0
}

func (d *decoder) int() int {
	n := d.int64()
	if int64(int(n)) != n {
		d.fail()
	}
	return int(n)
}

// uint64 reads a non-negative integer of any width.
func (d *decoder) uint64() uint64 {
	if d.err == nil && d.off < len(d.b) && d.b[d.off] == msgpcode.Uint64 {
		d.off++
		b := d.take(8)
		if b == nil {
			return 0
		}
		return binary.BigEndian.Uint64(b)
	}
	n := d.int64()
	if n < 0 {
		d.fail()
	}
	return uint64(n)
}

func (d *decoder) bool() bool {
	switch d.code() {
	case msgpcode.True:
		return true
	case msgpcode.False:
		return false
	}
	d.fail()
	return false
}

// fields reads a map of fields, calling field for each key; an unknown key
// (field returns false) or one met twice gives up.
func (d *decoder) fields(field func(k []byte) bool) {
	n := d.mapLen()
	if n > maxFields {
		d.fail()
		return
	}
	var seen [maxFields][]byte
	for i := 0; i < n && d.err == nil; i++ {
		k := d.key()
		for _, s := range seen[:i] {
			if bytes.Equal(s, k) {
				d.fail()
				return
			}
		}
		seen[i] = k
		if d.err == nil && !field(k) {
			d.fail()
		}
	}
}

// is compares a key with a field name.
func is(k []byte, name string) bool { return string(k) == name }

// prealloc is how many elements to allocate for a declared n: no more than
// the bytes left could hold at min bytes each.
func (d *decoder) prealloc(n, min int) int { return max(0, minInt(n, d.rest()/min)) }

func minInt(a, b int) int {
	if a < b {
		return a
	}
	return b
}

func (d *decoder) records() []Record {
	n := d.arrayLen()
	if n < 0 {
		return nil
	}
	recs := make([]Record, 0, d.prealloc(n, 8))
	for i := 0; i < n && d.err == nil; i++ {
		recs = append(recs, d.record())
	}
	return recs
}

func (d *decoder) record() Record {
	var r Record
	d.fields(func(k []byte) bool {
		switch {
		case is(k, "k"):
			r.Kind = Kind(d.name())
		case is(k, "v"):
			r.V = d.int()
		case is(k, "cp"):
			r.Checkpoint = nil
			if !d.isNil() {
				r.Checkpoint = &CheckpointRecord{}
				d.checkpoint(r.Checkpoint)
			}
		case is(k, "wr"):
			r.Writes = nil
			if !d.isNil() {
				r.Writes = &WritesRecord{}
				d.writes(r.Writes)
			}
		case is(k, "sd"):
			r.Seed = nil
			if !d.isNil() {
				r.Seed = &SeedRecord{}
				d.seed(r.Seed)
			}
		case is(k, "tb"):
			r.Tombstone = nil
			if !d.isNil() {
				r.Tombstone = &TombstoneRecord{}
				d.fields(func(k []byte) bool {
					if !is(k, "del") {
						return false
					}
					r.Tombstone.DeletedThrough = d.str()
					return true
				})
			}
		case is(k, "rb"):
			r.Rollback = nil
			if !d.isNil() {
				r.Rollback = &RollbackRecord{}
				d.fields(func(k []byte) bool {
					if !is(k, "runs") {
						return false
					}
					r.Rollback.RunIDs = d.strings()
					return true
				})
			}
		case is(k, "ls"):
			r.Lease = nil
			if !d.isNil() {
				r.Lease = &LeaseRecord{}
				d.lease(r.Lease)
			}
		case is(k, "th"):
			r.Thread = d.str()
		default:
			return false
		}
		return true
	})
	return r
}

func (d *decoder) strings() []string {
	n := d.arrayLen()
	if n < 0 {
		return nil
	}
	out := make([]string, 0, d.prealloc(n, 1))
	for i := 0; i < n && d.err == nil; i++ {
		out = append(out, d.str())
	}
	return out
}

func (d *decoder) lease(l *LeaseRecord) {
	d.fields(func(k []byte) bool {
		switch {
		case is(k, "run"):
			l.RunID = d.str()
		case is(k, "until"):
			l.Until = d.int64()
		default:
			return false
		}
		return true
	})
}

func (d *decoder) checkpoint(c *CheckpointRecord) {
	d.fields(func(k []byte) bool {
		switch {
		case is(k, "ns"):
			c.NS = d.str()
		case is(k, "id"):
			c.ID = d.str()
		case is(k, "pid"):
			c.ParentID = d.str()
		case is(k, "pth"):
			c.ParentThread = d.str()
		case is(k, "ts"):
			c.TS = d.int64()
		case is(k, "ver"):
			c.Versions = d.versions()
		case is(k, "seen"):
			c.VersionsSeen = d.seen()
		case is(k, "md"):
			d.metadata(&c.Metadata)
		case is(k, "val"):
			c.Values = d.deltas()
		default:
			return false
		}
		return true
	})
}

func (d *decoder) versions() Versions {
	n := d.mapLen()
	if n < 0 {
		return nil
	}
	v := make(Versions, n)
	for i := 0; i < n && d.err == nil; i++ {
		k := d.name()
		v[k] = d.uint64()
	}
	return v
}

func (d *decoder) seen() SeenVersions {
	n := d.mapLen()
	if n < 0 {
		return nil
	}
	s := make(SeenVersions, n)
	for i := 0; i < n && d.err == nil; i++ {
		k := d.name()
		s[k] = d.versions()
	}
	return s
}

func (d *decoder) metadata(m *MetadataRecord) {
	d.fields(func(k []byte) bool {
		switch {
		case is(k, "src"):
			m.Source = d.name()
		case is(k, "step"):
			m.Step = d.int()
		case is(k, "par"):
			n := d.mapLen()
			m.Parents = nil
			if n >= 0 {
				m.Parents = make(map[string]string, n)
			}
			for i := 0; i < n && d.err == nil; i++ {
				k := d.name()
				m.Parents[k] = d.str()
			}
		case is(k, "run"):
			m.RunID = d.str()
		case is(k, "x"):
			m.Extra = d.extra()
		default:
			return false
		}
		return true
	})
}

// extra reads free-form metadata with the reflection decoder, as unmarshal
// does.
func (d *decoder) extra() map[string]any {
	if d.err != nil {
		return nil
	}
	r := bytes.NewReader(d.b[d.off:])
	dec := msgpack.NewDecoder(r)
	dec.UseLooseInterfaceDecoding(true)
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		d.fail()
		return nil
	}
	d.off = len(d.b) - r.Len()
	return m
}

func (d *decoder) deltas() []ChannelDelta {
	n := d.arrayLen()
	if n < 0 {
		return nil
	}
	out := make([]ChannelDelta, 0, d.prealloc(n, 8))
	for i := 0; i < n && d.err == nil; i++ {
		var cd ChannelDelta
		d.fields(func(k []byte) bool {
			switch {
			case is(k, "c"):
				cd.Channel = d.name()
			case is(k, "o"):
				cd.Op = Op(d.name())
			case is(k, "d"):
				cd.Data = d.bin()
			case is(k, "b"):
				cd.Blob = d.str()
			case is(k, "w"):
				cd.Refs = d.refs()
			default:
				return false
			}
			return true
		})
		out = append(out, cd)
	}
	return out
}

func (d *decoder) refs() []WriteRef {
	n := d.arrayLen()
	if n < 0 {
		return nil
	}
	out := make([]WriteRef, 0, d.prealloc(n, 4))
	for i := 0; i < n && d.err == nil; i++ {
		var r WriteRef
		d.fields(func(k []byte) bool {
			switch {
			case is(k, "t"):
				r.TaskID = d.str()
			case is(k, "i"):
				r.Idx = d.int()
			default:
				return false
			}
			return true
		})
		out = append(out, r)
	}
	return out
}

func (d *decoder) writes(w *WritesRecord) {
	d.fields(func(k []byte) bool {
		switch {
		case is(k, "ns"):
			w.NS = d.str()
		case is(k, "cid"):
			w.CheckpointID = d.str()
		case is(k, "w"):
			w.Writes = d.writeList()
		default:
			return false
		}
		return true
	})
}

func (d *decoder) writeList() []WriteRecord {
	n := d.arrayLen()
	if n < 0 {
		return nil
	}
	out := make([]WriteRecord, 0, d.prealloc(n, 8))
	for i := 0; i < n && d.err == nil; i++ {
		var w WriteRecord
		d.fields(func(k []byte) bool {
			switch {
			case is(k, "t"):
				w.TaskID = d.str()
			case is(k, "i"):
				w.Idx = d.int()
			case is(k, "c"):
				w.Channel = d.name()
			case is(k, "v"):
				w.Value = d.bin()
			case is(k, "b"):
				w.Blob = d.str()
			default:
				return false
			}
			return true
		})
		out = append(out, w)
	}
	return out
}

func (d *decoder) seed(s *SeedRecord) {
	d.fields(func(k []byte) bool {
		switch {
		case is(k, "origin"):
			s.Origin = nil
			if !d.isNil() {
				s.Origin = &Origin{}
				d.origin(s.Origin)
			}
		case is(k, "del"):
			s.DeletedThrough = d.str()
		case is(k, "e"):
			s.Entries = d.seedEntries()
		case is(k, "ls"):
			s.Lease = nil
			if !d.isNil() {
				s.Lease = &LeaseRecord{}
				d.lease(s.Lease)
			}
		default:
			return false
		}
		return true
	})
}

func (d *decoder) origin(o *Origin) {
	d.fields(func(k []byte) bool {
		switch {
		case is(k, "thread"):
			o.ThreadID = d.str()
		case is(k, "ns"):
			o.NS = d.str()
		case is(k, "cid"):
			o.CheckpointID = d.str()
		case is(k, "seq"):
			o.Seq = d.uint64()
		default:
			return false
		}
		return true
	})
}

func (d *decoder) seedEntries() []SeedEntry {
	n := d.arrayLen()
	if n < 0 {
		return nil
	}
	out := make([]SeedEntry, 0, d.prealloc(n, 16))
	for i := 0; i < n && d.err == nil; i++ {
		var se SeedEntry
		d.fields(func(k []byte) bool {
			switch {
			case is(k, "cp"):
				se.Checkpoint = CheckpointRecord{}
				if !d.isNil() {
					d.checkpoint(&se.Checkpoint)
				}
			case is(k, "w"):
				se.Writes = d.writeList()
			case is(k, "seq"):
				se.Seq = d.uint64()
			case is(k, "rm"):
				se.Removed = d.bool()
			default:
				return false
			}
			return true
		})
		out = append(out, se)
	}
	return out
}

func (d *decoder) snapshot(s *snapshot) {
	d.fields(func(k []byte) bool {
		switch {
		case is(k, "thread"):
			s.Thread = d.str()
		case is(k, "seq"):
			s.Seq = d.uint64()
		case is(k, "v"):
			s.V = d.int()
		case is(k, "state"):
			s.State = SeedRecord{}
			if !d.isNil() {
				d.seed(&s.State)
			}
		default:
			return false
		}
		return true
	})
}

// decodeHand decodes data into v (a *[]Record or a *snapshot) by hand. It
// reports false, leaving v as it was, when it gives up: the caller then
// decodes by reflection.
func decodeHand(data []byte, v any) bool {
	d := &decoder{b: data}
	switch p := v.(type) {
	case *[]Record:
		recs := d.records()
		if d.err != nil || d.rest() != 0 {
			return false
		}
		*p = recs
	case *snapshot:
		var s snapshot
		d.snapshot(&s)
		if d.err != nil || d.rest() != 0 {
			return false
		}
		*p = s
	default:
		return false
	}
	return true
}
