package graph_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/message"
)

// BenchmarkInvoke measures a one-node invoke that appends a message per
// turn, on the memory saver: 3 checkpoints and 2 appends per op. Each
// thread holds 20 turns so the cost reflects a short conversation, not an
// ever-growing one.
//
// Sub-benchmarks run each durability mode.
func BenchmarkInvoke(b *testing.B) {
	for _, mode := range []graph.Durability{graph.DurabilitySync, graph.DurabilityAsync, graph.DurabilityExit} {
		b.Run(string(mode), func(b *testing.B) {
			chain, _ := newChat(b)
			ctx := context.Background()
			text := strings.Repeat("x", 200)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				cfg := graph.Config{ThreadID: "bench-" + strconv.Itoa(i/20)}
				if _, err := chain.Invoke(ctx, human(text), cfg, mode); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "invokes/s")
		})
	}
}

// BenchmarkInvokeOneThread is the bench program's steps phase on the
// memory saver: a node that appends one 64-byte message per invoke, every
// invoke on one thread, so the thread grows with b.N: compare runs with a
// fixed count (-benchtime 2000x). The graph's share of the cost does not
// grow with the thread; what still grows is the memory saver's (finding
// the latest checkpoint, materializing the conversation).
func BenchmarkInvokeOneThread(b *testing.B) {
	g := graph.New[ChatState]()
	reply := ChatState{Messages: []message.Message{message.AI(strings.Repeat("x", 64))}}
	g.AddNode("reply", func(context.Context, ChatState) (ChatState, error) { return reply, nil })
	g.AddEdge(graph.START, "reply")
	g.AddEdge("reply", graph.END)
	chain, err := g.Compile(graph.WithCheckpointer(newSaver()))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	cfg := graph.Config{ThreadID: "one"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := chain.Invoke(ctx, ChatState{}, cfg); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "invokes/s")
}
