package natsjs_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/natsembed"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/natsjs"
	saveropen "github.com/jetgraph/jetgraph/saver/open"
)

func TestTailYieldsEachCommitAsItLands(t *testing.T) {
	t.Parallel()
	s, _, _ := setup(t)
	chat(t, s, "t", 1, 10) // a checkpoint and a write: sequences 1, 2
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	got := make(chan uint64, 8)
	go func() {
		defer close(got)
		n := 0
		for ev, err := range s.Tail(ctx, "t", 1) {
			if err != nil {
				t.Error(err)
				return
			}
			got <- ev.Seq
			if n++; n == 3 {
				return
			}
		}
	}()
	chat(t, s, "t", 2, 10) // a checkpoint, a write, a checkpoint
	var seqs []uint64
	for seq := range got {
		seqs = append(seqs, seq)
	}
	if len(seqs) != 3 || seqs[0] != 2 || seqs[1] <= seqs[0] || seqs[2] <= seqs[1] {
		t.Fatalf("tail yielded %v, want three increasing sequences from 2", seqs)
	}
}

func TestDeletePurgesAllButTheTombstone(t *testing.T) {
	t.Parallel()
	s, _, _ := setupProjected(t)
	ctx := t.Context()
	chat(t, s, "doomed", 50, 100)
	chat(t, s, "kept", 3, 10)
	if err := s.DeleteThread(ctx, "doomed"); err != nil {
		t.Fatal(err)
	}
	if n := events(t, s, "doomed"); n != 1 {
		t.Fatalf("%d events left of a deleted thread, want the tombstone only", n)
	}
	if err := s.Projector().CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	b, _, err := s.Snapshots().Load(ctx, "doomed")
	if err != nil || len(b) > 200 {
		t.Fatalf("snapshot of a deleted thread holds %d bytes (%v), want an empty thread", len(b), err)
	}
	if n := events(t, s, "kept"); n != 4 {
		t.Fatalf("other thread has %d events, want 4", n)
	}
}

func TestEmbeddedReusesItsDirectory(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	ctx := t.Context()
	s, err := saveropen.Embedded(ctx, dir, natsjs.Config{})
	closeFn := s.Close
	if err != nil {
		t.Fatal(err)
	}
	want := chat(t, s, "t", 3, 10)
	if err := closeFn(ctx); err != nil {
		t.Fatal(err)
	}
	s, err = saveropen.Embedded(ctx, dir, natsjs.Config{})
	closeFn = s.Close
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn(context.WithoutCancel(ctx)) //nolint:errcheck // checked above
	tu, err := s.GetTuple(ctx, saver.Config{ThreadID: "t"})
	if err != nil || tu.Config != want[2] {
		t.Fatalf("after reopening: %v, %v; want %v", tu, err, want[2])
	}
}

func TestConnectDialsAURL(t *testing.T) {
	t.Parallel()
	srv, err := natsembed.Start(t.Context(), natsembed.Options{Dir: t.TempDir(), Listen: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	s, err := natsjs.Connect(t.Context(), srv.ClientURL(), isolated(1))
	if err != nil {
		t.Fatal(err)
	}
	want := chat(t, s, "t", 2, 10)
	tu, err := s.GetTuple(t.Context(), saver.Config{ThreadID: "t"})
	if err != nil || tu.Config != want[1] {
		t.Fatalf("latest: %v, %v", tu, err)
	}
	if err := s.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
}
