package graph_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/memory"
)

type fanState struct {
	Seed  int      `graph:"seed"`
	Round int      `graph:"round"`
	Parts []string `graph:"parts,reducer=append"`
}

func fanGraph(t *testing.T, opts ...graph.Option) *graph.Graph[fanState] {
	t.Helper()
	g := graph.New[fanState]()
	g.AddNode("split", func(_ context.Context, s fanState) (fanState, error) {
		return fanState{Round: s.Round + 1}, nil
	})
	for _, n := range []string{"a", "b", "c"} {
		g.AddNode(n, func(_ context.Context, s fanState) (fanState, error) {
			if n == "b" && s.Seed < 0 {
				panic("poison")
			}
			return fanState{Parts: []string{fmt.Sprintf("%s%d:%d", n, s.Round, s.Seed)}}, nil
		})
		g.AddEdge("split", n)
	}
	g.AddJoinEdge([]string{"a", "b", "c"}, "merge")
	g.AddNode("merge", func(context.Context, fanState) (fanState, error) { return fanState{}, nil })
	g.AddConditionalEdges("merge", func(_ context.Context, s fanState) []string {
		if s.Round < 2 {
			return []string{"split"}
		}
		return []string{graph.END}
	}, "split", graph.END)
	g.AddEdge(graph.START, "split")
	c, err := g.Compile(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// stepDispatcher runs dispatched tasks in this process through the
// distributed entry points, each task on its own goroutine, as runners
// would.
type stepDispatcher struct {
	g       func() *graph.Graph[fanState]
	mu      sync.Mutex
	watch   map[string][]chan struct{}
	wg      sync.WaitGroup
	commits int
}

func (d *stepDispatcher) Bind(context.Context, string, string) error { return nil }

func (d *stepDispatcher) Dispatch(ctx context.Context, _ string, cfg graph.Config, tasks []graph.TaskInfo) error {
	for _, ti := range tasks {
		d.wg.Go(func() {
			g := d.g()
			if _, err := g.RunTask(context.WithoutCancel(ctx), cfg, ti.ID); err != nil {
				var ne *graph.NodeError
				if errors.As(err, &ne) {
					_ = g.FailTask(context.WithoutCancel(ctx), cfg, ti.ID, err.Error())
				}
			}
			st, err := g.Advance(context.WithoutCancel(ctx), cfg)
			if err == nil && st.Committed {
				d.mu.Lock()
				d.commits++
				d.mu.Unlock()
				_ = d.Dispatch(ctx, "", st.Config, st.Pending())
			}
			d.notify(cfg.ThreadID)
		})
	}
	return nil
}

func (d *stepDispatcher) notify(thread string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, ch := range d.watch[thread] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func (d *stepDispatcher) Watch(_ context.Context, thread string) (<-chan struct{}, func(), error) {
	ch := make(chan struct{}, 1)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.watch == nil {
		d.watch = map[string][]chan struct{}{}
	}
	d.watch[thread] = append(d.watch[thread], ch)
	return ch, func() {}, nil
}

func TestDispatchedRunEndsInTheLocalState(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	local := fanGraph(t, graph.WithCheckpointer(memory.New()))
	want, err := local.Invoke(ctx, fanState{Seed: 7}, graph.Config{ThreadID: "t"})
	if err != nil {
		t.Fatal(err)
	}
	s := memory.New()
	var remote *graph.Graph[fanState]
	d := &stepDispatcher{g: func() *graph.Graph[fanState] { return remote }}
	remote = fanGraph(t, graph.WithCheckpointer(s), graph.WithDispatcher(d))
	got, err := remote.Invoke(ctx, fanState{Seed: 7}, graph.Config{ThreadID: "t"})
	d.wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("dispatched run ended in %+v, local run in %+v", got, want)
	}
	// One loop checkpoint per step: 2 rounds of split, branches, merge.
	if d.commits != 6 {
		t.Fatalf("dispatched run committed %d steps, want 6", d.commits)
	}
	// A second Advance of a committed step is refused and stores nothing.
	var parent graph.Config
	for snap, err := range remote.GetStateHistory(ctx, graph.Config{ThreadID: "t"}, nil) {
		if err != nil {
			t.Fatal(err)
		}
		if snap.Metadata.Step == 2 {
			parent = snap.Config
		}
	}
	if _, err := remote.Advance(ctx, parent); !errors.Is(err, saver.ErrConflict) {
		t.Fatalf("advance of a committed step: %v, want ErrConflict", err)
	}
}

func TestDispatchedRunFailsOnARecordedTaskError(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var remote *graph.Graph[fanState]
	d := &stepDispatcher{g: func() *graph.Graph[fanState] { return remote }}
	remote = fanGraph(t, graph.WithCheckpointer(memory.New()), graph.WithDispatcher(d))
	_, err := remote.Invoke(ctx, fanState{Seed: -1}, graph.Config{ThreadID: "p"})
	d.wg.Wait()
	var ne *graph.NodeError
	if !errors.As(err, &ne) || ne.Node != "b" {
		t.Fatalf("poison run: %v, want a *NodeError of node b", err)
	}
	snap, err := remote.GetState(ctx, graph.Config{ThreadID: "p"})
	if err != nil {
		t.Fatal(err)
	}
	failed := false
	for _, ti := range snap.Tasks {
		failed = failed || (ti.Name == "b" && ti.Error != "")
	}
	if !failed {
		t.Fatalf("GetState tasks %+v: no error recorded on b", snap.Tasks)
	}
}

type approvalState struct {
	Draft    string `graph:"draft"`
	Approved string `graph:"approved"`
}

// approvalGraph compiles a graph whose review node asks for approval.
func approvalGraph(t *testing.T, opts ...graph.Option) *graph.Graph[approvalState] {
	t.Helper()
	g := graph.New[approvalState]()
	g.AddNode("draft", func(context.Context, approvalState) (approvalState, error) {
		return approvalState{Draft: "hello"}, nil
	})
	g.AddNode("review", func(ctx context.Context, s approvalState) (approvalState, error) {
		ans, err := graph.Interrupt[string](ctx, "approve "+s.Draft+"?")
		if err != nil {
			return approvalState{}, err
		}
		return approvalState{Approved: ans}, nil
	})
	g.AddEdge(graph.START, "draft")
	g.AddEdge("draft", "review")
	g.AddEdge("review", graph.END)
	c, err := g.Compile(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// goDispatcher runs each dispatched task of a graph on its own goroutine
// through the distributed entry points.
type goDispatcher struct {
	stepDispatcher
	run func(ctx context.Context, cfg graph.Config, task string) (graph.StepStatus, error)
}

func (d *goDispatcher) Dispatch(ctx context.Context, _ string, cfg graph.Config, tasks []graph.TaskInfo) error {
	for _, ti := range tasks {
		d.wg.Go(func() {
			st, err := d.run(context.WithoutCancel(ctx), cfg, ti.ID)
			if err == nil && st.Committed && st.Running() {
				_ = d.Dispatch(ctx, "", st.Config, st.Pending())
			}
			d.notify(cfg.ThreadID)
		})
	}
	return nil
}

func TestDispatchedRunStopsOnAnInterruptAndResumes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var remote *graph.Graph[approvalState]
	d := &goDispatcher{}
	d.run = func(ctx context.Context, cfg graph.Config, task string) (graph.StepStatus, error) {
		if _, err := remote.RunTask(ctx, cfg, task); err != nil {
			return graph.StepStatus{}, err
		}
		return remote.Advance(ctx, cfg)
	}
	remote = approvalGraph(t, graph.WithCheckpointer(memory.New()), graph.WithDispatcher(d))
	cfg := graph.Config{ThreadID: "review"}
	var oc graph.Outcome
	got, err := remote.Invoke(ctx, approvalState{}, cfg, graph.WithOutcome(&oc))
	if err != nil {
		t.Fatal(err)
	}
	if !oc.Interrupted || len(oc.Interrupts) != 1 || oc.Interrupts[0].Value != "approve hello?" || got.Draft != "hello" {
		t.Fatalf("dispatched run stopped with %+v and %+v; want an interrupt after draft", got, oc)
	}
	got, err = remote.ResumeWith(ctx, cfg, "yes", graph.WithOutcome(&oc))
	d.wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if oc.Interrupted || got != (approvalState{Draft: "hello", Approved: "yes"}) {
		t.Fatalf("resumed run ended in %+v (%+v); want approved", got, oc)
	}
}

func TestDispatchedRunStopsOnStaticInterruptsAsALocalRun(t *testing.T) {
	t.Parallel()
	for _, opt := range []graph.Option{graph.WithInterruptBefore("merge"), graph.WithInterruptAfter("split")} {
		ctx := context.Background()
		local := fanGraph(t, graph.WithCheckpointer(memory.New()), opt)
		var remote *graph.Graph[fanState]
		d := &goDispatcher{}
		d.run = func(ctx context.Context, cfg graph.Config, task string) (graph.StepStatus, error) {
			if _, err := remote.RunTask(ctx, cfg, task); err != nil {
				return graph.StepStatus{}, err
			}
			return remote.Advance(ctx, cfg)
		}
		remote = fanGraph(t, graph.WithCheckpointer(memory.New()), graph.WithDispatcher(d), opt)
		cfg := graph.Config{ThreadID: "static"}
		in := fanState{Seed: 3}
		var wantOC, gotOC graph.Outcome
		want, err := local.Invoke(ctx, in, cfg, graph.WithOutcome(&wantOC))
		if err != nil {
			t.Fatal(err)
		}
		got, err := remote.Invoke(ctx, in, cfg, graph.WithOutcome(&gotOC))
		if err != nil {
			t.Fatal(err)
		}
		// Every stop of the local run is a stop of the dispatched one.
		for stops := 0; ; stops++ {
			if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotOC.Next, wantOC.Next) || gotOC.Interrupted != wantOC.Interrupted {
				t.Fatalf("stop %d: dispatched %+v %+v, local %+v %+v", stops, got, gotOC, want, wantOC)
			}
			if !wantOC.Interrupted {
				if stops == 0 {
					t.Fatal("the local run never stopped on its static interrupt")
				}
				break
			}
			if want, err = local.Resume(ctx, cfg, graph.WithOutcome(&wantOC)); err != nil {
				t.Fatal(err)
			}
			if got, err = remote.Resume(ctx, cfg, graph.WithOutcome(&gotOC)); err != nil {
				t.Fatal(err)
			}
		}
		d.wg.Wait()
	}
}
