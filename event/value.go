package event

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"unsafe"
)

// value is a channel's value. Values that extend one another (a
// conversation that gains a message per step) share one growing buffer, a
// line: a value is the first size bytes of its line's buffer. An append to
// the value at the tip of its line extends the buffer (in place when it has
// room), so a conversation of n turns holds its bytes once rather than n
// times, and the line's older buffers are freed as it moves to larger
// ones: every value of the line reads the newest, whose prefix is equal.
// An append to a value that is not its line's tip (a branch: an edit, a
// fork from an older checkpoint) starts a line of its own, with a copy.
//
// Positions of a buffer, once written, never change, and slices handed out
// have no spare capacity, so nothing a caller appends can reach a shared
// buffer.
type value struct {
	line *line
	size int
}

// line is the buffer that values extending one another share. Its length
// is the size of its tip, the longest value of the line.
type line struct{ b []byte }

// setValue returns a value of data, which it keeps: data must not change.
func setValue(data []byte) *value {
	return &value{line: &line{b: data[:len(data):len(data)]}, size: len(data)}
}

// appendValue returns prev followed by data. full, when not nil, is the
// whole new value in memory its owner will not change (ChannelDelta.full):
// the line then reads that memory instead of copying data.
func appendValue(prev *value, data, full []byte) *value {
	if prev == nil {
		return setValue(data)
	}
	size := prev.size + len(data)
	if len(prev.line.b) != prev.size { // prev is not the tip: a branch
		if full != nil && len(full) == size {
			return &value{line: &line{b: full[:size:size]}, size: size}
		}
		b := make([]byte, size, 2*size)
		copy(b, prev.line.b[:prev.size])
		copy(b[prev.size:], data)
		return &value{line: &line{b: b}, size: size}
	}
	if full != nil && len(full) == size {
		prev.line.b = full[:size:size]
	} else {
		prev.line.b = append(prev.line.b, data...)
	}
	return &value{line: prev.line, size: size}
}

// bytes returns v's bytes. The result must be treated as read-only; it has
// no spare capacity.
func (v *value) bytes() []byte {
	return v.line.b[:v.size:v.size]
}

// minAppend is the smallest parent value worth storing as an append: below
// it, a plain set is as small and simpler to read.
const minAppend = 64

// delta returns how to store next given the parent's value.
func delta(channel string, parent *value, next []byte) ChannelDelta {
	if parent != nil && parent.size >= minAppend && parent.size <= len(next) && extends(next, parent.bytes()) {
		return ChannelDelta{Channel: channel, Op: OpAppend, Data: next[parent.size:]}
	}
	return ChannelDelta{Channel: channel, Op: OpSet, Data: next}
}

// extends reports whether next begins with prev. When next extends the very
// memory prev is (a caller appending to the value it put before, which the
// thread kept), that is known without comparing: stored values never change.
func extends(next, prev []byte) bool {
	if unsafe.SliceData(next) == unsafe.SliceData(prev) {
		return true
	}
	return bytes.Equal(next[:len(prev)], prev)
}

// channelValue is one channel of a checkpoint and its value.
type channelValue struct {
	channel string
	v       *value
}

// channelValues are a checkpoint's channels, sorted by name. A checkpoint
// has a handful: a sorted slice copies and searches faster than a map.
type channelValues []channelValue

// get returns the value of channel ch, or nil.
func (cv channelValues) get(ch string) *value {
	if i, ok := cv.find(ch); ok {
		return cv[i].v
	}
	return nil
}

func (cv channelValues) find(ch string) (int, bool) {
	return slices.BinarySearchFunc(cv, ch, func(c channelValue, ch string) int { return strings.Compare(c.channel, ch) })
}

// apply returns cv with the deltas applied, in new memory: cv belongs to
// the parent checkpoint, whose pending writes are parent (nil when there
// is none), for deltas that refer to them.
func (cv channelValues) apply(deltas []ChannelDelta, parent *entry) channelValues {
	out := make(channelValues, len(cv), len(cv)+len(deltas))
	copy(out, cv)
	for _, d := range deltas {
		i, ok := out.find(d.Channel)
		data := d.Data
		switch {
		case d.Blob != "":
			data = d.blob
		case len(d.Refs) > 0:
			data = parent.refData(d.Refs)
		}
		var v *value
		switch d.Op {
		case OpSet:
			v = setValue(data)
		case OpAppend:
			var prev *value
			if ok {
				prev = out[i].v
			}
			v = appendValue(prev, data, d.full)
		case OpClear:
			if ok {
				out = slices.Delete(out, i, i+1)
			}
			continue
		default: // Decode refuses unknown ops; nothing to apply
			continue
		}
		if ok {
			out[i].v = v
		} else {
			out = slices.Insert(out, i, channelValue{d.Channel, v})
		}
	}
	return out
}

// writeValue returns the value of a write, wherever it is kept.
func (w *WriteRecord) value() []byte {
	if w.Blob != "" {
		return w.blob
	}
	return w.Value
}

// refData returns the values of e's writes refs names, one after another;
// a write e lacks (only a corrupt log refers to one) adds nothing.
func (e *entry) refData(refs []WriteRef) []byte {
	if e == nil {
		return nil
	}
	var parts [][]byte
	n := 0
	for _, r := range refs {
		i, ok := slices.BinarySearchFunc(e.writes, r, func(w WriteRecord, r WriteRef) int {
			if c := strings.Compare(w.TaskID, r.TaskID); c != 0 {
				return c
			}
			return w.Idx - r.Idx
		})
		if ok {
			v := e.writes[i].value()
			parts = append(parts, v)
			n += len(v)
		}
	}
	if len(parts) == 1 {
		return parts[0][:n:n]
	}
	out := make([]byte, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// matchWrites finds writes of e to channel ch whose values, one after
// another, are exactly data; it reports false when there are none.
func (e *entry) matchWrites(ch string, data []byte) ([]WriteRef, bool) {
	var used []bool
	var refs []WriteRef
	for pos := 0; pos < len(data); {
		found := false
		for i := range e.writes {
			w := &e.writes[i]
			if used == nil {
				used = make([]bool, len(e.writes))
			}
			if v := w.value(); !used[i] && w.Channel == ch && len(v) > 0 && bytes.HasPrefix(data[pos:], v) {
				used[i], found = true, true
				refs = append(refs, WriteRef{TaskID: w.TaskID, Idx: w.Idx})
				pos += len(v)
				break
			}
		}
		if !found {
			return nil, false
		}
	}
	return refs, len(refs) > 0
}

// BlobKey is the key an out-of-line value is stored under: the hex SHA-256
// of its bytes.
func BlobKey(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
