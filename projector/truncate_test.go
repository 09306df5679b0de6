package projector_test

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/jetgraph/jetgraph/eventlog"
	"github.com/jetgraph/jetgraph/projector"
)

// rawBucket returns every message the bucket's stream holds, whatever its
// key, as stored.
func rawBucket(t *testing.T, s *projector.Snapshots) [][]byte {
	t.Helper()
	ctx := t.Context()
	info, err := s.Stream().Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && seq > 0; seq++ {
		m, err := s.Stream().GetMsg(ctx, seq)
		if err != nil {
			continue // purged
		}
		out = append(out, append([]byte(m.Subject+" "), m.Data...))
	}
	return out
}

func holds(msgs [][]byte, marker string) bool {
	for _, m := range msgs {
		if bytes.Contains(m, []byte(marker)) {
			return true
		}
	}
	return false
}

// Truncate replaces the snapshot, and drops chunks of older snapshots that
// no manifest names (a writer that crashed mid-save left them); an older
// snapshot saved afterwards is refused.
func TestTruncateLeavesNothingOlderInTheBucket(t *testing.T) {
	t.Parallel()
	l, s := setup(t, projector.Config{ChunkBytes: 1024})
	ctx := t.Context()
	reach(t, l, "t", 9)
	secret := bytes.Repeat([]byte("SECRET-"), 1000) // several chunks
	if err := s.Save(ctx, "t", 5, secret); err != nil {
		t.Fatal(err)
	}
	tok, _ := eventlog.EncodeThread("t")
	if _, err := s.KeyValue().Put(ctx, "c."+tok+".3.0", []byte("SECRET-orphan")); err != nil {
		t.Fatal(err)
	}
	if !holds(rawBucket(t, s), "SECRET-") {
		t.Fatal("the bucket does not hold the snapshot: the search below proves nothing")
	}
	if err := s.Truncate(ctx, "t", 9, []byte("after")); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx, "t", 7, secret); err != nil { // a writer late with an older state
		t.Fatal(err)
	}
	if holds(rawBucket(t, s), "SECRET-") {
		t.Fatal("the bucket still holds data from before the truncation")
	}
	got, seq, err := s.Load(ctx, "t")
	if err != nil || seq != 9 || string(got) != "after" {
		t.Fatalf("load after truncate: %q at %d, %v", got, seq, err)
	}
}

// Writers saving older snapshots while a truncation runs never leave one
// behind: each either loses the manifest race and removes its chunks, or
// wins it before the truncation and is replaced.
func TestTruncateWinsOverConcurrentOlderSaves(t *testing.T) {
	t.Parallel()
	l, s := setup(t, projector.Config{ChunkBytes: 1024})
	ctx := t.Context()
	for round := range 5 {
		thread := fmt.Sprint("t", round)
		reach(t, l, thread, 100)
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Go(func() {
				for i := range 5 {
					seq := uint64(1 + w*5 + i) // all below 100
					if err := s.Save(ctx, thread, seq, bytes.Repeat([]byte("SECRET-"), 300)); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Go(func() {
			if err := s.Truncate(ctx, thread, 100, []byte("after")); err != nil {
				t.Error(err)
			}
		})
		wg.Wait()
		got, seq, err := s.Load(ctx, thread)
		if err != nil || seq != 100 || string(got) != "after" {
			t.Fatalf("round %d: snapshot %q at %d, %v; want the truncation's at 100", round, got, seq, err)
		}
	}
	if holds(rawBucket(t, s), "SECRET-") {
		t.Fatal("an older snapshot's chunks were left in the bucket")
	}
}
