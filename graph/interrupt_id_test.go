package graph_test

import (
	"context"
	"slices"
	"testing"

	"github.com/jetgraph/jetgraph/graph"
)

// twoAskers runs "b" and "c" in one step: b asks two questions, c one.
func twoAskers(t *testing.T) *graph.Graph[NoteState] {
	t.Helper()
	g := graph.New[NoteState]()
	g.AddNode("b", func(ctx context.Context, _ NoteState) (NoteState, error) {
		first, err := graph.Interrupt[string](ctx, "b1?")
		if err != nil {
			return NoteState{}, err
		}
		second, err := graph.Interrupt[string](ctx, "b2?")
		return NoteState{Notes: []string{"b=" + first + "," + second}}, err
	})
	g.AddNode("c", func(ctx context.Context, _ NoteState) (NoteState, error) {
		ans, err := graph.Interrupt[string](ctx, "c?")
		return NoteState{Notes: []string{"c=" + ans}}, err
	})
	g.AddEdge(graph.START, "b")
	g.AddEdge(graph.START, "c")
	return compileNotes(t, g)
}

// pendingIDs reads the thread's pending interrupts as value → id.
func pendingIDs(t *testing.T, chain *graph.Graph[NoteState], cfg graph.Config) map[string]string {
	t.Helper()
	snap, err := chain.GetState(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, in := range snap.Interrupts {
		out[in.Value.(string)] = in.ID
	}
	return out
}

func TestInterruptsInParallelBranchesAreAnsweredOneAtATimeByID(t *testing.T) {
	t.Parallel()
	chain := twoAskers(t)
	ctx := t.Context()
	cfg := graph.Config{ThreadID: "t"}
	var oc graph.Outcome
	if _, err := chain.Invoke(ctx, NoteState{}, cfg, graph.WithOutcome(&oc)); err != nil {
		t.Fatal(err)
	}
	start, err := chain.GetState(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ids := pendingIDs(t, chain, cfg)
	if len(ids) != 2 || ids["b1?"] == "" || ids["c?"] == "" || ids["b1?"] == ids["c?"] {
		t.Fatalf("pending after invoke: %v", ids)
	}
	for _, in := range oc.Interrupts {
		if ids[in.Value.(string)] != in.ID {
			t.Fatalf("outcome id %q for %v, GetState says %q", in.ID, in.Value, ids[in.Value.(string)])
		}
	}
	// A resume without a value asks the same questions again, with the
	// same ids.
	if _, err := chain.Resume(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if again := pendingIDs(t, chain, cfg); again["b1?"] != ids["b1?"] || again["c?"] != ids["c?"] {
		t.Fatalf("ids after a resume without value: %v, before %v", again, ids)
	}

	// Answer b's first question only: b asks its second, under a new id;
	// c's question keeps its id.
	if _, err := chain.ResumeWith(ctx, cfg, graph.ResumeMap{ids["b1?"]: "x"}); err != nil {
		t.Fatal(err)
	}
	after := pendingIDs(t, chain, cfg)
	if len(after) != 2 || after["c?"] != ids["c?"] || after["b2?"] == "" || after["b2?"] == ids["b1?"] {
		t.Fatalf("pending after answering b1: %v (before %v)", after, ids)
	}
	if _, err := chain.ResumeWith(ctx, cfg, graph.ResumeMap{ids["b1?"]: "again"}); err == nil {
		t.Fatal("answering an interrupt already answered: no error")
	}
	if _, err := chain.ResumeWith(ctx, cfg, graph.ResumeMap{after["c?"]: "z"}); err != nil {
		t.Fatal(err)
	}
	if left := pendingIDs(t, chain, cfg); len(left) != 1 || left["b2?"] != after["b2?"] {
		t.Fatalf("pending after answering c: %v", left)
	}
	out, err := chain.ResumeWith(ctx, cfg, "y")
	if want := []string{"b=x,y", "c=z"}; err != nil || !slices.Equal(out.Notes, want) {
		t.Fatalf("one at a time: %q, %v; want %q", out.Notes, err, want)
	}

	// The same point, forked into a new thread (by Fork, or by resuming a
	// new thread from the point's checkpoint id): the fork is a new
	// checkpoint, so its tasks (and their interrupts) have new ids, and its
	// step runs again; the questions are answered both at once.
	forks := map[string]func(graph.Config) error{
		"Fork": func(fork graph.Config) error {
			if _, err := chain.Fork(ctx, start.Config, fork.ThreadID); err != nil {
				return err
			}
			_, err := chain.Resume(ctx, fork)
			return err
		},
		"ResumeByCheckpointID": func(fork graph.Config) error {
			_, err := chain.Resume(ctx, graph.Config{ThreadID: fork.ThreadID, CheckpointID: start.Config.CheckpointID})
			return err
		},
	}
	for name, forkAndRun := range forks {
		fork := graph.Config{ThreadID: name}
		if err := forkAndRun(fork); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		forkIDs := pendingIDs(t, chain, fork)
		if len(forkIDs) != 2 || forkIDs["b1?"] == ids["b1?"] {
			t.Fatalf("%s: pending on the fork: %v", name, forkIDs)
		}
		if _, err := chain.ResumeWith(ctx, fork, graph.ResumeMap{forkIDs["b1?"]: "x", forkIDs["c?"]: "z"}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		left := pendingIDs(t, chain, fork)
		if len(left) != 1 || left["b2?"] == "" {
			t.Fatalf("%s: pending on the fork after both answers: %v", name, left)
		}
		out, err := chain.ResumeWith(ctx, fork, graph.ResumeMap{left["b2?"]: "y"})
		if want := []string{"b=x,y", "c=z"}; err != nil || !slices.Equal(out.Notes, want) {
			t.Fatalf("%s: both at once on the fork: %q, %v; want %q", name, out.Notes, err, want)
		}
	}
}

func TestResumeMapAcceptsTheTaskIDOfAnInterrupt(t *testing.T) {
	t.Parallel()
	chain, _ := parallelAsk(t, "b", "c")
	ctx := t.Context()
	cfg := graph.Config{ThreadID: "t"}
	var oc graph.Outcome
	if _, err := chain.Invoke(ctx, NoteState{}, cfg, graph.WithOutcome(&oc)); err != nil || len(oc.Interrupts) != 2 {
		t.Fatalf("invoke: %v, %+v", err, oc)
	}
	answers := graph.ResumeMap{}
	for _, in := range oc.Interrupts {
		if in.TaskID == "" || in.ID == in.TaskID || in.Index != 0 {
			t.Fatalf("interrupt %+v", in)
		}
		answers[in.TaskID] = "to " + in.Node
	}
	out, err := chain.ResumeWith(ctx, cfg, answers)
	if want := []string{"a", "b=to b", "c=to c"}; err != nil || !slices.Equal(out.Notes, want) {
		t.Fatalf("resume: %q, %v; want %q", out.Notes, err, want)
	}
}
