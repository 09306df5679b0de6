package natsjs_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/eventlog"
	"github.com/jetgraph/jetgraph/natsembed"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/natsjs"
)

// A server that goes away makes reads and writes fail with an error, within
// the request timeout, and loses nothing that was acknowledged: a saver on
// the restarted server reads back every committed checkpoint and nothing of
// the write that failed.
func TestServerGoingAwayIsAnErrorAndLosesNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// A short timeout, so that the calls made while the server is gone end
	// soon; not so short that a loaded machine misses it with the server up.
	cfg := natsjs.Config{Log: eventlog.Config{Timeout: time.Second}}
	open := func() (*natsembed.Server, *natsjs.Saver, func()) {
		srv, err := natsembed.Start(t.Context(), natsembed.Options{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		js, nc, err := srv.JetStream()
		if err != nil {
			t.Fatal(err)
		}
		s, err := natsjs.New(t.Context(), js, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return srv, s, func() {
			_ = s.Close(context.Background()) // may fail: the server is gone
			nc.Close()
		}
	}

	srv, s, closeSaver := open()
	committed := chat(t, s, "t", 3, 100)
	want, err := s.GetTuple(t.Context(), saver.Config{ThreadID: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 40*time.Second)
	defer cancel()
	lost := saver.Checkpoint{ID: saver.NewCheckpointID(want.Config.CheckpointID), ChannelValues: map[string][]byte{"messages": []byte("never stored")}}
	start := time.Now()
	if _, err := s.Put(ctx, saver.PutOp{Config: want.Config, Checkpoint: lost, Metadata: saver.Metadata{Source: saver.SourceLoop}, NewVersions: map[string]uint64{"messages": 9}}); err == nil {
		t.Fatal("put with the server gone succeeded")
	}
	if _, err := s.GetTuple(ctx, saver.Config{ThreadID: "t"}); err == nil {
		t.Fatal("a read with the server gone must not answer from a cache it cannot check")
	}
	if waited := time.Since(start); ctx.Err() != nil {
		t.Fatalf("calls hung until the test's deadline (%v)", waited)
	}
	t.Logf("the failed calls took %v", time.Since(start))
	closeSaver()

	srv2, s2, closeSaver2 := open()
	defer func() { closeSaver2(); _ = srv2.Shutdown(context.Background()) }()
	got, err := s2.GetTuple(t.Context(), saver.Config{ThreadID: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Config != committed[len(committed)-1] || !bytes.Equal(got.Checkpoint.ChannelValues["messages"], want.Checkpoint.ChannelValues["messages"]) {
		t.Fatalf("after restart the head is %+v, want %+v with its values", got.Config, want.Config)
	}
	if _, err := s2.GetTuple(t.Context(), saver.Config{ThreadID: "t", CheckpointID: lost.ID}); !errors.Is(err, saver.ErrNotFound) {
		t.Fatalf("the failed write left a checkpoint behind: %v", err)
	}
}
