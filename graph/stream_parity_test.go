package graph_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/memory"
)

// valuesParts streams in values mode and returns each part's notes.
func valuesParts(t *testing.T, seq func(func(graph.StreamPart[NoteState], error) bool)) []string {
	t.Helper()
	var out []string
	for p, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.Join(p.Values.Notes, ","))
	}
	return out
}

func TestStreamingAResumeFirstYieldsTheCurrentState(t *testing.T) {
	t.Parallel()
	g := graph.New[NoteState]()
	g.AddNode("a", note("a"))
	g.AddNode("b", note("b"))
	g.AddEdge(graph.START, "a")
	g.AddEdge("a", "b")
	chain := compileNotes(t, g, graph.WithInterruptBefore("b"))
	ctx := t.Context()
	cfg := graph.Config{ThreadID: "t"}
	if _, err := chain.Invoke(ctx, NoteState{}, cfg); err != nil {
		t.Fatal(err)
	}
	got := valuesParts(t, chain.Stream(ctx, nil, cfg, graph.StreamValues))
	if want := []string{"a", "a,b"}; !slices.Equal(got, want) {
		t.Fatalf("values of the resume: %q, want %q (the current state first, as LangGraph)", got, want)
	}
	var nodes []string
	cfg2 := graph.Config{ThreadID: "t2"}
	if _, err := chain.Invoke(ctx, NoteState{}, cfg2); err != nil {
		t.Fatal(err)
	}
	for p, err := range chain.Stream(ctx, nil, cfg2, graph.StreamUpdates) {
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, p.Node)
	}
	if !slices.Equal(nodes, []string{"b"}) {
		t.Fatalf("updates of the resume: %q, want only b's", nodes)
	}
}

func TestStreamValuesSkipsAStepThatWritesNoChannel(t *testing.T) {
	t.Parallel()
	g := graph.New[NoteState]()
	g.AddNode("a", note("a"))
	g.AddNode("quiet", func(context.Context, NoteState) (NoteState, error) { return NoteState{}, nil })
	g.AddNode("b", note("b"))
	g.AddEdge(graph.START, "a")
	g.AddEdge("a", "quiet")
	g.AddEdge("quiet", "b")
	chain := compileNotes(t, g)
	got := valuesParts(t, chain.Stream(t.Context(), &NoteState{Item: "in"}, graph.Config{ThreadID: "t"}, graph.StreamValues))
	if want := []string{"", "a", "a,b"}; !slices.Equal(got, want) {
		t.Fatalf("values: %q, want %q (no part for quiet's step, as LangGraph)", got, want)
	}
}

// askOnce is START -> ask, which interrupts once and notes the answer.
func askOnce(t *testing.T) *graph.Graph[NoteState] {
	t.Helper()
	g := graph.New[NoteState]()
	g.AddNode("ask", func(ctx context.Context, _ NoteState) (NoteState, error) {
		ans, err := graph.Interrupt[string](ctx, "ok?")
		return NoteState{Notes: []string{"ask=" + ans}}, err
	})
	g.AddEdge(graph.START, "ask")
	return compileNotes(t, g)
}

func TestStreamAndInvokeCarryAResumeValue(t *testing.T) {
	t.Parallel()
	chain := askOnce(t)
	ctx := t.Context()
	cfg := graph.Config{ThreadID: "t"}
	if _, err := chain.Invoke(ctx, NoteState{}, cfg); err != nil {
		t.Fatal(err)
	}
	var got []string
	for p, err := range chain.Stream(ctx, nil, cfg, graph.StreamUpdates, graph.WithResume("yes")) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p.Node+":"+strings.Join(p.Values.Notes, ","))
	}
	if want := []string{"ask:ask=yes"}; !slices.Equal(got, want) {
		t.Fatalf("stream with a resume value: %q, want %q", got, want)
	}

	cfg = graph.Config{ThreadID: "t2"}
	if _, err := chain.Invoke(ctx, NoteState{}, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := chain.Invoke(ctx, NoteState{Item: "x"}, cfg, graph.WithResume("no")); err == nil {
		t.Fatal("invoke with input and a resume value: no error")
	}
	snap, _ := chain.GetState(ctx, cfg)
	out, err := chain.Invoke(ctx, NoteState{}, cfg, graph.WithResume(graph.ResumeMap{snap.Interrupts[0].ID: "no"}))
	if err != nil || !slices.Equal(out.Notes, []string{"ask=no"}) {
		t.Fatalf("invoke with a resume value: %q, %v", out.Notes, err)
	}
}

// A resume that waits for its thread (WaitIfBusy) shows the state it
// starts from once, when it runs.
func TestStreamingAResumeThatWaitsForTheThreadYieldsTheStateOnce(t *testing.T) {
	t.Parallel()
	s := memory.New()
	g := graph.New[NoteState]()
	g.AddNode("a", note("a"))
	g.AddNode("b", note("b"))
	g.AddEdge(graph.START, "a")
	g.AddEdge("a", "b")
	chain := compileNotesOn(t, g, s, graph.WithInterruptBefore("b"))
	ctx := t.Context()
	cfg := graph.Config{ThreadID: "t"}
	if _, err := chain.Invoke(ctx, NoteState{}, cfg); err != nil {
		t.Fatal(err)
	}
	until := time.Now().Add(200 * time.Millisecond)
	if _, err := s.Commit(ctx, []saver.Op{{Lease: &saver.LeaseOp{ThreadID: "t", RunID: "crashed", Until: until}}}); err != nil {
		t.Fatal(err)
	}
	got := valuesParts(t, chain.Stream(ctx, nil, cfg, graph.StreamValues, graph.WaitIfBusy()))
	if want := []string{"a", "a,b"}; !slices.Equal(got, want) {
		t.Fatalf("values of the resume: %q, want %q", got, want)
	}
}

// Streaming a resume of a finished thread yields its state and stores
// nothing, as Resume does.
func TestStreamingAResumeOfAFinishedThreadStoresNothing(t *testing.T) {
	t.Parallel()
	s := memory.New()
	g := graph.New[NoteState]()
	g.AddNode("a", note("a"))
	g.AddEdge(graph.START, "a")
	chain := compileNotesOn(t, g, s)
	ctx := t.Context()
	cfg := graph.Config{ThreadID: "t"}
	if _, err := chain.Invoke(ctx, NoteState{}, cfg); err != nil {
		t.Fatal(err)
	}
	before := len(eventsOf(s, "t"))
	got := valuesParts(t, chain.Stream(ctx, nil, cfg, graph.StreamValues))
	if want := []string{"a"}; !slices.Equal(got, want) || len(eventsOf(s, "t")) != before {
		t.Fatalf("values %q, %d events after %d; want %q and no new event", got, len(eventsOf(s, "t")), before, want)
	}
}
