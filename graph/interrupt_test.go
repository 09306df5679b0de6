package graph_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/saver"
)

// asker is a node that asks two questions, records a durable Task before
// the first, and writes the answers.
type asker struct {
	runs, tasks atomic.Int32
}

func (a *asker) node(ctx context.Context, _ NoteState) (NoteState, error) {
	a.runs.Add(1)
	if _, err := graph.Task(ctx, "prepare", func(context.Context) (int, error) { return int(a.tasks.Add(1)), nil }); err != nil {
		return NoteState{}, err
	}
	first, err := graph.Interrupt[string](ctx, "first?")
	if err != nil {
		return NoteState{}, err
	}
	second, err := graph.Interrupt[string](ctx, map[string]any{"question": "second?"})
	if err != nil {
		return NoteState{}, err
	}
	return NoteState{Notes: []string{first, second}}, nil
}

func TestResumeWithAnswersTheKthInterruptWithTheKthValue(t *testing.T) {
	t.Parallel()
	a := &asker{}
	g := graph.New[NoteState]()
	g.AddNode("ask", a.node)
	g.AddEdge(graph.START, "ask")
	chain := compileNotes(t, g)
	ctx := context.Background()
	cfg := graph.Config{ThreadID: "t"}
	var oc graph.Outcome
	if _, err := chain.Invoke(ctx, NoteState{}, cfg, graph.WithOutcome(&oc)); err != nil {
		t.Fatal(err)
	}
	if !oc.Interrupted || len(oc.Interrupts) != 1 || oc.Interrupts[0].Value != "first?" || !slices.Equal(oc.Next, []string{"ask"}) {
		t.Fatalf("outcome after invoke: %+v", oc)
	}
	snap, err := chain.GetState(ctx, cfg)
	if err != nil || !slices.Equal(snap.Next, []string{"ask"}) || len(snap.Interrupts) != 1 ||
		snap.Interrupts[0].Value != "first?" || len(snap.Tasks[0].Interrupts) != 1 {
		t.Fatalf("state after invoke: %+v, %v", snap, err)
	}
	if _, err := chain.ResumeWith(ctx, cfg, "yes", graph.WithOutcome(&oc)); err != nil {
		t.Fatal(err)
	}
	var second struct {
		Question string `msgpack:"question"`
	}
	if !oc.Interrupted || len(oc.Interrupts) != 1 || oc.Interrupts[0].Decode(&second) != nil || second.Question != "second?" {
		t.Fatalf("outcome after first answer: %+v (decoded %+v)", oc, second)
	}
	out, err := chain.ResumeWith(ctx, cfg, "no", graph.WithOutcome(&oc))
	if err != nil || oc.Interrupted || !slices.Equal(out.Notes, []string{"yes", "no"}) {
		t.Fatalf("after second answer: %q, %v, %+v", out.Notes, err, oc)
	}
	if a.runs.Load() != 3 || a.tasks.Load() != 1 {
		t.Fatalf("node ran %d times, its task %d times; want 3 and 1", a.runs.Load(), a.tasks.Load())
	}
	if snap, _ := chain.GetState(ctx, cfg); len(snap.Next) != 0 || len(snap.Interrupts) != 0 {
		t.Fatalf("finished thread still shows next %q, interrupts %+v", snap.Next, snap.Interrupts)
	}
}

func TestResumeWithoutValueAsksAgain(t *testing.T) {
	t.Parallel()
	a := &asker{}
	g := graph.New[NoteState]()
	g.AddNode("ask", a.node)
	g.AddEdge(graph.START, "ask")
	chain := compileNotes(t, g)
	ctx := context.Background()
	cfg := graph.Config{ThreadID: "t"}
	var oc graph.Outcome
	_, err1 := chain.Invoke(ctx, NoteState{}, cfg)
	_, err2 := chain.Resume(ctx, cfg, graph.WithOutcome(&oc))
	if err1 != nil || err2 != nil || !oc.Interrupted || oc.Interrupts[0].Value != "first?" {
		t.Fatalf("errors %v, %v; outcome %+v", err1, err2, oc)
	}
}

func TestResumeWithOnAThreadWithoutInterruptIsAnError(t *testing.T) {
	t.Parallel()
	g := graph.New[NoteState]()
	g.AddNode("a", note("a"))
	g.AddEdge(graph.START, "a")
	chain := compileNotes(t, g)
	ctx := context.Background()
	cfg := graph.Config{ThreadID: "t"}
	if _, err := chain.ResumeWith(ctx, cfg, "x"); !errors.Is(err, saver.ErrNotFound) {
		t.Fatalf("empty thread: err = %v, want not found", err)
	}
	if _, err := chain.Invoke(ctx, NoteState{}, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := chain.ResumeWith(ctx, cfg, "x"); !errors.Is(err, graph.ErrNotInterrupted) {
		t.Fatalf("finished thread: err = %v, want ErrNotInterrupted", err)
	}
}

func TestInterruptOutsideANodeIsAnError(t *testing.T) {
	t.Parallel()
	if _, err := graph.Interrupt[string](context.Background(), "x"); !errors.Is(err, graph.ErrOutsideNode) {
		t.Fatalf("err = %v, want ErrOutsideNode", err)
	}
}

func TestInterruptWithoutCheckpointerFailsTheNode(t *testing.T) {
	t.Parallel()
	g := graph.New[NoteState]()
	g.AddNode("ask", (&asker{}).node)
	g.AddEdge(graph.START, "ask")
	g.AddReducer("sum", graph.ReducerFunc(func(a, b int) int { return a + b }))
	chain, err := g.Compile()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chain.Invoke(context.Background(), NoteState{}, graph.Config{}); !errors.Is(err, graph.ErrNoCheckpointer) {
		t.Fatalf("err = %v, want ErrNoCheckpointer", err)
	}
}

// parallelAsk runs "a" and "b" in one step; b interrupts.
func parallelAsk(t *testing.T, askers ...string) (*graph.Graph[NoteState], *atomic.Int32) {
	t.Helper()
	var aRuns atomic.Int32
	g := graph.New[NoteState]()
	g.AddNode("a", func(context.Context, NoteState) (NoteState, error) {
		aRuns.Add(1)
		return NoteState{Notes: []string{"a"}}, nil
	})
	for _, n := range askers {
		g.AddNode(n, func(ctx context.Context, _ NoteState) (NoteState, error) {
			ans, err := graph.Interrupt[string](ctx, n+"?")
			return NoteState{Notes: []string{n + "=" + ans}}, err
		})
		g.AddEdge(graph.START, n)
	}
	g.AddEdge(graph.START, "a")
	return compileNotes(t, g), &aRuns
}

func TestInterruptInAParallelStepKeepsTheOtherTasksWrites(t *testing.T) {
	t.Parallel()
	chain, aRuns := parallelAsk(t, "b")
	ctx := context.Background()
	cfg := graph.Config{ThreadID: "t"}
	out, err := chain.Invoke(ctx, NoteState{}, cfg)
	if err != nil || !slices.Equal(out.Notes, []string{"a"}) {
		t.Fatalf("invoke: %q, %v", out.Notes, err)
	}
	snap, err := chain.GetState(ctx, cfg)
	if err != nil || !slices.Equal(snap.Values.Notes, []string{"a"}) || !slices.Equal(snap.Next, []string{"b"}) || snap.Interrupts[0].Node != "b" {
		t.Fatalf("state: %+v, %v", snap, err)
	}
	out, err = chain.ResumeWith(ctx, cfg, "ok")
	if err != nil || !slices.Equal(out.Notes, []string{"a", "b=ok"}) || aRuns.Load() != 1 {
		t.Fatalf("resume: %q, %v, a ran %d times", out.Notes, err, aRuns.Load())
	}
}

func TestSeveralPendingInterruptsAreAnsweredByID(t *testing.T) {
	t.Parallel()
	chain, _ := parallelAsk(t, "b", "c")
	ctx := context.Background()
	cfg := graph.Config{ThreadID: "t"}
	var oc graph.Outcome
	if _, err := chain.Invoke(ctx, NoteState{}, cfg, graph.WithOutcome(&oc)); err != nil || len(oc.Interrupts) != 2 {
		t.Fatalf("invoke: %v, %+v", err, oc)
	}
	if _, err := chain.ResumeWith(ctx, cfg, "x"); err == nil {
		t.Fatal("one value for two interrupts: no error")
	}
	answers := graph.ResumeMap{}
	for _, in := range oc.Interrupts {
		answers[in.ID] = "to " + in.Node
	}
	out, err := chain.ResumeWith(ctx, cfg, answers)
	if want := []string{"a", "b=to b", "c=to c"}; err != nil || !slices.Equal(out.Notes, want) {
		t.Fatalf("resume: %q, %v; want %q", out.Notes, err, want)
	}
}

func TestStaticInterruptsStopBeforeAndAfterNodes(t *testing.T) {
	t.Parallel()
	g := graph.New[NoteState]()
	for _, n := range []string{"a", "b", "c"} {
		g.AddNode(n, note(n))
	}
	g.AddEdge(graph.START, "a")
	g.AddEdge("a", "b")
	g.AddEdge("b", "c")
	chain := compileNotes(t, g, graph.WithInterruptBefore("b"), graph.WithInterruptAfter("b"))
	ctx := context.Background()
	cfg := graph.Config{ThreadID: "t"}
	var oc graph.Outcome
	steps := []struct {
		notes, next []string
	}{
		{[]string{"a"}, []string{"b"}},
		{[]string{"a", "b"}, []string{"c"}},
		{[]string{"a", "b", "c"}, nil},
	}
	for i, want := range steps {
		var out NoteState
		var err error
		if i == 0 {
			out, err = chain.Invoke(ctx, NoteState{}, cfg, graph.WithOutcome(&oc))
		} else {
			out, err = chain.Resume(ctx, cfg, graph.WithOutcome(&oc))
		}
		snap, _ := chain.GetState(ctx, cfg)
		if err != nil || !slices.Equal(out.Notes, want.notes) || !slices.Equal(snap.Next, want.next) ||
			!slices.Equal(oc.Next, want.next) || oc.Interrupted != (want.next != nil) {
			t.Fatalf("call %d: notes %q, next %q, outcome %+v, err %v; want %q, %q", i, out.Notes, snap.Next, oc, err, want.notes, want.next)
		}
	}
}

func TestStreamEndsWithTheInterrupt(t *testing.T) {
	t.Parallel()
	chain, _ := parallelAsk(t, "b")
	var parts []graph.StreamPart[NoteState]
	for p, err := range chain.Stream(context.Background(), &NoteState{}, graph.Config{ThreadID: "t"}, graph.StreamUpdates) {
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, p)
	}
	last := parts[len(parts)-1]
	if !last.Interrupted || last.Node != graph.InterruptNode || last.Interrupts[0].Value != "b?" || last.Step != 1 {
		t.Fatalf("last part: %+v", last)
	}
}

func TestCompileRejectsStaticInterruptsOnUnknownNodes(t *testing.T) {
	t.Parallel()
	g := graph.New[NoteState]()
	g.AddNode("a", note("a"))
	g.AddEdge(graph.START, "a")
	_, err := g.Compile(graph.WithCheckpointer(newSaver()), graph.WithInterruptBefore("nope"))
	if err == nil || !strings.Contains(err.Error(), `interrupt before: unknown node "nope"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestAnAnsweredInterruptIsNotPendingAfterTheNodeFails(t *testing.T) {
	t.Parallel()
	fail := true
	g := graph.New[NoteState]()
	g.AddNode("ask", func(ctx context.Context, _ NoteState) (NoteState, error) {
		ans, err := graph.Interrupt[string](ctx, "ok?")
		if err != nil {
			return NoteState{}, err
		}
		if fail {
			fail = false
			return NoteState{}, errors.New("flaky")
		}
		return NoteState{Notes: []string{ans}}, nil
	})
	g.AddEdge(graph.START, "ask")
	chain := compileNotes(t, g)
	ctx := context.Background()
	cfg := graph.Config{ThreadID: "t"}
	if _, err := chain.Invoke(ctx, NoteState{}, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := chain.ResumeWith(ctx, cfg, "yes"); err == nil || !strings.Contains(err.Error(), "flaky") {
		t.Fatalf("resume: err = %v, want the node's failure", err)
	}
	snap, err := chain.GetState(ctx, cfg)
	if err != nil || len(snap.Interrupts) != 0 || snap.Tasks[0].Error == "" {
		t.Fatalf("state after failure: %+v, %v; want no interrupt, an error", snap, err)
	}
	if _, err := chain.ResumeWith(ctx, cfg, "again"); !errors.Is(err, graph.ErrNotInterrupted) {
		t.Fatalf("resume with a value: err = %v, want ErrNotInterrupted", err)
	}
	out, err := chain.Resume(ctx, cfg)
	if err != nil || !slices.Equal(out.Notes, []string{"yes"}) {
		t.Fatalf("resume: %q, %v; want the recorded answer", out.Notes, err)
	}
}
