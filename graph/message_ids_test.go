package graph_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/message"
	"github.com/jetgraph/jetgraph/saver/memory"
)

func TestANodesNewMessageIsStoredOnce(t *testing.T) {
	t.Parallel()
	const reply = "a reply that appears nowhere else 7f3c"
	g := graph.New[ChatState]()
	g.AddNode("chat", func(context.Context, ChatState) (ChatState, error) {
		return ChatState{Messages: []message.Message{message.AI(reply)}}, nil
	})
	g.AddEdge(graph.START, "chat")
	g.AddEdge("chat", graph.END)
	s := memory.New()
	chain, err := g.Compile(graph.WithCheckpointer(s))
	if err != nil {
		t.Fatal(err)
	}
	cfg := graph.Config{ThreadID: "t"}
	out, err := chain.Invoke(t.Context(), human("hello"), cfg)
	if err != nil || len(out.Messages) != 2 || out.Messages[1].ID == "" {
		t.Fatalf("invoke: %+v, %v", out.Messages, err)
	}
	n := 0
	for _, e := range eventsOf(s, cfg.ThreadID) {
		n += bytes.Count(e.Payload, []byte(reply))
	}
	if n != 1 {
		t.Fatalf("the reply's text is stored %d times across the thread's events, want once", n)
	}
}
