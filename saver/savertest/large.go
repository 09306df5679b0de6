package savertest

import (
	"bytes"
	"testing"

	"github.com/jetgraph/jetgraph/saver"
)

// MaxValueBytes is the largest channel value or write every saver stores.
const MaxValueBytes = 64 << 20

// RunLargeValues checks that a channel value and a pending write of
// MaxValueBytes each round-trip, and that the thread goes on afterwards. It
// is not part of Run: a backend whose storage can hold such values calls
// it from a test of its own.
func RunLargeValues(t *testing.T, newSaver NewSaver) {
	t.Run("ValuesOfMaxValueBytesRoundTrip", func(t *testing.T) {
		t.Parallel()
		s := newSaver(t)
		b := on(t, s, "large", "")
		big := bytes.Repeat([]byte("0123456789abcdef"), MaxValueBytes/16)
		big[0], big[len(big)/2], big[len(big)-1] = 'A', 'M', 'Z'
		cp := newCheckpoint("", map[string]string{"small": "s"}, 1)
		cp.ChannelValues["big"], cp.ChannelVersions["big"] = big, 1
		cfg, err := s.Put(ctx(t), saver.PutOp{Config: b.cfg(""), Checkpoint: cp, Metadata: meta(saver.SourceInput, -1), NewVersions: map[string]uint64{"big": 1, "small": 1}})
		must(t, err)
		write := bytes.Clone(big)
		write[1] = 'W'
		must(t, s.PutWrites(ctx(t), saver.WritesOp{Config: cfg, Writes: []saver.Write{{Channel: "big", Value: write}}, TaskID: "task"}))
		got := b.get(cfg.CheckpointID)
		if !bytes.Equal(got.Checkpoint.ChannelValues["big"], big) {
			t.Fatalf("a value of %d bytes read back as %d bytes, not equal", len(big), len(got.Checkpoint.ChannelValues["big"]))
		}
		if len(got.PendingWrites) != 1 || !bytes.Equal(got.PendingWrites[0].Value, write) {
			t.Fatalf("a write of %d bytes did not read back", len(write))
		}
		next := b.put(cfg.CheckpointID, meta(saver.SourceLoop, 0), map[string]string{"small": "t"})
		if got := b.get(next.CheckpointID).Checkpoint.ChannelValues["big"]; !bytes.Equal(got, big) {
			t.Fatal("the child does not carry the large value")
		}
	})
}
