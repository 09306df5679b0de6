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
	cp := func(c *CheckpointRecord) error {
		for i := range c.Values {
			if d := &c.Values[i]; d.Blob != "" {
				if err := fn(d.Blob, &d.blob); err != nil {
					return err
				}
			}
		}
		return nil
	}
	ws := func(w []WriteRecord) error {
		for i := range w {
			if w[i].Blob != "" {
				if err := fn(w[i].Blob, &w[i].blob); err != nil {
					return err
				}
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
