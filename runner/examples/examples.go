// Package examples holds the graphs cmd/node-runner hosts out of the box:
// the guide's chat graph, a fan-out/fan-in graph with parallel branches
// and a graph with a durable task. Clients that start runs on those runners
// build the same graphs here, with their own options (a dispatcher).
package examples

import (
	"context"
	"fmt"
	"time"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/message"
	"github.com/jetgraph/jetgraph/message/fakemodel"
)

// The names the example graphs are compiled with (graph.WithName).
const (
	ChatName    = "chat"
	FanOutName  = "fanout"
	DurableName = "durable"
)

// ChatState is the chat graph's state: the conversation, merged by id.
type ChatState struct {
	Messages []message.Message `graph:"messages,reducer=messages"`
}

// Chat compiles the guide's one-node chat graph, answered by fakemodel.
func Chat(opts ...graph.Option) (*graph.Graph[ChatState], error) {
	g := graph.New[ChatState]()
	g.AddNode("chat", func(_ context.Context, s ChatState) (ChatState, error) {
		return ChatState{Messages: []message.Message{fakemodel.Reply(s.Messages)}}, nil
	})
	g.AddEdge(graph.START, "chat")
	g.AddEdge("chat", graph.END)
	return g.Compile(append([]graph.Option{graph.WithName(ChatName)}, opts...)...)
}

// FanState is the fan-out graph's state.
type FanState struct {
	// Seed is the input; a negative seed makes branch b panic every time
	// (a poison task).
	Seed int `graph:"seed"`
	// Rounds is how many rounds of fan-out run; 0 means 1.
	Rounds int `graph:"rounds"`
	// Round counts the rounds started.
	Round int `graph:"round"`
	// Parts collects the branches' results, in task order.
	Parts []string `graph:"parts,reducer=append"`
	// Sum is the merge node's checksum of Parts.
	Sum int `graph:"sum"`
	// Work is how long each branch works, in milliseconds.
	Work int `graph:"work"`
}

// FanOut compiles a graph that, per round, runs split, then branches a, b
// and c in parallel, then merge once all three finished (a join), and loops
// back to split until Rounds rounds ran: 3 steps a round after START.
func FanOut(opts ...graph.Option) (*graph.Graph[FanState], error) {
	g := graph.New[FanState]()
	g.AddNode("split", func(_ context.Context, s FanState) (FanState, error) {
		return FanState{Round: s.Round + 1}, nil
	})
	for i, name := range []string{"a", "b", "c"} {
		g.AddNode(name, func(ctx context.Context, s FanState) (FanState, error) {
			if name == "b" && s.Seed < 0 {
				panic(fmt.Sprintf("poison seed %d", s.Seed))
			}
			if s.Work > 0 {
				t := time.NewTimer(time.Duration(s.Work) * time.Millisecond)
				defer t.Stop()
				select {
				case <-t.C: // simulated work
				case <-ctx.Done():
					return FanState{}, ctx.Err()
				}
			}
			return FanState{Parts: []string{fmt.Sprintf("%s%d=%d", name, s.Round, s.Seed*(i+2)+s.Round)}}, nil
		})
		g.AddEdge("split", name)
	}
	g.AddJoinEdge([]string{"a", "b", "c"}, "merge")
	g.AddNode("merge", func(_ context.Context, s FanState) (FanState, error) {
		sum := 0
		for _, p := range s.Parts {
			for _, r := range p {
				sum = (sum*31 + int(r)) % 1_000_003
			}
		}
		return FanState{Sum: sum}, nil
	})
	g.AddConditionalEdges("merge", func(_ context.Context, s FanState) []string {
		if s.Round < max(s.Rounds, 1) {
			return []string{"split"}
		}
		return []string{graph.END}
	}, "split", graph.END)
	g.AddEdge(graph.START, "split")
	return g.Compile(append([]graph.Option{graph.WithName(FanOutName)}, opts...)...)
}

// DurableState is the durable task graph's state.
type DurableState struct {
	To    string `graph:"to"`
	Draft string `graph:"draft"`
	Sent  bool   `graph:"sent"`
}

// Durable compiles a two-step graph whose send node makes its side effect
// a graph.Task: recorded once, not repeated when the node runs again.
func Durable(opts ...graph.Option) (*graph.Graph[DurableState], error) {
	g := graph.New[DurableState]()
	g.AddNode("draft", func(_ context.Context, s DurableState) (DurableState, error) {
		return DurableState{Draft: "Hello " + s.To + ", your order shipped."}, nil
	})
	g.AddNode("send", func(ctx context.Context, s DurableState) (DurableState, error) {
		sent, err := graph.Task(ctx, "send_email", func(context.Context) (bool, error) { return s.Draft != "", nil })
		return DurableState{Sent: sent}, err
	})
	g.AddEdge(graph.START, "draft")
	g.AddEdge("draft", "send")
	g.AddEdge("send", graph.END)
	return g.Compile(append([]graph.Option{graph.WithName(DurableName)}, opts...)...)
}
