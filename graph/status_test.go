package graph_test

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/memory"
)

// stepRefuser is a memory saver whose Commit refuses every append that
// stores a loop checkpoint of step refuse, while refusing is set: the
// process "dies" after the step's task writes landed, before its
// checkpoint.
type stepRefuser struct {
	*memory.Saver
	refuse    int
	refusing  atomic.Bool
	refusedOK atomic.Int32
}

var errKilled = errors.New("killed before the step's checkpoint")

func (s *stepRefuser) Commit(ctx context.Context, ops []saver.Op) ([]saver.Config, error) {
	if s.refusing.Load() {
		for _, op := range ops {
			if op.Put != nil && op.Put.Metadata.Source == saver.SourceLoop && op.Put.Metadata.Step == s.refuse {
				s.refusedOK.Add(1)
				return nil, errKilled
			}
		}
	}
	return s.Saver.Commit(ctx, ops)
}

// diamond is START -> a, b (one step) -> c.
func diamond(t *testing.T, s saver.Saver) *graph.Graph[NoteState] {
	t.Helper()
	g := graph.New[NoteState]()
	for _, n := range []string{"a", "b", "c"} {
		g.AddNode(n, note(n))
	}
	g.AddEdge(graph.START, "a")
	g.AddEdge(graph.START, "b")
	g.AddEdge("a", "c")
	g.AddEdge("b", "c")
	return compileNotesOn(t, g, s, graph.WithDurability(graph.DurabilitySync))
}

func TestAStepWhoseCheckpointIsMissingIsPendingAndResumeFinishesIt(t *testing.T) {
	t.Parallel()
	resume := func(ctx context.Context, chain *graph.Graph[NoteState], cfg graph.Config) (NoteState, error) {
		return chain.Resume(ctx, cfg)
	}
	stream := func(ctx context.Context, chain *graph.Graph[NoteState], cfg graph.Config) (NoteState, error) {
		var last NoteState
		for p, err := range chain.Stream(ctx, nil, cfg, graph.StreamValues) {
			if err != nil {
				return last, err
			}
			last = p.Values
		}
		return last, nil
	}
	t.Run("resume", func(t *testing.T) { t.Parallel(); checkPendingStepFinishes(t, resume) })
	t.Run("stream", func(t *testing.T) { t.Parallel(); checkPendingStepFinishes(t, stream) })
}

func checkPendingStepFinishes(t *testing.T, resume func(context.Context, *graph.Graph[NoteState], graph.Config) (NoteState, error)) {
	s := &stepRefuser{Saver: memory.New(), refuse: 1}
	chain := diamond(t, s)
	ctx := t.Context()
	cfg := graph.Config{ThreadID: "t"}
	s.refusing.Store(true)
	if _, err := chain.Invoke(ctx, NoteState{}, cfg); !errors.Is(err, errKilled) || s.refusedOK.Load() == 0 {
		t.Fatalf("invoke: err = %v, want the refused checkpoint", err)
	}
	s.refusing.Store(false)

	snap, err := chain.GetState(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// As in LangGraph, the finished tasks leave Next and their writes show
	// in Values: Next alone looks finished. Status says it is not.
	if len(snap.Next) != 0 || !slices.Equal(snap.Values.Notes, []string{"a", "b"}) {
		t.Fatalf("state: next %q, notes %q", snap.Next, snap.Values.Notes)
	}
	if snap.Status != graph.StatusPending {
		t.Fatalf("status = %q, want %q: the step's checkpoint and node c are outstanding", snap.Status, graph.StatusPending)
	}
	out, err := resume(ctx, chain, cfg)
	if want := []string{"a", "b", "c"}; err != nil || !slices.Equal(out.Notes, want) {
		t.Fatalf("resume: %q, %v; want %q", out.Notes, err, want)
	}
	snap, err = chain.GetState(ctx, cfg)
	if err != nil || snap.Status != graph.StatusDone || len(snap.Next) != 0 {
		t.Fatalf("after resume: status %q, next %q, %v", snap.Status, snap.Next, err)
	}
}

func TestSnapshotStatusSaysInterruptedPendingOrDone(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	var empty graph.Snapshot[NoteState]
	chain, _ := parallelAsk(t, "b")
	cfg := graph.Config{ThreadID: "t"}
	empty, err := chain.GetState(ctx, cfg)
	if err != nil || empty.Status != graph.StatusDone {
		t.Fatalf("empty thread: status %q, %v", empty.Status, err)
	}
	if _, err := chain.Invoke(ctx, NoteState{}, cfg); err != nil {
		t.Fatal(err)
	}
	if snap, _ := chain.GetState(ctx, cfg); snap.Status != graph.StatusInterrupted {
		t.Fatalf("interrupted thread: status %q", snap.Status)
	}
	if _, err := chain.ResumeWith(ctx, cfg, "ok"); err != nil {
		t.Fatal(err)
	}
	if snap, _ := chain.GetState(ctx, cfg); snap.Status != graph.StatusDone {
		t.Fatalf("finished thread: status %q", snap.Status)
	}
	g := graph.New[NoteState]()
	g.AddNode("a", note("a"))
	g.AddNode("b", note("b"))
	g.AddEdge(graph.START, "a")
	g.AddEdge("a", "b")
	static := compileNotes(t, g, graph.WithInterruptBefore("b"))
	if _, err := static.Invoke(ctx, NoteState{}, cfg); err != nil {
		t.Fatal(err)
	}
	if snap, _ := static.GetState(ctx, cfg); snap.Status != graph.StatusPending || !slices.Equal(snap.Next, []string{"b"}) {
		t.Fatalf("static interrupt: status %q, next %q", snap.Status, snap.Next)
	}
}
