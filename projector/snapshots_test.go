package projector_test

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"github.com/jetgraph/jetgraph/eventlog"
	"github.com/jetgraph/jetgraph/natsembed/natstest"
	"github.com/jetgraph/jetgraph/projector"
	"github.com/jetgraph/jetgraph/saver"
)

func TestMain(m *testing.M) { os.Exit(natstest.Main(m)) }

func setup(t *testing.T, cfg projector.Config) (*eventlog.Log, *projector.Snapshots) {
	t.Helper()
	_, js := natstest.Server(t)
	l, err := eventlog.New(t.Context(), js, eventlog.Config{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := projector.OpenSnapshots(t.Context(), l, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return l, s
}

// reach appends events to the thread until its newest is at seq or later: a
// snapshot is only possible at a sequence the thread has reached.
func reach(t *testing.T, l *eventlog.Log, thread string, seq uint64) {
	t.Helper()
	ctx := t.Context()
	last, err := l.LastSeq(ctx, thread)
	for err == nil && last < seq {
		last, err = l.Append(ctx, thread, last, []byte("event"))
	}
	if err != nil {
		t.Fatal(err)
	}
}

func TestSnapshotLargerThanAMessageIsChunked(t *testing.T) {
	t.Parallel()
	l, s := setup(t, projector.Config{})
	ctx := t.Context()
	// Larger than the server's max payload: it only fits in chunks.
	big := bytes.Repeat([]byte("0123456789abcdef"), int(l.JetStream().Conn().MaxPayload()/16)+1000)
	reach(t, l, "t.1", 7)
	if err := s.Save(ctx, "t.1", 7, big); err != nil {
		t.Fatal(err)
	}
	got, seq, err := s.Load(ctx, "t.1")
	if err != nil || seq != 7 || !bytes.Equal(got, big) {
		t.Fatalf("load: %d bytes at %d, %v; want %d bytes at 7", len(got), seq, err, len(big))
	}
}

func TestReplacedSnapshotLeavesNothingBehind(t *testing.T) {
	t.Parallel()
	l, s := setup(t, projector.Config{ChunkBytes: 1024})
	ctx := t.Context()
	reach(t, l, "t", 9)
	if err := s.Save(ctx, "t", 5, bytes.Repeat([]byte("a"), 10_000)); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx, "t", 9, []byte("small")); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx, "t", 8, []byte("older, ignored")); err != nil {
		t.Fatal(err)
	}
	got, seq, err := s.Load(ctx, "t")
	if err != nil || seq != 9 || string(got) != "small" {
		t.Fatalf("load: %q at %d, %v", got, seq, err)
	}
	info, err := s.Stream().Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 2 { // the manifest and one chunk
		t.Fatalf("bucket holds %d messages, want 2: replaced chunks were kept", info.State.Msgs)
	}
}

func TestMissingSnapshotIsNil(t *testing.T) {
	t.Parallel()
	_, s := setup(t, projector.Config{})
	got, seq, err := s.Load(t.Context(), "nobody")
	if err != nil || got != nil || seq != 0 {
		t.Fatalf("load of a thread without snapshot: %v %d %v", got, seq, err)
	}
}

// A manifest that does not parse makes Load fail with saver.ErrCorrupt,
// and the next Save replaces it.
func TestUnreadableManifestIsCorruptAndReplaced(t *testing.T) {
	t.Parallel()
	l, s := setup(t, projector.Config{})
	ctx := t.Context()
	reach(t, l, "t", 3)
	tok, err := eventlog.EncodeThread("t")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.KeyValue().Put(ctx, "m."+tok, []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Load(ctx, "t"); !errors.Is(err, saver.ErrCorrupt) {
		t.Fatalf("load with an unreadable manifest: %v, want saver.ErrCorrupt", err)
	}
	if err := s.Save(ctx, "t", 3, []byte("state")); err != nil {
		t.Fatalf("save over an unreadable manifest: %v", err)
	}
	got, seq, err := s.Load(ctx, "t")
	if err != nil || string(got) != "state" || seq != 3 {
		t.Fatalf("load after save: %q %d %v", got, seq, err)
	}
}
