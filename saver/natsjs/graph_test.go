package natsjs_test

import (
	"context"
	"slices"
	"testing"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/message"
	"github.com/jetgraph/jetgraph/saver/natsjs"
)

type chatState struct {
	Messages []message.Message `graph:"messages,reducer=messages"`
}

func echoGraph(t *testing.T, s *natsjs.Saver, mode graph.Durability) *graph.Graph[chatState] {
	t.Helper()
	g := graph.New[chatState]()
	g.AddNode("echo", func(_ context.Context, st chatState) (chatState, error) {
		return chatState{Messages: []message.Message{message.AI("echo: " + st.Messages[len(st.Messages)-1].Content)}}, nil
	})
	g.AddEdge(graph.START, "echo")
	g.AddEdge("echo", graph.END)
	chain, err := g.Compile(graph.WithCheckpointer(s), graph.WithDurability(mode))
	if err != nil {
		t.Fatal(err)
	}
	return chain
}

// Two processes (savers on their own connections, each with its cache)
// take turns on one thread. Each starts an invoke from what it last saw
// of the thread without asking the stream; when the other moved the thread
// on, its first commit is refused and it reads the stream again, so every
// turn lands, in order, on one unbranched line, in every durability mode.
func TestInvokesFromTwoProcessesBuildOneLine(t *testing.T) {
	t.Parallel()
	for _, mode := range []graph.Durability{graph.DurabilitySync, graph.DurabilityAsync, graph.DurabilityExit} {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			srv, js := setupServer(t)
			cfg := isolated(1)
			a, b := echoGraph(t, open(t, js, cfg), mode), echoGraph(t, open(t, connect(t, srv), cfg), mode)
			thread := graph.Config{ThreadID: "shared"}
			var said []string
			for i, turn := range []*graph.Graph[chatState]{a, a, b, a, b, b, a} {
				text := string(rune('a' + i))
				said = append(said, text)
				out, err := turn.Invoke(t.Context(), chatState{Messages: []message.Message{message.Human(text)}}, thread)
				if err != nil {
					t.Fatalf("turn %d: %v", i, err)
				}
				var humans []string
				for _, m := range out.Messages {
					if m.Role == message.RoleHuman {
						humans = append(humans, m.Content)
					}
				}
				if !slices.Equal(humans, said) {
					t.Fatalf("turn %d: conversation %q, want %q", i, humans, said)
				}
			}
			parent := ""
			n := 0
			for snap, err := range b.GetStateHistory(t.Context(), thread, nil) {
				if err != nil {
					t.Fatal(err)
				}
				if parent != "" && snap.Config.CheckpointID != parent {
					t.Fatalf("history branches: %s is not the parent named before it (%s)", snap.Config.CheckpointID, parent)
				}
				parent = ""
				if snap.ParentConfig != nil {
					parent = snap.ParentConfig.CheckpointID
				}
				n++
			}
			if n != 3*len(said) {
				t.Fatalf("%d checkpoints, want %d (3 per turn)", n, 3*len(said))
			}
		})
	}
}
