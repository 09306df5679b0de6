package event

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/saver"
)

// longThreadSnapshot is the snapshot of a thread of 3*turns checkpoints,
// each appending 100 bytes to a messages channel.
func longThreadSnapshot(tb testing.TB, turns int) []byte {
	t := NewThread("long")
	msgs := []byte{}
	parent := ""
	for i := range 3 * turns {
		msgs = append(msgs, bytes.Repeat([]byte{'m'}, 100)...)
		cp := saver.Checkpoint{ID: saver.NewCheckpointID(parent), TS: time.Unix(1700000000, 0),
			ChannelValues:   map[string][]byte{"messages": msgs[:len(msgs):len(msgs)]},
			ChannelVersions: map[string]uint64{"messages": uint64(i + 1), "branch:to:reply": uint64(i)},
			VersionsSeen:    map[string]map[string]uint64{"reply": {"branch:to:reply": uint64(i)}}}
		recs, _, err := t.PlanPut(saver.Config{ThreadID: "long", CheckpointID: parent}, cp,
			saver.Metadata{Source: saver.SourceLoop, Step: i, Parents: map[string]string{}, RunID: fmt.Sprint("run", i/3)}, map[string]uint64{"messages": 1})
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := Encode(recs); err != nil {
			tb.Fatal(err)
		}
		t.Settle(t.Seq+1, recs)
		parent = cp.ID
	}
	b, err := t.Snapshot()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// BenchmarkRestore compares the hand decoder of snapshots with the
// reflection decoder, and times a whole Restore.
func BenchmarkRestore(b *testing.B) {
	snap := longThreadSnapshot(b, 3000)
	b.Logf("snapshot %d bytes", len(snap))
	b.Run("reflection", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var s snapshot
			if err := reflectDecode(snap, &s); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("hand", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var s snapshot
			if !decodeHand(snap, &s) {
				b.Fatal("gave up")
			}
		}
	})
	b.Run("restore", func(b *testing.B) {
		for b.Loop() {
			if _, err := Restore(snap); err != nil {
				b.Fatal(err)
			}
		}
	})
}
