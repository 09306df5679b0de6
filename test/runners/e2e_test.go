package runners_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/internal/natsproc"
	"github.com/jetgraph/jetgraph/natsembed"
	"github.com/jetgraph/jetgraph/runner"
	"github.com/jetgraph/jetgraph/runner/examples"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/memory"
	"github.com/jetgraph/jetgraph/saver/natsjs"
)

// cluster is a NATS server listening on loopback, the runner processes on
// it, and a client that dispatches fan-out runs to them.
type cluster struct {
	url     string
	saver   *natsjs.Saver
	client  *graph.Graph[examples.FanState]
	runners []*natsproc.Runner
	args    []string
}

func setup(t *testing.T, runners int, args ...string) *cluster {
	t.Helper()
	ctx := t.Context()
	var (
		url      string
		js       jetstream.JetStream
		nc       *nats.Conn
		err      error
		replicas = 1
	)
	if *onCluster {
		// nats-server processes, as the runners are: in the test binary,
		// -race reports nats-server v2.15.3's own race (natstest.Cluster).
		url, replicas = natsproc.URLs(natsproc.Start(t, 3)), 3
		if nc, err = nats.Connect(url, nats.MaxReconnects(-1), nats.Timeout(10*time.Second)); err != nil {
			t.Fatal(err)
		}
		if js, err = jetstream.New(nc); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--replicas", "3", "--log-replicas", "3")
	} else {
		srv, err := natsembed.Start(ctx, natsembed.Options{Dir: t.TempDir(), Listen: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { shutdown(t, srv.Shutdown) })
		url = srv.ClientURL()
		if js, nc, err = srv.JetStream(); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(nc.Close)
	cfg := natsjs.Config{}
	cfg.Log.Replicas = replicas
	s, err := natsjs.New(ctx, js, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	d, err := runner.NewDispatcher(ctx, js, s, runner.Names{}, replicas)
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{url: url, saver: s, args: args}
	if c.client, err = examples.FanOut(graph.WithCheckpointer(s), graph.WithDispatcher(d)); err != nil {
		t.Fatal(err)
	}
	for range runners {
		c.runners = append(c.runners, startRunner(t, c.url, args...))
	}
	return c
}

func shutdown(t *testing.T, stop func(context.Context) error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := stop(ctx); err != nil {
		t.Error(err)
	}
}

// local is the state a local run of in ends in.
func local(t *testing.T, in examples.FanState) examples.FanState {
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

// duplicateCommits counts the input and loop checkpoints of a thread that
// continue a checkpoint another one already continues, or repeat a step.
func duplicateCommits(t *testing.T, g *graph.Graph[examples.FanState], thread string) (dups, steps int) {
	t.Helper()
	children := map[string]int{}
	loopSteps := map[int]int{}
	for snap, err := range g.GetStateHistory(t.Context(), graph.Config{ThreadID: thread}, nil) {
		if err != nil {
			t.Fatal(err)
		}
		src := snap.Metadata.Source
		if src != saver.SourceLoop && src != saver.SourceInput {
			continue
		}
		parent := ""
		if snap.ParentConfig != nil {
			parent = snap.ParentConfig.CheckpointID
		}
		if children[parent]++; children[parent] > 1 {
			dups++
		}
		if src == saver.SourceLoop {
			steps++
			if loopSteps[snap.Metadata.Step]++; loopSteps[snap.Metadata.Step] > 1 {
				dups++
			}
		}
	}
	return dups, steps
}

// TestRunnersSurviveKills runs threads of the fan-out graph through three
// node-runner processes while SIGKILLing one at a time and restarting it,
// and checks that every thread ends in the state of a local run with one
// commit per step.
func TestRunnersSurviveKills(t *testing.T) {
	n, k := *threads, *kills
	const rounds = 2
	c := setup(t, 3, "--ack-wait", "2s", "--concurrency", "8", "--max-deliver", "5", "--retry-delay", "20ms")
	ctx, cancel := context.WithTimeout(t.Context(), 150*time.Second)
	defer cancel()

	var completed, stranded, wrong atomic.Int64
	progress := make(chan struct{}, n)
	var wg sync.WaitGroup
	parallel := 64
	if *onCluster {
		parallel = 8 // reads of a replicated stream each create a consumer (no direct get)
	}
	sem := make(chan struct{}, parallel)
	start := time.Now()
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			in := examples.FanState{Seed: i, Rounds: rounds, Work: 2}
			got, err := c.client.Invoke(ctx, in, graph.Config{ThreadID: fmt.Sprintf("thread-%d", i)})
			switch {
			case errors.Is(err, context.DeadlineExceeded):
				stranded.Add(1)
				st, serr := c.client.Status(context.Background(), graph.Config{ThreadID: fmt.Sprintf("thread-%d", i)})
				t.Errorf("thread %d: %v; its latest checkpoint: %+v %v", i, err, st, serr)
			case err != nil:
				wrong.Add(1)
				t.Errorf("thread %d: %v", i, err)
			case !reflect.DeepEqual(got, local(t, in)):
				wrong.Add(1)
				t.Errorf("thread %d ended in %+v, a local run in %+v", i, got, local(t, in))
			default:
				completed.Add(1)
			}
			progress <- struct{}{}
		})
	}

	// Kill a runner each time another 1/(k+1) of the threads finished, so
	// that every kill lands while threads are running.
	killed := 0
	done := 0
	for step := 1; step <= k; step++ {
		for done < step*n/(k+1) {
			select {
			case <-progress:
				done++
			case <-ctx.Done():
				t.Fatalf("waiting for progress: %v (%d of %d threads done)", ctx.Err(), done, n)
			}
		}
		i := rand.IntN(len(c.runners))
		if err := c.runners[i].Kill(); err != nil {
			t.Fatal(err)
		}
		killed++
		c.runners[i] = startRunner(t, c.url, c.args...)
	}
	wg.Wait()
	elapsed := time.Since(start)

	dups := 0
	for i := range n {
		d, steps := duplicateCommits(t, c.client, fmt.Sprintf("thread-%d", i))
		dups += d
		if want := 1 + 3*rounds; steps != want && !t.Failed() {
			t.Errorf("thread-%d: %d loop checkpoints, want %d", i, steps, want)
		}
	}
	fmt.Printf("runners: threads=%d runners=%d kills=%d completed=%d duplicate_commits=%d stranded=%d\n",
		n, len(c.runners), killed, completed.Load(), dups, stranded.Load())
	var redelivered, conflicts, steps float64
	for _, p := range c.runners {
		redelivered += metric(t, p, "jetgraph_runner_tasks_redelivered_total")
		conflicts += metric(t, p, "jetgraph_runner_conflicts_total")
		steps += metric(t, p, "jetgraph_runner_steps_committed_total")
	}
	t.Logf("%d threads in %v; the runners alive at the end counted %v redeliveries, %v conflicts, %v steps committed",
		n, elapsed.Round(time.Millisecond), redelivered, conflicts, steps)
	if dups != 0 || stranded.Load() != 0 || wrong.Load() != 0 || completed.Load() != int64(n) || killed < 5 {
		t.Fatalf("completed=%d wrong=%d stranded=%d duplicate_commits=%d kills=%d", completed.Load(), wrong.Load(), stranded.Load(), dups, killed)
	}
}

// TestPoisonTaskFailsOnlyItsThread runs a thread whose branch b always
// panics beside healthy threads: the poison thread ends failed, with the
// error recorded on the task, after max-deliver runs; the others end as a
// local run does; the runners' metrics count the failure.
func TestPoisonTaskFailsOnlyItsThread(t *testing.T) {
	c := setup(t, 3, "--ack-wait", "2s", "--max-deliver", "3", "--retry-delay", "20ms")
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	var poisonErr error
	wg.Go(func() {
		_, poisonErr = c.client.Invoke(ctx, examples.FanState{Seed: -1}, graph.Config{ThreadID: "poison"})
	})
	for i := range 20 {
		wg.Go(func() {
			in := examples.FanState{Seed: i, Rounds: 2}
			got, err := c.client.Invoke(ctx, in, graph.Config{ThreadID: fmt.Sprintf("healthy-%d", i)})
			if err != nil {
				t.Errorf("healthy thread %d: %v", i, err)
			} else if want := local(t, in); !reflect.DeepEqual(got, want) {
				t.Errorf("healthy thread %d ended in %+v, want %+v", i, got, want)
			}
		})
	}
	wg.Wait()
	var ne *graph.NodeError
	if !errors.As(poisonErr, &ne) || ne.Node != "b" {
		t.Fatalf("poison thread: %v, want a *graph.NodeError of node b", poisonErr)
	}
	snap, err := c.client.GetState(ctx, graph.Config{ThreadID: "poison"})
	if err != nil {
		t.Fatal(err)
	}
	recorded := ""
	for _, ti := range snap.Tasks {
		if ti.Name == "b" {
			recorded = ti.Error
		}
	}
	if recorded == "" {
		t.Fatalf("GetState of the poison thread: tasks %+v, want an error on b", snap.Tasks)
	}
	var failed, retried float64
	for _, p := range c.runners {
		failed += metric(t, p, "jetgraph_runner_tasks_failed_total")
		retried += metric(t, p, "jetgraph_runner_tasks_retried_total")
	}
	t.Logf("poison: %q; metrics: tasks_failed=%v tasks_retried=%v", recorded, failed, retried)
	if failed != 1 || retried != 2 {
		t.Fatalf("metrics: tasks_failed=%v tasks_retried=%v, want 1 and 2 (max-deliver 3)", failed, retried)
	}
}
