package graph_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/message"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/memory"
)

// A node's own error that wraps saver.ErrStale is the node's failure, not
// a sign that the run's first commit lost a race: the run is not started
// over, the input is applied once and the node's error is returned.
func TestNodeErrorWrappingErrStaleIsNotRetried(t *testing.T) {
	t.Parallel()
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int32
			g := graph.New[ChatState]()
			g.AddNode("chat", func(context.Context, ChatState) (ChatState, error) {
				calls.Add(1)
				return ChatState{}, fmt.Errorf("tool: %w", saver.ErrStale)
			})
			g.AddEdge(graph.START, "chat")
			chain, err := g.Compile(graph.WithCheckpointer(memory.New()), graph.WithDurability(mode))
			if err != nil {
				t.Fatal(err)
			}
			ctx := t.Context()
			cfg := graph.Config{ThreadID: "t"}
			_, err = chain.Invoke(ctx, human("hi"), cfg)
			var ne *graph.NodeError
			if !errors.As(err, &ne) || !errors.Is(err, saver.ErrStale) {
				t.Fatalf("err = %v, want the node's error", err)
			}
			if n := calls.Load(); n != 1 {
				t.Fatalf("the node ran %d times, want 1", n)
			}
			snap, err := chain.GetState(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			var humans int
			for _, m := range snap.Values.Messages {
				if m.Role == message.RoleHuman {
					humans++
				}
			}
			if humans != 1 {
				t.Fatalf("the thread holds %d human messages, want 1: the input was applied again", humans)
			}
		})
	}
}
