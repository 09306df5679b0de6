package main

import (
	"context"
	"strings"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/message"
	"github.com/jetgraph/jetgraph/saver"
)

// chatState is the benchmark graph's state: a conversation.
type chatState struct {
	Messages []message.Message `graph:"messages,reducer=messages"`
}

// appendOne compiles a one-node graph whose node appends one message of
// size bytes per invoke, with durability mode d ("" for the default).
func appendOne(s saver.Saver, size int, d graph.Durability) (*graph.Graph[chatState], error) {
	text := strings.Repeat("x", size)
	g := graph.New[chatState]()
	g.AddNode("reply", func(context.Context, chatState) (chatState, error) {
		return chatState{Messages: []message.Message{message.AI(text)}}, nil
	})
	g.AddEdge(graph.START, "reply")
	g.AddEdge("reply", graph.END)
	opts := []graph.Option{graph.WithCheckpointer(s)}
	if d != "" {
		opts = append(opts, graph.WithDurability(d))
	}
	return g.Compile(opts...)
}

// turn is one invoke with a human message of size bytes, which the node
// answers with one message of the same size.
func turn(ctx context.Context, chain *graph.Graph[chatState], thread string, size int) error {
	in := chatState{Messages: []message.Message{message.Human(strings.Repeat("h", size))}}
	_, err := chain.Invoke(ctx, in, graph.Config{ThreadID: thread})
	return err
}
