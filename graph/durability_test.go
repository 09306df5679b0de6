package graph_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/memory"
)

// faultySaver is a saver.Saver (not a saver.Committer, so every operation
// is its own call) whose Put runs hook first: the hook can fail the put or
// hold it.
type faultySaver struct {
	saver.Saver
	mu   sync.Mutex
	puts int
	hook func(ctx context.Context, n int, md saver.Metadata) error
}

func (f *faultySaver) Put(ctx context.Context, op saver.PutOp) (saver.Config, error) {
	f.mu.Lock()
	f.puts++
	n := f.puts
	f.mu.Unlock()
	if err := f.hook(ctx, n, op.Metadata); err != nil {
		return saver.Config{}, err
	}
	return f.Saver.Put(ctx, op)
}

// chainABC is START -> a -> b -> c -> END over NoteState.
func chainABC(t *testing.T, s saver.Saver, opts ...graph.Option) *graph.Graph[NoteState] {
	t.Helper()
	g := graph.New[NoteState]()
	for _, n := range []string{"a", "b", "c"} {
		g.AddNode(n, note(n))
	}
	g.AddEdge(graph.START, "a")
	g.AddEdge("a", "b")
	g.AddEdge("b", "c")
	g.AddReducer("sum", graph.ReducerFunc(func(a, b int) int { return a + b }))
	chain, err := g.Compile(append([]graph.Option{graph.WithCheckpointer(s)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return chain
}

func historySources(t *testing.T, chain *graph.Graph[NoteState], cfg graph.Config) []string {
	t.Helper()
	var out []string
	for snap, err := range chain.GetStateHistory(context.Background(), cfg, nil) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(snap.Metadata.Source))
	}
	return out
}

func TestDurabilityModesStoreTheSameHistoryInFewerAppends(t *testing.T) {
	t.Parallel()
	want := []string{"loop", "loop", "loop", "loop", "input"}
	for _, tc := range []struct {
		mode       graph.Durability
		maxAppends int
	}{
		{graph.DurabilitySync, 4},
		{graph.DurabilityAsync, 4},
		{graph.DurabilityExit, 1},
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			t.Parallel()
			s := memory.New()
			chain := chainABC(t, s, graph.WithDurability(tc.mode))
			cfg := graph.Config{ThreadID: "t"}
			out, err := chain.Invoke(context.Background(), NoteState{}, cfg)
			if err != nil || !slices.Equal(out.Notes, []string{"a", "b", "c"}) {
				t.Fatalf("invoke: %q, %v", out.Notes, err)
			}
			if got := historySources(t, chain, cfg); !slices.Equal(got, want) {
				t.Fatalf("history %q, want %q", got, want)
			}
			if n := len(eventsOf(s, "t")); n > tc.maxAppends || n == 0 {
				t.Fatalf("%d appends, want 1..%d", n, tc.maxAppends)
			}
		})
	}
}

func TestSyncDurabilityAppendsOncePerStep(t *testing.T) {
	t.Parallel()
	s := memory.New()
	chain := chainABC(t, s, graph.WithDurability(graph.DurabilitySync))
	if _, err := chain.Invoke(context.Background(), NoteState{}, graph.Config{ThreadID: "t"}); err != nil {
		t.Fatal(err)
	}
	if n := len(eventsOf(s, "t")); n != 4 {
		t.Fatalf("%d appends, want 4 (input with step 0, then steps 1-3)", n)
	}
}

func TestAsyncWritesOverlapTheNextStep(t *testing.T) {
	t.Parallel()
	released := make(chan struct{})
	s := &faultySaver{Saver: memory.New(), hook: func(ctx context.Context, _ int, md saver.Metadata) error {
		if md.Step != 1 {
			return nil
		}
		select { // step 1 is stored only once node b, of step 2, runs
		case <-released:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}}
	g := graph.New[NoteState]()
	g.AddNode("a", note("a"))
	g.AddNode("b", func(context.Context, NoteState) (NoteState, error) {
		close(released)
		return NoteState{Notes: []string{"b"}}, nil
	})
	g.AddEdge(graph.START, "a")
	g.AddEdge("a", "b")
	g.AddReducer("sum", graph.ReducerFunc(func(a, b int) int { return a + b }))
	chain, err := g.Compile(graph.WithCheckpointer(s))
	if err != nil {
		t.Fatal(err)
	}
	cfg := graph.Config{ThreadID: "t"}
	// In sync mode the step 1 write would wait for node b forever: the
	// deadline turns that into a failure.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	out, err := chain.Invoke(ctx, NoteState{}, cfg, graph.DurabilityAsync) // per call
	if err != nil || !slices.Equal(out.Notes, []string{"a", "b"}) {
		t.Fatalf("invoke: %q, %v", out.Notes, err)
	}
	if got := historySources(t, chain, cfg); len(got) != 4 {
		t.Fatalf("history %q after Invoke returned: writes were not all finished", got)
	}
}

func TestBackgroundWriteErrorSurfacesFromInvoke(t *testing.T) {
	t.Parallel()
	boom := errors.New("disk full")
	s := &faultySaver{Saver: memory.New(), hook: func(_ context.Context, n int, _ saver.Metadata) error {
		if n == 3 {
			return boom
		}
		return nil
	}}
	chain := chainABC(t, s, graph.WithDurability(graph.DurabilityAsync))
	cfg := graph.Config{ThreadID: "t"}
	if _, err := chain.Invoke(context.Background(), NoteState{}, cfg); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the write error", err)
	}
	if got := historySources(t, chain, cfg); len(got) != 2 {
		t.Fatalf("history %q: want the 2 checkpoints stored before the failure, none after", got)
	}
}

func TestExitDurabilityStoresAFailedRunAtTheEnd(t *testing.T) {
	t.Parallel()
	s := memory.New()
	g := graph.New[NoteState]()
	g.AddNode("a", note("a"))
	g.AddNode("b", func(context.Context, NoteState) (NoteState, error) { return NoteState{}, errors.New("b broke") })
	g.AddEdge(graph.START, "a")
	g.AddEdge("a", "b")
	chain := compileNotesOn(t, g, s, graph.WithDurability(graph.DurabilityExit))
	ctx := context.Background()
	cfg := graph.Config{ThreadID: "t"}
	if _, err := chain.Invoke(ctx, NoteState{}, cfg); err == nil || !strings.Contains(err.Error(), "b broke") {
		t.Fatalf("err = %v", err)
	}
	snap, err := chain.GetState(ctx, cfg)
	if err != nil || !slices.Equal(snap.Values.Notes, []string{"a"}) || snap.Tasks[0].Error != "b broke" || len(eventsOf(s, "t")) != 1 {
		t.Fatalf("state %+v, %v, %d appends; want notes [a], b's error, 1 append", snap, err, len(eventsOf(s, "t")))
	}
}

func TestInterruptsAreStoredInEveryDurabilityMode(t *testing.T) {
	t.Parallel()
	for _, mode := range []graph.Durability{graph.DurabilityAsync, graph.DurabilityExit} {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			s := memory.New()
			a := &asker{}
			g := graph.New[NoteState]()
			g.AddNode("ask", a.node)
			g.AddEdge(graph.START, "ask")
			chain := compileNotesOn(t, g, s, graph.WithDurability(mode))
			ctx := context.Background()
			cfg := graph.Config{ThreadID: "t"}
			for i, answer := range []string{"", "x", "y"} {
				var err error
				if i == 0 {
					_, err = chain.Invoke(ctx, NoteState{}, cfg)
				} else {
					_, err = chain.ResumeWith(ctx, cfg, answer)
				}
				if err != nil || (mode == graph.DurabilityExit && len(eventsOf(s, "t")) != i+1) {
					t.Fatalf("call %d: %v, %d appends", i, err, len(eventsOf(s, "t")))
				}
			}
			snap, _ := chain.GetState(ctx, cfg)
			if !slices.Equal(snap.Values.Notes, []string{"x", "y"}) || a.tasks.Load() != 1 {
				t.Fatalf("notes %q, task ran %d times", snap.Values.Notes, a.tasks.Load())
			}
		})
	}
}

func TestUnknownDurabilityIsAnError(t *testing.T) {
	t.Parallel()
	chain := chainABC(t, memory.New())
	if _, err := chain.Invoke(context.Background(), NoteState{}, graph.Config{ThreadID: "t"}, graph.Durability("later")); !errors.Is(err, saver.ErrInvalid) || !strings.Contains(err.Error(), `durability: "later"`) {
		t.Fatalf("err = %v", err)
	}
	g := graph.New[NoteState]()
	g.AddNode("a", note("a"))
	g.AddEdge(graph.START, "a")
	if _, err := g.Compile(graph.WithDurability("never")); err == nil {
		t.Fatal("compile accepted durability \"never\"")
	}
}

func compileNotesOn(t *testing.T, g *graph.StateGraph[NoteState], s saver.Saver, opts ...graph.Option) *graph.Graph[NoteState] {
	t.Helper()
	g.AddReducer("sum", graph.ReducerFunc(func(a, b int) int { return a + b }))
	chain, err := g.Compile(append([]graph.Option{graph.WithCheckpointer(s)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return chain
}
