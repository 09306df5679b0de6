package projector_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/eventlog"
	"github.com/jetgraph/jetgraph/natsembed/natstest"
	"github.com/jetgraph/jetgraph/projector"
	"github.com/jetgraph/jetgraph/saver"
)

// forge writes, on a connection of its own, a well-formed snapshot of the
// thread at seq holding data, as a client that is not jetgraph could: the
// chunk and a manifest whose size and checksum match it.
func forge(t *testing.T, kv jetstream.KeyValue, thread string, seq uint64, data []byte) {
	t.Helper()
	ctx := t.Context()
	tok, err := eventlog.EncodeThread(thread)
	if err != nil {
		t.Fatal(err)
	}
	at := strconv.FormatUint(seq, 10)
	if _, err := kv.Put(ctx, "c."+tok+"."+at+".0", data); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	m, _ := json.Marshal(map[string]any{"seq": seq, "size": len(data), "chunks": 1, "sha256": hex.EncodeToString(sum[:])})
	if _, err := kv.Put(ctx, "m."+tok, m); err != nil {
		t.Fatal(err)
	}
}

// A manifest forged by another client at a sequence the thread never
// reached is never served, and the next Save replaces it and drops its
// chunks: it does not stop the thread from getting snapshots.
func TestForgedFutureManifestIsIgnoredAndReplaced(t *testing.T) {
	t.Parallel()
	srv, js := natstest.Server(t)
	l, err := eventlog.New(t.Context(), js, eventlog.Config{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := projector.OpenSnapshots(t.Context(), l, projector.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	reach(t, l, "victim", 3)
	if err := s.Save(ctx, "victim", 2, []byte("real at 2")); err != nil {
		t.Fatal(err)
	}

	raw := natstest.Connect(t, srv) // another client on the same server
	kv, err := raw.KeyValue(ctx, "jetgraph-snapshots")
	if err != nil {
		t.Fatal(err)
	}
	const far = uint64(1) << 62
	forge(t, kv, "victim", far, []byte("FORGED"))

	got, at, err := s.Load(ctx, "victim")
	if !errors.Is(err, saver.ErrCorrupt) || got != nil || at != 0 {
		t.Fatalf("load of a forged far-future manifest: %q at %d, %v; want nothing and saver.ErrCorrupt", got, at, err)
	}
	if err := s.Save(ctx, "victim", 3, []byte("real at 3")); err != nil {
		t.Fatal(err)
	}
	got, at, err = s.Load(ctx, "victim")
	if err != nil || at != 3 || string(got) != "real at 3" {
		t.Fatalf("load after save: %q at %d, %v; want the snapshot at 3", got, at, err)
	}
	if holds(rawBucket(t, s), "FORGED") {
		t.Fatal("the forged snapshot's chunk is still in the bucket")
	}
	// A Truncate replaces one just as well.
	forge(t, kv, "victim", far, []byte("FORGED"))
	reach(t, l, "victim", 4)
	last, _ := l.LastSeq(ctx, "victim")
	if err := s.Truncate(ctx, "victim", last, []byte("truncated")); err != nil {
		t.Fatal(err)
	}
	if got, at, err := s.Load(ctx, "victim"); err != nil || at != last || string(got) != "truncated" {
		t.Fatalf("load after truncate: %q at %d, %v; want the truncation's at %d", got, at, err, last)
	}
	if holds(rawBucket(t, s), "FORGED") {
		t.Fatal("the forged snapshot's chunk is still in the bucket after a truncate")
	}
}

// Manifests no Save writes are corrupt, and are replaced; a forged size
// does not make Load allocate it.
func TestImpossibleManifestsAreCorrupt(t *testing.T) {
	t.Parallel()
	l, s := setup(t, projector.Config{})
	ctx := t.Context()
	reach(t, l, "t", 5)
	tok, _ := eventlog.EncodeThread("t")
	if _, err := s.KeyValue().Put(ctx, "c."+tok+".2.0", []byte("FORGED")); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{
		`{"seq":0,"size":6,"chunks":1,"sha256":"x"}`,                   // no event has sequence 0
		`{"seq":2,"size":6,"chunks":0,"sha256":"x"}`,                   // every snapshot has a chunk
		`{"seq":2,"size":-1,"chunks":1,"sha256":"x"}`,                  // negative size
		`{"seq":2,"size":6,"chunks":1000,"sha256":"x"}`,                // more chunks than 6 bytes fill
		`{"seq":2,"size":4611686018427387904,"chunks":1,"sha256":"x"}`, // 4 EiB: must not be allocated
		`{"seq":2,"size":3,"chunks":1,"sha256":"x"}`,                   // a chunk longer than the size
	} {
		if _, err := s.KeyValue().Put(ctx, "m."+tok, []byte(m)); err != nil {
			t.Fatal(err)
		}
		if got, at, err := s.Load(ctx, "t"); !errors.Is(err, saver.ErrCorrupt) || got != nil {
			t.Fatalf("load with manifest %s: %q at %d, %v; want saver.ErrCorrupt", m, got, at, err)
		}
	}
	if err := s.Save(ctx, "t", 4, []byte("state")); err != nil {
		t.Fatal(err)
	}
	if got, at, err := s.Load(ctx, "t"); err != nil || at != 4 || !bytes.Equal(got, []byte("state")) {
		t.Fatalf("load after save: %q at %d, %v", got, at, err)
	}
}
