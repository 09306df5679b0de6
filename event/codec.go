package event

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/jetgraph/jetgraph/saver"
)

// ErrUnknownKind is wrapped by a DecodeError for a record of a kind or
// schema version this build does not know.
var ErrUnknownKind = errors.New("unknown record kind")

// DecodeError reports an event that could not be decoded, with the thread
// and sequence it came from when known. It unwraps to saver.ErrCorrupt and to
// the cause (ErrUnknownKind, a msgpack error, ...).
type DecodeError struct {
	Thread string
	Seq    uint64
	Err    error
}

func (e *DecodeError) Error() string {
	if e.Thread == "" && e.Seq == 0 {
		return fmt.Sprintf("decode event: %v", e.Err)
	}
	return fmt.Sprintf("decode event %d of thread %q: %v", e.Seq, e.Thread, e.Err)
}

// Unwrap returns the cause and saver.ErrCorrupt.
func (e *DecodeError) Unwrap() []error { return []error{e.Err, saver.ErrCorrupt} }

// Encode encodes a batch of records as one event payload. The encoding is
// deterministic: map keys are sorted. It is written by hand (see encoder),
// with the bytes marshal's reflection encoder would write.
func Encode(recs []Record) ([]byte, error) { return encodeRecords(recs) }

// encodeRecords encodes recs.
func encodeRecords(recs []Record) ([]byte, error) {
	e := getEncoder()
	defer putEncoder(e)
	e.records(recs)
	b, err := e.bytes()
	if err != nil {
		return nil, fmt.Errorf("encode event: %w", err)
	}
	return b, nil
}

// Decode decodes an event payload and checks every record's kind, version
// and body. Errors are *DecodeError.
func Decode(payload []byte) ([]Record, error) {
	var recs []Record
	if err := unmarshal(payload, &recs); err != nil {
		return nil, &DecodeError{Err: err}
	}
	if len(recs) == 0 {
		return nil, &DecodeError{Err: errors.New("empty event")}
	}
	for i, r := range recs {
		if err := r.check(); err != nil {
			return nil, &DecodeError{Err: fmt.Errorf("record %d: %w", i, err)}
		}
	}
	return recs, nil
}

func unmarshal(data []byte, v any) error {
	// Events and snapshots are read by hand, which is several times faster;
	// what the hand decoder does not read, reflection decides.
	if decodeHand(data, v) {
		return nil
	}
	// Walk the structure first: msgpack v5.4 allocates a slice of structs at
	// its declared length, so a corrupt header could ask for gigabytes.
	// Skip reads without allocating by declared lengths; once it has covered
	// the payload, every length is backed by bytes that are really there.
	walk := msgpack.NewDecoder(bytes.NewReader(data))
	if err := walk.Skip(); err != nil {
		return err
	}
	if _, err := walk.PeekCode(); err == nil {
		return errors.New("trailing bytes")
	}
	dec := msgpack.NewDecoder(bytes.NewReader(data))
	dec.UseLooseInterfaceDecoding(true)
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.PeekCode(); err == nil {
		return errors.New("trailing bytes")
	}
	return nil
}

// marshal encodes v by reflection, in the format of the stored records:
// sorted map keys, ints that keep their width. Encode and Snapshot write
// the same bytes by hand.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	enc.SetSortMapKeys(true)
	enc.UseCompactInts(false) // ints keep their signedness: int64 reads back as int64
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (r Record) check() error {
	if r.V < 1 || r.V > SchemaVersion {
		return fmt.Errorf("%w: %q version %d", ErrUnknownKind, r.Kind, r.V)
	}
	var ok bool
	switch r.Kind {
	case KindCheckpoint:
		ok = r.Checkpoint != nil && r.Checkpoint.ID != ""
		if ok {
			for _, d := range r.Checkpoint.Values {
				if d.Op != OpSet && d.Op != OpAppend && d.Op != OpClear {
					return fmt.Errorf("checkpoint %s channel %q: unknown op %q", r.Checkpoint.ID, d.Channel, d.Op)
				}
			}
		}
	case KindWrites:
		ok = r.Writes != nil && r.Writes.CheckpointID != ""
	case KindSeed:
		ok = r.Seed != nil
	case KindTombstone:
		ok = r.Tombstone != nil
	case KindRollback:
		ok = r.Rollback != nil
	case KindLease:
		ok = r.Lease != nil
	default:
		return fmt.Errorf("%w: %q", ErrUnknownKind, r.Kind)
	}
	if !ok {
		return fmt.Errorf("%q record without its body", r.Kind)
	}
	return nil
}
