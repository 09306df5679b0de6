package runner_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/natsembed/natstest"
	"github.com/jetgraph/jetgraph/runner"
	"github.com/jetgraph/jetgraph/runner/examples"
	"github.com/jetgraph/jetgraph/saver/memory"
	"github.com/jetgraph/jetgraph/saver/natsjs"
)

func TestMain(m *testing.M) { os.Exit(natstest.Main(m)) }

type env struct {
	js     jetstream.JetStream
	saver  *natsjs.Saver
	client *graph.Graph[examples.FanState]
	m      *runner.Metrics
}

// setup starts a server, n runners hosting the fan-out graph, and a client
// that dispatches to them.
func setup(t *testing.T, runners int, cfg runner.Config) *env {
	t.Helper()
	ctx := t.Context()
	_, js := natstest.Server(t)
	s, err := natsjs.New(ctx, js, natsjs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	e := &env{js: js, saver: s, m: runner.NewMetrics(nil)}
	for range runners {
		g, err := examples.FanOut(graph.WithCheckpointer(s))
		if err != nil {
			t.Fatal(err)
		}
		c := cfg
		c.JetStream, c.Saver, c.Graphs, c.Metrics = js, s, []runner.Graph{g}, e.m
		c.Logger = slog.New(slog.DiscardHandler)
		r, err := runner.New(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := r.Stop(sctx); err != nil {
				t.Error(err)
			}
		})
	}
	d, err := runner.NewDispatcher(ctx, js, s, cfg.Names, 0)
	if err != nil {
		t.Fatal(err)
	}
	if e.client, err = examples.FanOut(graph.WithCheckpointer(s), graph.WithDispatcher(d)); err != nil {
		t.Fatal(err)
	}
	return e
}

func localRun(t *testing.T, in examples.FanState) examples.FanState {
	t.Helper()
	g, err := examples.FanOut(graph.WithCheckpointer(memory.New()))
	if err != nil {
		t.Fatal(err)
	}
	out, err := g.Invoke(t.Context(), in, graph.Config{ThreadID: "local"})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDispatchedRunsEndInTheLocalState(t *testing.T) {
	t.Parallel()
	e := setup(t, 2, runner.Config{Concurrency: 4})
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			in := examples.FanState{Seed: i, Rounds: 2}
			got, err := e.client.Invoke(ctx, in, graph.Config{ThreadID: fmt.Sprintf("thread %d", i)})
			if err != nil {
				t.Error(err)
				return
			}
			if want := localRun(t, in); !reflect.DeepEqual(got, want) {
				t.Errorf("thread %d ended in %+v, a local run in %+v", i, got, want)
			}
		})
	}
	wg.Wait()
	if n := testutil.ToFloat64(e.m.StepsCommitted); n != 10*6 {
		t.Errorf("runners committed %v steps, want %d", n, 10*6)
	}
}

func TestPoisonTaskFailsItsThreadOnly(t *testing.T) {
	t.Parallel()
	e := setup(t, 2, runner.Config{Concurrency: 2, MaxDeliver: 3, RetryDelay: 10 * time.Millisecond})
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	_, err := e.client.Invoke(ctx, examples.FanState{Seed: -1}, graph.Config{ThreadID: "poison"})
	var ne *graph.NodeError
	if !errors.As(err, &ne) || ne.Node != "b" {
		t.Fatalf("poison run: %v, want a *graph.NodeError of node b", err)
	}
	snap, err := e.client.GetState(ctx, graph.Config{ThreadID: "poison"})
	if err != nil {
		t.Fatal(err)
	}
	recorded := false
	for _, ti := range snap.Tasks {
		recorded = recorded || (ti.Name == "b" && ti.Error != "")
	}
	if !recorded {
		t.Fatalf("GetState tasks %+v: no error recorded on b", snap.Tasks)
	}
	in := examples.FanState{Seed: 3}
	got, err := e.client.Invoke(ctx, in, graph.Config{ThreadID: "healthy"})
	if err != nil {
		t.Fatal(err)
	}
	if want := localRun(t, in); !reflect.DeepEqual(got, want) {
		t.Fatalf("healthy thread ended in %+v, want %+v", got, want)
	}
	if f, r := testutil.ToFloat64(e.m.TasksFailed), testutil.ToFloat64(e.m.TasksRetried); f != 1 || r != 2 {
		t.Fatalf("metrics: %v tasks failed, %v retried; want 1 and 2", f, r)
	}
}
