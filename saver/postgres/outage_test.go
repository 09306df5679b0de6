package postgres_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/internal/pgtest"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/postgres"
)

// A database that goes away (killed, as in a crash) makes writes and reads
// fail with an error instead of hanging; once it is back, the same saver
// goes on, every committed checkpoint is there and nothing of the failed
// write is.
func TestServerGoingAwayIsAnErrorAndLosesNothing(t *testing.T) {
	t.Parallel()
	if os.Getenv("TEST_DATABASE_URL") != "" {
		t.Skip("needs a server of its own to kill; TEST_DATABASE_URL names a shared one")
	}
	pgtest.URL(t) // skips, or fails in CI, without a local PostgreSQL
	srv, err := pgtest.StartCrashSafe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Error(err)
		}
	})
	s, err := postgres.Connect(t.Context(), srv.URL(), postgres.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	first := put(t, s, "t", "", input, "one")
	head := put(t, s, "t", first.CheckpointID, loop(0), "two")

	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	lost := checkpoint(head.CheckpointID, "lost")
	if _, err := s.Put(ctx, saver.PutOp{Config: head, Checkpoint: lost, Metadata: loop(1), NewVersions: map[string]uint64{"v": 1}}); err == nil {
		t.Fatal("put with the database gone succeeded")
	}
	if _, err := s.GetTuple(ctx, saver.Config{ThreadID: "t"}); err == nil {
		t.Fatal("a read with the database gone must not answer from a cache it cannot check")
	}
	if ctx.Err() != nil {
		t.Fatal("calls hung until the test's deadline")
	}

	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetTuple(t.Context(), saver.Config{ThreadID: "t"})
	if err != nil {
		t.Fatalf("the saver does not recover once the database is back: %v", err)
	}
	if got.Config != head || string(got.Checkpoint.ChannelValues["v"]) != "two" {
		t.Fatalf("head after the outage: %+v %q, want %+v \"two\"", got.Config, got.Checkpoint.ChannelValues["v"], head)
	}
	if _, err := s.GetTuple(t.Context(), saver.Config{ThreadID: "t", CheckpointID: lost.ID}); !errors.Is(err, saver.ErrNotFound) {
		t.Fatalf("the failed put left a checkpoint: %v", err)
	}
	put(t, s, "t", head.CheckpointID, loop(1), "three") // and writes go on
}
