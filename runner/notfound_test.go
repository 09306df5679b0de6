package runner_test

import (
	"context"
	"log/slog"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/natsembed/natstest"
	"github.com/jetgraph/jetgraph/runner"
	"github.com/jetgraph/jetgraph/runner/examples"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/natsjs"
)

// behindSaver is the fault: a saver whose reads of a named checkpoint miss
// it the first few times, as a read served by a replica that is behind
// does (test/chaos saw it after a server restart).
type behindSaver struct {
	*natsjs.Saver
	misses atomic.Int64 // reads left to miss
}

func (b *behindSaver) GetTuple(ctx context.Context, cfg saver.Config) (*saver.Tuple, error) {
	if cfg.CheckpointID != "" && b.misses.Add(-1) >= 0 {
		return nil, &saver.NotFoundError{ThreadID: cfg.ThreadID, CheckpointNS: cfg.CheckpointNS, CheckpointID: cfg.CheckpointID}
	}
	return b.Saver.GetTuple(ctx, cfg)
}

// A runner whose read does not find a task's checkpoint runs the task
// again instead of dropping it: the checkpoint was stored before the task
// was published, and a dropped task would strand its thread (a Resume
// publishes it under the same message id, which the stream discards).
func TestTaskWhoseCheckpointIsNotFoundRunsAgain(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	_, js := natstest.Server(t)
	s, err := natsjs.New(ctx, js, natsjs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	behind := &behindSaver{Saver: s}
	behind.misses.Store(2)
	g, err := examples.FanOut(graph.WithCheckpointer(behind))
	if err != nil {
		t.Fatal(err)
	}
	r, err := runner.New(ctx, runner.Config{JetStream: js, Saver: s, Graphs: []runner.Graph{g}, Logger: slog.New(slog.DiscardHandler),
		MaxDeliver: 5, RetryDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := r.Stop(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	d, err := runner.NewDispatcher(ctx, js, s, runner.Names{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	client, err := examples.FanOut(graph.WithCheckpointer(s), graph.WithDispatcher(d))
	if err != nil {
		t.Fatal(err)
	}
	in := examples.FanState{Seed: 7, Rounds: 1}
	got, err := client.Invoke(ctx, in, graph.Config{ThreadID: "behind"})
	if err != nil {
		t.Fatalf("the thread whose first task reads missed its checkpoint: %v", err)
	}
	if want := localRun(t, in); !reflect.DeepEqual(got, want) {
		t.Fatalf("ended in %+v, a local run in %+v", got, want)
	}
	if n := behind.misses.Load(); n >= 0 {
		t.Fatalf("%d of the reads meant to miss were never made", n+1)
	}
}
