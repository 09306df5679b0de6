package event

import (
	"bytes"
	"sync"

	"github.com/vmihailenco/msgpack/v5"
)

// encoder writes records and snapshots as msgpack by hand, appending to a
// reused buffer. Its output is byte for byte what marshal writes (msgpack
// v5's reflection encoder with sorted map keys and ints that keep their
// width), which event ids, recorded testdata and snapshot identity rely on;
// the encode tests hold it to that. Only MetadataRecord.Extra, which holds
// arbitrary user values, goes through a msgpack.Encoder set up like
// marshal's.
type encoder struct {
	b []byte
	// keys is scratch for sorting map keys, used as a stack so that a map
	// nested in a map sorts its keys above its parent's.
	keys []string
	ext  *msgpack.Encoder // writes to b; made on first use
	err  error            // the first error, from ext
}

// maxPooledBuffer bounds the buffer an encoder keeps in the pool, so that
// one large snapshot does not pin its memory for good.
const maxPooledBuffer = 64 << 10

var encoders = sync.Pool{New: func() any { return new(encoder) }}

func getEncoder() *encoder {
	e := encoders.Get().(*encoder)
	e.b = e.b[:0]
	e.err = nil
	return e
}

func putEncoder(e *encoder) {
	if cap(e.b) > maxPooledBuffer {
		return
	}
	encoders.Put(e)
}

// bytes returns a copy of what e wrote, or e's error.
func (e *encoder) bytes() ([]byte, error) {
	if e.err != nil {
		return nil, e.err
	}
	return bytes.Clone(e.b), nil
}

// Write appends p; it makes e the writer of ext.
func (e *encoder) Write(p []byte) (int, error) {
	e.b = append(e.b, p...)
	return len(p), nil
}

// WriteByte appends c; with Write, it spares ext a byte-writer adapter.
func (e *encoder) WriteByte(c byte) error {
	e.b = append(e.b, c)
	return nil
}

// value writes v as marshal would, through msgpack's encoder.
func (e *encoder) value(v map[string]any) {
	if e.ext == nil {
		e.ext = msgpack.NewEncoder(e)
		e.ext.SetSortMapKeys(true)
		e.ext.UseCompactInts(false)
	}
	if e.err == nil {
		// what marshal does for a map[string]any with sorted keys
		e.err = e.ext.EncodeMapSorted(v)
	}
}

// sortedKeys pushes m's keys on the scratch stack and returns them sorted,
// with the mark to pop them at when done: e.popKeys(mark).
func sortedKeys[M ~map[string]V, V any](e *encoder, m M) (keys []string, mark int) {
	mark = len(e.keys)
	e.keys = appendSorted(e.keys, map[string]V(m))
	return e.keys[mark:], mark
}

// popKeys drops the keys pushed since mark, clearing them so the pooled
// scratch does not keep them alive.
func (e *encoder) popKeys(mark int) {
	clear(e.keys[mark:])
	e.keys = e.keys[:mark]
}
