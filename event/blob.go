package event

import (
	"fmt"
	"maps"
	"slices"
)

// Large values travel out of line: a planner whose thread has a
// BlobThreshold moves a value above it into a blob, keyed by BlobKey, and
// the record keeps only the key (ChannelDelta.Blob, WriteRecord.Blob) and,
// in memory, the bytes. A saver stores the blobs of a change (Blobs)
// before it appends the records, and fills them in (ResolveBlobs) when it
// reads records back, before they apply.

// Blobs returns the out-of-line values recs carry in memory, by key: what
// must be stored before recs are appended.
func Blobs(recs []Record) map[string][]byte {
	out := map[string][]byte{}
	eachBlob(recs, func(key string, data *[]byte) error {
		if *data != nil {
			out[key] = *data
		}
		return nil
	})
	return out
}

// ResolveBlobs fills in the bytes of every out-of-line value of recs from
// get, and checks that they hash to their key.
func ResolveBlobs(recs []Record, get func(key string) ([]byte, error)) error {
	return eachBlob(recs, func(key string, data *[]byte) error {
		if *data != nil {
			return nil
		}
		b, err := get(key)
		if err != nil {
			return fmt.Errorf("blob %s: %w", key, err)
		}
		if BlobKey(b) != key {
			return &DecodeError{Err: fmt.Errorf("blob %s: content does not match its key", key)}
		}
		*data = b
		return nil
	})
}

func eachBlob(recs []Record, fn func(key string, data *[]byte) error) error {
	return eachValue(recs, func(v slot) error {
		if *v.key == "" {
			return nil
		}
		return fn(*v.key, v.blob)
	})
}

// slot is one value of a record: inline in *data, or out of line under
// *key, with its bytes in memory in *blob.
type slot struct {
	data, blob *[]byte
	key        *string
}

// eachValue calls fn with every value recs carry, in record order.
func eachValue(recs []Record, fn func(slot) error) error {
	cp := func(c *CheckpointRecord) error {
		for i := range c.Values {
			d := &c.Values[i]
			if err := fn(slot{data: &d.Data, blob: &d.blob, key: &d.Blob}); err != nil {
				return err
			}
		}
		return nil
	}
	ws := func(w []WriteRecord) error {
		for i := range w {
			if err := fn(slot{data: &w[i].Value, blob: &w[i].blob, key: &w[i].Blob}); err != nil {
				return err
			}
		}
		return nil
	}
	for i := range recs {
		r := &recs[i]
		var err error
		switch {
		case r.Checkpoint != nil:
			err = cp(r.Checkpoint)
		case r.Writes != nil:
			err = ws(r.Writes.Writes)
		case r.Seed != nil:
			for j := range r.Seed.Entries {
				if err = cp(&r.Seed.Entries[j].Checkpoint); err == nil {
					err = ws(r.Seed.Entries[j].Writes)
				}
				if err != nil {
					break
				}
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// MinSpillBytes is the smallest value Spill moves out of line: below it,
// the key that replaces a value is a good part of what it saves.
const MinSpillBytes = 1 << 10

// blobRefBytes is about what a value moved out of line still costs in its
// record: its key.
const blobRefBytes = 70

// Spill moves the largest values recs carry inline out of line, as a
// planner does with a value above its thread's BlobThreshold, until about
// over bytes have left the records, and returns how many it moved: 0 when
// none of MinSpillBytes or more is left. It is for a change whose values
// are each below the threshold and together too large for one append (a
// fork or a compaction seeds a thread with every value of its state in one
// event). Values of equal size move in record order.
func Spill(recs []Record, over int) int {
	var inline []slot
	_ = eachValue(recs, func(v slot) error {
		if *v.key == "" && len(*v.data) >= MinSpillBytes {
			inline = append(inline, v)
		}
		return nil
	})
	slices.SortStableFunc(inline, func(a, b slot) int { return len(*b.data) - len(*a.data) })
	moved := 0
	for _, v := range inline {
		if over <= 0 {
			break
		}
		over -= len(*v.data) - blobRefBytes
		*v.key, *v.blob, *v.data = BlobKey(*v.data), *v.data, nil
		moved++
	}
	return moved
}

// BlobKeys returns the keys of every out-of-line value t's state refers
// to, sorted: the blobs a saver must keep for the thread.
func (t *Thread) BlobKeys() []string {
	keys := map[string]bool{}
	for _, e := range t.applied {
		for _, d := range e.rec.Values {
			if d.Blob != "" {
				keys[d.Blob] = true
			}
		}
		for _, w := range e.writes {
			if w.Blob != "" {
				keys[w.Blob] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(keys))
}
