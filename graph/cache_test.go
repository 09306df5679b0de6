package graph_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/message"
	"github.com/jetgraph/jetgraph/saver"
)

// compileChat compiles the chat graph over s: each compile has its own
// decode cache, so a graph compiled just before a read decodes from
// scratch.
func compileChat(t *testing.T, s saver.Saver) *graph.Graph[ChatState] {
	t.Helper()
	g := graph.New[ChatState]()
	g.AddNode("chat", chat)
	g.AddEdge(graph.START, "chat")
	g.AddEdge("chat", graph.END)
	chain, err := g.Compile(graph.WithCheckpointer(s))
	if err != nil {
		t.Fatal(err)
	}
	return chain
}

// TestWarmGraphReadsWhatAColdGraphReads runs a conversation with edits,
// removals and a replay from an old checkpoint on one graph, whose cache
// follows the thread, and checks every checkpoint against a graph compiled
// afresh.
func TestWarmGraphReadsWhatAColdGraphReads(t *testing.T) {
	t.Parallel()
	s := newSaver()
	warm := compileChat(t, s)
	ctx := context.Background()
	cfg := graph.Config{ThreadID: "warm"}
	invoke := func(c graph.Config, text string) ChatState {
		t.Helper()
		out, err := warm.Invoke(ctx, human(text), c)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	for i := range 10 {
		invoke(cfg, fmt.Sprint("turn ", i))
	}
	st, err := warm.GetState(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	edit := st.Values.Messages[3]
	edit.Content = "edited"
	update := ChatState{Messages: []message.Message{edit, message.Remove(st.Values.Messages[5].ID)}}
	if _, err := warm.UpdateState(ctx, cfg, update, ""); err != nil {
		t.Fatal(err)
	}
	edited := invoke(cfg, "after the edit")
	if got := contents(edited); got[3] != "edited" || len(got) != 21 {
		t.Fatalf("after the edit: %q", got)
	}
	edHead, err := warm.GetState(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	old := graph.Config{ThreadID: "warm", CheckpointID: checkpointAt(ctx, warm, cfg, 7)}
	invoke(old, "from an old checkpoint") // a new branch
	out := invoke(cfg, "on the new branch")
	if got := contents(out); len(got) != 10 || got[6] != "from an old checkpoint" || got[8] != "on the new branch" {
		t.Fatalf("on the new branch: %q", got)
	}
	for _, c := range []graph.Config{cfg, edHead.Config, old} { // both branches
		want, err := compileChat(t, s).GetState(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		got, err := warm.GetState(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Values, want.Values) {
			t.Fatalf("checkpoint %s: cached %q, fresh %q", c.CheckpointID, contents(got.Values), contents(want.Values))
		}
	}
	if got, _ := warm.GetState(ctx, edHead.Config); !reflect.DeepEqual(got.Values, edited) {
		t.Fatalf("the edited branch reads %q, was %q", contents(got.Values), contents(edited))
	}
	n := 0
	for snap, err := range warm.GetStateHistory(ctx, cfg, nil) {
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := compileChat(t, s).GetState(ctx, snap.Config)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(snap.Values, fresh.Values) {
			t.Fatalf("checkpoint %s: cached %v, fresh %v", snap.Config.CheckpointID, contents(snap.Values), contents(fresh.Values))
		}
		n++
	}
	if n < 30 {
		t.Fatalf("history has %d checkpoints, want at least 30", n)
	}
}

// TestNodeAppendingToItsStateDoesNotChangeTheThread checks that the state
// a node gets has no spare capacity a careless append could write into.
func TestNodeAppendingToItsStateDoesNotChangeTheThread(t *testing.T) {
	t.Parallel()
	g := graph.New[ChatState]()
	g.AddNode("chat", func(_ context.Context, s ChatState) (ChatState, error) {
		_ = append(s.Messages, message.AI("scribble")) // a new array, not the runtime's
		return ChatState{Messages: []message.Message{message.AI(fmt.Sprint("seen ", len(s.Messages)))}}, nil
	})
	g.AddEdge(graph.START, "chat")
	g.AddEdge("chat", graph.END)
	s := newSaver()
	chain, err := g.Compile(graph.WithCheckpointer(s))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cfg := graph.Config{ThreadID: "t"}
	var out ChatState
	for i := range 5 {
		if out, err = chain.Invoke(ctx, human(fmt.Sprint(i)), cfg); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range out.Messages {
		if m.Content == "scribble" {
			t.Fatalf("a node's append reached the thread: %v", contents(out))
		}
	}
	if got := last(out); got != "seen 9" {
		t.Fatalf("last message %q, want %q", got, "seen 9")
	}
}

func contents(s ChatState) []string {
	var out []string
	for _, m := range s.Messages {
		out = append(out, m.Content)
	}
	return out
}
