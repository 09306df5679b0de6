package runner_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/natsembed/natstest"
	"github.com/jetgraph/jetgraph/runner"
	"github.com/jetgraph/jetgraph/runner/examples"
	"github.com/jetgraph/jetgraph/saver/natsjs"
)

// TestOutboxStrandsNoThread plays a runner that dies at the two worst
// instants, after storing a task's writes but before committing the step,
// and after committing a step but before publishing its tasks, and checks
// that a runner started afterwards finishes both threads from the event
// log alone.
func TestOutboxStrandsNoThread(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	_, js := natstest.Server(t)
	s, err := natsjs.New(ctx, js, natsjs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	g, err := examples.FanOut(graph.WithCheckpointer(s))
	if err != nil {
		t.Fatal(err)
	}
	r, err := runner.New(ctx, runner.Config{JetStream: js, Saver: s, Graphs: []runner.Graph{g}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	d, err := runner.NewDispatcher(ctx, js, s, runner.Names{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	client, err := examples.FanOut(graph.WithCheckpointer(s), graph.WithDispatcher(d))
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := js.Consumer(ctx, "JETGRAPH_TASKS", "jetgraph-runners")
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		out examples.FanState
		err error
	}
	in := examples.FanState{Seed: 5, Rounds: 1}
	want := localRun(t, in)
	results := map[string]chan result{}
	for _, thread := range []string{"died before commit", "died before publish"} {
		ch := make(chan result, 1)
		results[thread] = ch
		go func() {
			out, err := client.Invoke(ctx, in, graph.Config{ThreadID: thread})
			ch <- result{out, err}
		}()
		// The dying runner takes the thread's first task (split) off the queue.
		m, err := tasks.Next(jetstream.FetchContext(ctx))
		if err != nil {
			t.Fatal(err)
		}
		var tm struct{ Thread, Checkpoint, Task string }
		if err := json.Unmarshal(m.Data(), &tm); err != nil {
			t.Fatal(err)
		}
		if tm.Thread != thread {
			t.Fatalf("task of thread %q, want %q", tm.Thread, thread)
		}
		cfg := graph.Config{ThreadID: tm.Thread, CheckpointID: tm.Checkpoint}
		if _, err := g.RunTask(ctx, cfg, tm.Task); err != nil {
			t.Fatal(err)
		}
		if thread == "died before publish" {
			st, err := g.Advance(ctx, cfg)
			if err != nil || !st.Committed {
				t.Fatalf("advance: %+v, %v", st, err)
			}
		}
		if err := m.Ack(); err != nil { // and dies: nothing else of it is left
			t.Fatal(err)
		}
	}
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := r.Stop(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	for thread, ch := range results {
		res := <-ch
		if res.err != nil {
			t.Fatalf("%s: %v", thread, res.err)
		}
		if !reflect.DeepEqual(res.out, want) {
			t.Fatalf("%s: ended in %+v, want %+v", thread, res.out, want)
		}
	}
}

// TestStopDrainsTasksInFlight stops a runner while a node runs: Stop waits
// for the node, and the task's writes are stored.
func TestStopDrainsTasksInFlight(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	_, js := natstest.Server(t)
	s, err := natsjs.New(ctx, js, natsjs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	started, release := make(chan struct{}), make(chan struct{})
	b := graph.New[examples.DurableState]()
	b.AddNode("slow", func(context.Context, examples.DurableState) (examples.DurableState, error) {
		close(started)
		<-release
		return examples.DurableState{Sent: true}, nil
	})
	b.AddEdge(graph.START, "slow")
	b.AddEdge("slow", graph.END)
	opts := []graph.Option{graph.WithCheckpointer(s), graph.WithName("slow")}
	g, err := b.Compile(opts...)
	if err != nil {
		t.Fatal(err)
	}
	r, err := runner.New(ctx, runner.Config{JetStream: js, Saver: s, Graphs: []runner.Graph{g}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	d, err := runner.NewDispatcher(ctx, js, s, runner.Names{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	client, err := b.Compile(append(opts, graph.WithDispatcher(d))...)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := client.Invoke(ctx, examples.DurableState{To: "x"}, graph.Config{ThreadID: "drain"})
		done <- err
	}()
	<-started
	stopped := make(chan error, 1)
	go func() { stopped <- r.Stop(ctx) }()
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned while a node ran: %v", err)
	case err := <-done:
		t.Fatalf("Invoke returned while its node ran: %v", err)
	default:
	}
	close(release)
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if r.Ready() {
		t.Fatal("a stopped runner reports ready")
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	snap, err := client.GetState(ctx, graph.Config{ThreadID: "drain"})
	if err != nil || !snap.Values.Sent || len(snap.Next) != 0 {
		t.Fatalf("after drain: %+v, %v; want the run ended with sent", snap.Values, err)
	}
}

// TestInvokeHonoursItsDeadlineAndResumeFinishes dispatches a run while no
// runner runs: Invoke gives up at its context's deadline, with the input
// stored; once a runner starts, Resume waits for the run to end.
func TestInvokeHonoursItsDeadlineAndResumeFinishes(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	_, js := natstest.Server(t)
	s, err := natsjs.New(ctx, js, natsjs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	g, err := examples.FanOut(graph.WithCheckpointer(s))
	if err != nil {
		t.Fatal(err)
	}
	r, err := runner.New(ctx, runner.Config{JetStream: js, Saver: s, Graphs: []runner.Graph{g}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	d, err := runner.NewDispatcher(ctx, js, s, runner.Names{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	client, err := examples.FanOut(graph.WithCheckpointer(s), graph.WithDispatcher(d))
	if err != nil {
		t.Fatal(err)
	}
	in := examples.FanState{Seed: 9, Rounds: 2}
	cfg := graph.Config{ThreadID: "late runner"}
	short, cancelShort := context.WithTimeout(ctx, 2*time.Second) // long enough to store the input on a loaded machine
	defer cancelShort()
	if _, err := client.Invoke(short, in, cfg); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("invoke with no runner: %v, want the deadline", err)
	}
	snap, err := client.GetState(ctx, cfg)
	if err != nil || snap.Metadata.Step != 0 || len(snap.Next) != 1 || snap.Next[0] != "split" {
		t.Fatalf("after the deadline: step %d next %v (%v); want step 0 stored with split next", snap.Metadata.Step, snap.Next, err)
	}
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := r.Stop(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	got, err := client.Resume(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if want := localRun(t, in); !reflect.DeepEqual(got, want) {
		t.Fatalf("resumed run ended in %+v, want %+v", got, want)
	}
}

// TestHungNodeFailsItsRunAfterTaskTimeout runs a node that never returns
// on its own: each run ends at TaskTimeout, and after MaxDeliver runs the
// failure is recorded and the dispatched Invoke returns it.
func TestHungNodeFailsItsRunAfterTaskTimeout(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	_, js := natstest.Server(t)
	s, err := natsjs.New(ctx, js, natsjs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	b := graph.New[examples.DurableState]()
	b.AddNode("hang", func(ctx context.Context, _ examples.DurableState) (examples.DurableState, error) {
		<-ctx.Done()
		return examples.DurableState{}, ctx.Err()
	})
	b.AddEdge(graph.START, "hang")
	b.AddEdge("hang", graph.END)
	opts := []graph.Option{graph.WithCheckpointer(s), graph.WithName("hang")}
	g, err := b.Compile(opts...)
	if err != nil {
		t.Fatal(err)
	}
	r, err := runner.New(ctx, runner.Config{JetStream: js, Saver: s, Graphs: []runner.Graph{g}, Logger: slog.New(slog.DiscardHandler),
		TaskTimeout: 100 * time.Millisecond, MaxDeliver: 2, RetryDelay: time.Millisecond})
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
	client, err := b.Compile(append(opts, graph.WithDispatcher(d))...)
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.Invoke(ctx, examples.DurableState{To: "x"}, graph.Config{ThreadID: "hung"})
	var ne *graph.NodeError
	if !errors.As(err, &ne) || ne.Node != "hang" || !strings.Contains(err.Error(), "deadline exceeded") {
		t.Fatalf("hung run: %v, want a *graph.NodeError of node hang, past its deadline", err)
	}
}
