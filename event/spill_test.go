package event

import (
	"bytes"
	"testing"

	"github.com/jetgraph/jetgraph/saver"
)

// Spill moves the largest inline values first, only as many as needed,
// never one under MinSpillBytes, and what it moved reads back from the
// blobs it names.
func TestSpillMovesTheLargestValuesFirst(t *testing.T) {
	t.Parallel()
	sizes := map[string]int{"a": 5000, "b": 3000, "c": 2000, "d": 500}
	values := map[string][]byte{}
	var deltas []ChannelDelta
	for _, ch := range []string{"a", "b", "c", "d"} {
		values[ch] = bytes.Repeat([]byte(ch), sizes[ch])
		deltas = append(deltas, ChannelDelta{Channel: ch, Op: OpSet, Data: values[ch]})
	}
	recs := []Record{{Kind: KindCheckpoint, V: SchemaVersion, Checkpoint: &CheckpointRecord{ID: "cp", Values: deltas}}}
	before, err := Encode(recs)
	must(t, err)

	if n := Spill(recs, 4000); n != 1 || recs[0].Checkpoint.Values[0].Blob != BlobKey(values["a"]) {
		t.Fatalf("spilling 4000 bytes moved %d values (a's key %q)", n, recs[0].Checkpoint.Values[0].Blob)
	}
	if n := Spill(recs, 1<<20); n != 2 {
		t.Fatalf("spilling everything moved %d more values, want b and c (d is under MinSpillBytes)", n)
	}
	if n := Spill(recs, 1<<20); n != 0 {
		t.Fatalf("nothing left to spill, yet %d moved", n)
	}
	blobs := Blobs(recs)
	if len(blobs) != 3 || recs[0].Checkpoint.Values[3].Blob != "" {
		t.Fatalf("%d blobs, d's key %q", len(blobs), recs[0].Checkpoint.Values[3].Blob)
	}
	after, err := Encode(recs)
	must(t, err)
	if len(after) >= len(before)-9000 {
		t.Fatalf("the event went from %d to %d bytes", len(before), len(after))
	}
	back, err := Decode(after)
	must(t, err)
	must(t, ResolveBlobs(back, func(key string) ([]byte, error) {
		if b, ok := blobs[key]; ok {
			return b, nil
		}
		return nil, saver.ErrNotFound
	}))
	for i, d := range back[0].Checkpoint.Values {
		got := d.Data
		if d.Blob != "" {
			got = d.blob
		}
		if !bytes.Equal(got, values[d.Channel]) {
			t.Fatalf("value %d (%s) reads back as %d bytes", i, d.Channel, len(got))
		}
	}
}
