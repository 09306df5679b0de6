package main

import (
	"context"
	"fmt"
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

// taskState is the task graph's state: how many steps ran.
type taskState struct {
	Steps int `graph:"steps"`
}

// taskChain compiles a graph of n nodes in sequence, each calling
// graph.Task once, with durability sync: the DBOS comparison's workflow of
// n steps.
func taskChain(s saver.Saver, n int) (*graph.Graph[taskState], error) {
	g := graph.New[taskState]()
	prev := graph.START
	for i := range n {
		name := fmt.Sprint("step", i)
		g.AddNode(name, func(ctx context.Context, st taskState) (taskState, error) {
			v, err := graph.Task(ctx, "work", func(context.Context) (int, error) { return st.Steps + 1, nil })
			return taskState{Steps: v}, err
		})
		g.AddEdge(prev, name)
		prev = name
	}
	g.AddEdge(prev, graph.END)
	return g.Compile(graph.WithCheckpointer(s), graph.WithDurability(graph.DurabilitySync))
}
