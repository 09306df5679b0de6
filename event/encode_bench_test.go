package event

import (
	"bytes"
	"testing"
)

// commitRecords is what a one-node graph invoke commits: a checkpoint with
// a few versions and one ~120-byte channel delta, and the task's writes.
func commitRecords() []Record {
	cp := &CheckpointRecord{
		ID: "1f0c6d2e-8b1a-6f3e-8001-4a2b3c4d5e6f", ParentID: "1f0c6d2e-8b1a-6f3e-8000-4a2b3c4d5e6f", TS: 1732870000123456789,
		Versions:     Versions{"messages": 4, "reply": 3, "branch:to:reply": 2},
		VersionsSeen: SeenVersions{"reply": {"branch:to:reply": 1}, "__input__": {}},
		Metadata:     MetadataRecord{Source: "loop", Step: 1, Parents: map[string]string{"": "1f0c6d2e-8b1a-6f3e-8000-4a2b3c4d5e6f"}, RunID: "1f0c6d2e-8b1a-6f3e-7fff-4a2b3c4d5e6f"},
		Values:       []ChannelDelta{{Channel: "messages", Op: OpAppend, Data: bytes.Repeat([]byte("m"), 120)}},
	}
	return []Record{
		{Kind: KindCheckpoint, V: SchemaVersion, Checkpoint: cp},
		{Kind: KindWrites, V: SchemaVersion, Writes: &WritesRecord{CheckpointID: cp.ID,
			Writes: []WriteRecord{{TaskID: "5b1c2d3e-0000-4000-8000-0123456789ab", Idx: 0, Channel: "messages", Value: bytes.Repeat([]byte("w"), 80)}}}},
	}
}

// BenchmarkEncodeCheckpoint compares the hand-written encoder with the
// reflection encoder it replaced on a typical commit.
func BenchmarkEncodeCheckpoint(b *testing.B) {
	recs := commitRecords()
	b.Run("reflection", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := reflectEncode(recs); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("hand", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Encode(recs); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestCommitRecordsEncodeAsBefore(t *testing.T) {
	t.Parallel()
	requireSameEncoding(t, commitRecords())
}
