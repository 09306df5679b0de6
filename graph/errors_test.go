package graph_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/saver"
)

func TestInvokeRejectsEmptyThreadID(t *testing.T) {
	t.Parallel()
	chain, _ := newChat(t)
	_, err := chain.Invoke(context.Background(), human("hi"), graph.Config{})
	if !errors.Is(err, saver.ErrInvalid) {
		t.Fatalf("err = %v, want saver.ErrInvalid", err)
	}
}

func TestUnknownCheckpointIDIsNotFound(t *testing.T) {
	t.Parallel()
	chain, _ := newChat(t)
	ctx := context.Background()
	cfg := graph.Config{ThreadID: "t"}
	if _, err := chain.Invoke(ctx, human("hi"), cfg); err != nil {
		t.Fatal(err)
	}
	bad := graph.Config{ThreadID: "t", CheckpointID: saver.NewCheckpointID("")}
	if _, err := chain.GetState(ctx, bad); !errors.Is(err, saver.ErrNotFound) {
		t.Errorf("GetState: err = %v, want saver.ErrNotFound", err)
	}
	if _, err := chain.Resume(ctx, bad); !errors.Is(err, saver.ErrNotFound) {
		t.Errorf("Resume: err = %v, want saver.ErrNotFound", err)
	}
	if _, err := chain.Invoke(ctx, human("x"), graph.Config{ThreadID: "other", CheckpointID: bad.CheckpointID}); !errors.Is(err, saver.ErrNotFound) {
		t.Errorf("fork by config: err = %v, want saver.ErrNotFound", err)
	}
}

func TestResumeOnEmptyThreadIsNotFound(t *testing.T) {
	t.Parallel()
	chain, _ := newChat(t)
	_, err := chain.Resume(context.Background(), graph.Config{ThreadID: "nobody"})
	if !errors.Is(err, saver.ErrNotFound) {
		t.Fatalf("err = %v, want saver.ErrNotFound", err)
	}
}

func TestUpdateStateRejectsUnknownNode(t *testing.T) {
	t.Parallel()
	chain, _ := newChat(t)
	ctx := context.Background()
	cfg := graph.Config{ThreadID: "t"}
	if _, err := chain.Invoke(ctx, human("hi"), cfg); err != nil {
		t.Fatal(err)
	}
	_, err := chain.UpdateState(ctx, cfg, human("x"), "nope")
	if err == nil || !strings.Contains(err.Error(), `unknown node "nope"`) {
		t.Fatalf("err = %v, want unknown node", err)
	}
}

func TestGetStateOfEmptyThreadIsZero(t *testing.T) {
	t.Parallel()
	chain, _ := newChat(t)
	snap, err := chain.GetState(context.Background(), graph.Config{ThreadID: "nobody"})
	if err != nil || len(snap.Values.Messages) != 0 || snap.Metadata.Source != "" || snap.Next != nil {
		t.Fatalf("snap = %+v, err = %v", snap, err)
	}
}

func TestPanickingNodeFailsItsTaskAndKeepsState(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	boom := true
	g := graph.New[ChatState]()
	g.AddNode("chat", func(ctx context.Context, s ChatState) (ChatState, error) {
		if boom {
			panic("model exploded")
		}
		return chat(ctx, s)
	})
	g.AddEdge(graph.START, "chat")
	chain, err := g.Compile(graph.WithCheckpointer(newSaver()))
	if err != nil {
		t.Fatal(err)
	}
	cfg := graph.Config{ThreadID: "t"}
	_, err = chain.Invoke(ctx, human("My color is blue."), cfg)
	var ne *graph.NodeError
	var pe *graph.PanicError
	if !errors.As(err, &ne) || ne.Node != "chat" || !errors.As(err, &pe) || pe.Value != "model exploded" {
		t.Fatalf("err = %v, want a NodeError wrapping a PanicError", err)
	}
	snap, err := chain.GetState(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Values.Messages) != 1 || len(snap.Next) != 1 || snap.Next[0] != "chat" ||
		len(snap.Tasks) != 1 || !strings.Contains(snap.Tasks[0].Error, "model exploded") {
		t.Fatalf("snapshot after panic = %+v", snap)
	}
	boom = false
	out, err := chain.Resume(ctx, cfg)
	if err != nil || last(out) != "Noted: your color is blue." {
		t.Fatalf("resume: %v %q", err, last(out))
	}
}

func TestCompileNamesTheProblem(t *testing.T) {
	t.Parallel()
	nop := func(_ context.Context, s ChatState) (ChatState, error) { return ChatState{}, nil }
	type badTag struct {
		N int `graph:"n,reducer=append"`
	}
	cases := []struct {
		name  string
		build func() error
		want  string
	}{
		{"unknown node", func() error {
			g := graph.New[ChatState]()
			g.AddNode("a", nop)
			g.AddEdge(graph.START, "a")
			g.AddEdge("a", "b")
			_, err := g.Compile()
			return err
		}, `edge a -> b: unknown node "b"`},
		{"missing entry", func() error {
			g := graph.New[ChatState]()
			g.AddNode("a", nop)
			_, err := g.Compile()
			return err
		}, "no entry"},
		{"unreachable", func() error {
			g := graph.New[ChatState]()
			g.AddNode("a", nop)
			g.AddNode("island", nop)
			g.AddEdge(graph.START, "a")
			_, err := g.Compile()
			return err
		}, `not reachable from graph.START: ["island"]`},
		{"bad tag", func() error {
			g := graph.New[badTag]()
			g.AddNode("a", func(_ context.Context, s badTag) (badTag, error) { return s, nil })
			g.AddEdge(graph.START, "a")
			_, err := g.Compile()
			return err
		}, "state field N: tag \"n,reducer=append\": reducer append needs a slice field"},
		{"unknown reducer", func() error {
			type s struct {
				N int `graph:"n,reducer=max"`
			}
			g := graph.New[s]()
			g.AddNode("a", func(_ context.Context, v s) (s, error) { return v, nil })
			g.AddEdge(graph.START, "a")
			_, err := g.Compile()
			return err
		}, `unknown reducer "max"`},
		{"duplicate node", func() error {
			g := graph.New[ChatState]()
			g.AddNode("a", nop)
			g.AddNode("a", nop)
			g.AddEdge(graph.START, "a")
			_, err := g.Compile()
			return err
		}, `add node "a": added twice`},
		{"unknown conditional end", func() error {
			g := graph.New[ChatState]()
			g.AddNode("a", nop)
			g.AddEdge(graph.START, "a")
			g.AddConditionalEdges("a", func(context.Context, ChatState) []string { return nil }, "zzz")
			_, err := g.Compile()
			return err
		}, `conditional edges from a: unknown node "zzz"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			err := c.build()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
}
